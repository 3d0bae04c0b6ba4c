import { parseArgs } from 'node:util';
import { UsageError, type CliCommand, type CliIo } from './command.js';
import { commands } from './commands/index.js';
import { packageVersion } from './version.js';

export function helpText(): string {
  const width = Math.max(...commands.map((c) => c.usage.length));
  return [
    `netrx ${packageVersion()}: the receive side of a network stack`,
    '',
    'usage: netrx <command> [options]',
    '',
    'commands:',
    ...commands.map((c) => `  netrx ${c.usage.padEnd(width)}  ${c.summary}`),
    '',
    'options:',
    "  -h, --help      show this help (or a command's, after the command)",
    '  -V, --version   print the version',
  ].join('\n');
}

function findCommand(
  words: readonly string[],
): { command: CliCommand; rest: string[] } | undefined {
  let best: { command: CliCommand; rest: string[] } | undefined;
  for (const command of commands) {
    const n = command.path.length;
    if (words.length >= n && command.path.every((word, i) => words[i] === word)) {
      if (best === undefined || n > best.command.path.length)
        best = { command, rest: words.slice(n) };
    }
  }
  return best;
}

/**
 * Runs `netrx` with `argv` (without node and the script) and returns the exit
 * code: 0 success, 1 failure, 2 usage error. Every failure is one line on
 * stderr that names the problem.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.out(helpText());
    return argv.length === 0 ? 2 : 0;
  }
  if (argv[0] === '--version' || argv[0] === '-V') {
    io.out(packageVersion());
    return 0;
  }
  const found = findCommand(argv);
  if (found === undefined) {
    const word = argv[0] ?? '';
    io.err(
      `netrx: unknown command ${JSON.stringify(argv.filter((a) => !a.startsWith('-')).join(' ') || word)} (try netrx --help)`,
    );
    return 2;
  }
  const { command, rest } = found;
  try {
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(`usage: netrx ${command.usage}\n\n${command.summary}`);
      return 0;
    }
    let parsed;
    try {
      parsed = parseArgs({
        args: rest,
        options: command.options,
        allowPositionals: true,
        strict: true,
      });
    } catch (error) {
      throw new UsageError(describeParseError(error as Error & { code?: string }));
    }
    const limits = command.positionals ?? { min: 0, max: 0, names: '' };
    if (parsed.positionals.length < limits.min) {
      throw new UsageError(`missing ${limits.names}`);
    }
    if (parsed.positionals.length > limits.max) {
      throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[limits.max])}`);
    }
    return await command.run(
      parsed.values as Record<string, string | boolean | undefined>,
      parsed.positionals,
      io,
    );
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`netrx ${command.path.join(' ')}: ${error.message} (usage: netrx ${command.usage})`);
      return 2;
    }
    io.err(`netrx ${command.path.join(' ')}: ${(error as Error).message}`);
    return 1;
  }
}

/** node:util parseArgs messages are long and advise about `--`; say the problem in a few words. */
function describeParseError(error: Error & { code?: string }): string {
  const option = /'([^']+)'/.exec(error.message)?.[1];
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${option ?? ''}`.trim();
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return option === undefined
        ? 'an option is missing its value'
        : `option ${option} needs a value`;
    default:
      return error.message.split(/[.\n]/)[0] ?? 'bad arguments';
  }
}
