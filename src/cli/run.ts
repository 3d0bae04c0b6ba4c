import { parseArgs } from 'node:util';
import { UsageError, type CliCommand, type CliIo } from './command.js';
import { commands } from './commands/index.js';
import { errorLine } from './files.js';
import { commandGroups, commandHelpText, groupCommands, groupHelpText, helpText } from './help.js';
import { packageVersion } from './version.js';

export { helpText } from './help.js';

const HELP_FLAGS: readonly string[] = ['--help', '-h'];

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
 * code: 0 success (help included: bare `netrx`, `netrx --help`, a group alone
 * such as `netrx link`, `netrx link --help`), 1 failure, 2 usage error. Every
 * failure is one line on stderr that names the problem.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const first = argv[0];
  if (first === undefined) {
    io.out(helpText(io.columns));
    return 0;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    return help(argv.slice(1), io);
  }
  if (first === '--version' || first === '-V') {
    if (argv.length > 1) {
      io.err(
        `netrx: ${first} takes no arguments, got ${JSON.stringify(argv[1])} (try netrx --help)`,
      );
      return 2;
    }
    io.out(packageVersion());
    return 0;
  }
  if (first.startsWith('-')) {
    io.err(`netrx: unknown option ${first.split('=')[0] ?? first} (try netrx --help)`);
    return 2;
  }
  const found = findCommand(argv);
  if (found === undefined) {
    if (commandGroups().includes(first)) {
      const rest = argv.slice(1);
      if (rest.every((word) => HELP_FLAGS.includes(word))) {
        io.out(groupHelpText(first, io.columns));
        return 0;
      }
      const option = rest.find((word) => word.startsWith('-') && !HELP_FLAGS.includes(word));
      if (option !== undefined && rest.indexOf(option) === 0) {
        io.err(
          `netrx ${first}: unknown option ${option.split('=')[0] ?? option} (try netrx ${first} --help)`,
        );
        return 2;
      }
      io.err(
        `netrx ${first}: unknown command ${JSON.stringify(rest[0])} (netrx ${first} has: ${groupCommands(
          first,
        )
          .map((c) => c.path.slice(1).join(' '))
          .join(', ')})`,
      );
      return 2;
    }
    io.err(`netrx: unknown command ${JSON.stringify(first)} (try netrx --help)`);
    return 2;
  }
  const { command } = found;
  const rest =
    command.optionsEndAtFirstOperand === true
      ? endOptions(found.rest, command.options)
      : found.rest;
  try {
    // `--` ends the options: `netrx pcap info -- --help` reads a file named --help.
    const optionWords = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
    if (optionWords.some((word) => HELP_FLAGS.includes(word))) {
      io.out(commandHelpText(command, io.columns));
      return 0;
    }
    let parsed;
    try {
      parsed = parseArgs({
        args: joinNegativeValues(rest, command.options),
        options: command.options,
        allowPositionals: true,
        strict: true,
        tokens: true,
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
    const order = parsed.tokens.flatMap((token) => (token.kind === 'option' ? [token.name] : []));
    return await command.run(
      parsed.values as Record<string, string | boolean | undefined>,
      parsed.positionals,
      io,
      order,
    );
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`netrx ${command.path.join(' ')}: ${error.message} (${usageHint(command)})`);
      return command.usageExitCode ?? 2;
    }
    io.err(`netrx ${command.path.join(' ')}: ${errorLine(error)}`);
    return 1;
  }
}

/** A short usage after a usage error; a long one (`link vxlan`) is left to `--help`. */
function usageHint(command: CliCommand): string {
  const usage = `netrx ${command.usage}`;
  return usage.length <= 60 ? `usage: ${usage}` : `see netrx ${command.path.join(' ')} --help`;
}

/** `netrx --help [WORDS]` and `netrx help [WORDS]`: the help for a command, a group, or everything. */
function help(words: readonly string[], io: CliIo): number {
  if (words.length === 0) {
    io.out(helpText(io.columns));
    return 0;
  }
  const found = findCommand(words);
  if (found !== undefined && found.rest.length === 0) {
    io.out(commandHelpText(found.command, io.columns));
    return 0;
  }
  if (words.length === 1 && commandGroups().includes(words[0] ?? '')) {
    io.out(groupHelpText(words[0] ?? '', io.columns));
    return 0;
  }
  io.err(
    `netrx: no help for unknown command ${JSON.stringify(words.join(' '))} (try netrx --help)`,
  );
  return 2;
}

/**
 * `--` inserted before the first word that is neither an option nor an
 * option's value (when there is no `--` before it already), so parseArgs
 * reads every later word as an operand. `-` alone is an operand.
 */
function endOptions(args: readonly string[], options: CliCommand['options']): string[] {
  const takesValue = (name: string, short: boolean): boolean =>
    Object.entries(options).some(
      ([long, option]) =>
        option.type === 'string' && (short ? option.short === name : long === name),
    );
  for (let i = 0; i < args.length; i++) {
    const word = args[i] as string;
    if (word === '--') return [...args];
    if (word.startsWith('--')) {
      if (!word.includes('=') && takesValue(word.slice(2), false)) i++;
      continue;
    }
    if (word.startsWith('-') && word.length > 1) {
      // A group of short options: the first that takes a value ends it (`-t5`, `-vt 5`).
      for (let k = 1; k < word.length; k++) {
        if (takesValue(word[k] as string, true)) {
          if (k === word.length - 1) i++;
          break;
        }
      }
      continue;
    }
    return [...args.slice(0, i), '--', ...args.slice(i)];
  }
  return [...args];
}

/**
 * node:util parseArgs reads `--port -1` as an option with its value missing
 * (a value may not start with a dash). A negative number after an option that
 * takes a value is that value: pass it as `--port=-1`, so the command's own
 * check answers with the range it accepts.
 */
function joinNegativeValues(args: readonly string[], options: CliCommand['options']): string[] {
  const takesValue = (token: string): string | undefined => {
    for (const [name, option] of Object.entries(options)) {
      if (option.type !== 'string') continue;
      if (token === `--${name}` || (option.short !== undefined && token === `-${option.short}`))
        return name;
    }
    return undefined;
  };
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const token = args[i] as string;
    const next = args[i + 1];
    const name = takesValue(token);
    if (name !== undefined && next !== undefined && /^-\d/.test(next)) {
      out.push(`--${name}=${next}`);
      i++;
    } else {
      out.push(token);
    }
    if (token === '--') {
      out.push(...args.slice(i + 1));
      break;
    }
  }
  return out;
}

/** node:util parseArgs messages are long and advise about `--`; say the problem in a few words. */
function describeParseError(error: Error & { code?: string }): string {
  const quoted = /'([^']+)'/.exec(error.message)?.[1] ?? '';
  // "-p, --port <value>" names the option both ways: show the long name.
  const option = /--[\w-]+/.exec(quoted)?.[0] ?? quoted;
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${option}`.trim();
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (error.message.includes('does not take an argument'))
        return `${option} is a switch and takes no value (give ${option} alone)`;
      return option === '' ? 'an option is missing its value' : `${option} needs a value`;
    default:
      return error.message.split(/[.\n]/)[0] ?? 'bad arguments';
  }
}
