import { readFileSync } from 'node:fs';
import { systemClock } from '../../node/runtime/index.js';
import { openTransport } from '../../node/port/index.js';
import { Port, parseScp, runScp } from '../../port/index.js';
import { UsageError, type CliCommand } from '../command.js';

/**
 * `netrx scp` exit codes: 0 main's endproc reached (where Dial-Up Networking
 * would start PPP), 1 the script failed while running (the line went away, a
 * runtime error, --timeout, a signal), 2 a usage mistake or a port that cannot
 * be opened, 3 `halt`, 4 a script that cannot be read or does not parse.
 */
export const SCP_EXIT = { done: 0, failed: 1, usage: 2, halted: 3, badScript: 4 } as const;

/** The password may come from the environment, so it need not show in `ps`. */
export const SCP_PASSWORD_ENV = 'NETRX_SCP_PASSWORD';

export const scpCommand: CliCommand = {
  path: ['scp'],
  summary:
    'run a Windows Dial-Up Networking script (.scp, the Dial-Up Scripting Command Language) on a port; ' +
    'exit 0 done, 1 failed, 2 usage, 3 halt, 4 bad script',
  usage:
    'scp FILE [--port PORT] [--user NAME] [--password P] [--timeout SECONDS] [--strip-ansi] [--check] [-v]',
  options: {
    port: { type: 'string' },
    user: { type: 'string' },
    password: { type: 'string' },
    timeout: { type: 'string' },
    check: { type: 'boolean' },
    'strip-ansi': { type: 'boolean' },
    verbose: { type: 'boolean', short: 'v' },
  },
  positionals: { min: 1, max: 1, names: 'FILE' },
  async run(values, positionals, io) {
    const file = positionals[0] as string;
    let timeoutSeconds: number | undefined;
    if (typeof values['timeout'] === 'string') {
      timeoutSeconds = Number(values['timeout']);
      if (!/^\d+(\.\d+)?$/.test(values['timeout']) || !(timeoutSeconds > 0)) {
        throw new UsageError(
          `--timeout takes a number of seconds above 0, got ${JSON.stringify(values['timeout'])}`,
        );
      }
    }
    let source: string;
    try {
      // Scripts are bytes (Windows-1252 in their day): read as latin1, one char per byte.
      source = readFileSync(file).toString('latin1');
    } catch (error) {
      io.err(`netrx scp: ${file}: ${(error as Error).message}`);
      return SCP_EXIT.badScript;
    }
    const parsed = parseScp(source);
    if (!parsed.ok) {
      for (const error of parsed.errors)
        io.err(`netrx scp: ${file}:${error.line}:${error.column}: ${error.message}`);
      return SCP_EXIT.badScript;
    }
    if (values['check'] === true) return SCP_EXIT.done;
    const spec = (values['port'] as string | undefined) ?? 'stdio';
    let port: Port;
    try {
      port = new Port(await openTransport(spec), { clock: systemClock, name: spec });
    } catch (error) {
      io.err(`netrx scp: ${(error as Error).message}`);
      return SCP_EXIT.usage;
    }
    const stop = new AbortController();
    const handlers = ['SIGINT', 'SIGTERM', 'SIGHUP'].map((name) => {
      const handler = () => stop.abort(name);
      process.once(name, handler);
      return [name, handler] as const;
    });
    const timer =
      timeoutSeconds === undefined
        ? undefined
        : setTimeout(() => stop.abort(`--timeout ${timeoutSeconds}`), timeoutSeconds * 1000);
    const writeStderr = (text: string) => process.stderr.write(Buffer.from(text, 'latin1'));
    try {
      const result = await runScp(port, parsed.program, {
        clock: systemClock,
        dialParams: {
          userName: (values['user'] as string | undefined) ?? '',
          password:
            (values['password'] as string | undefined) ?? process.env[SCP_PASSWORD_ENV] ?? '',
        },
        log: values['verbose'] === true ? (line) => writeStderr(`${line}\n`) : undefined,
        signal: stop.signal,
        stripAnsi: values['strip-ansi'] === true,
      });
      if (result.outcome === 'done') return SCP_EXIT.done;
      const where =
        result.at === undefined ? file : `${file}:${result.at.line}:${result.at.column}`;
      if (result.outcome === 'halted') {
        io.err(`netrx scp: ${where}: halt`);
        return SCP_EXIT.halted;
      }
      io.err(`netrx scp: ${where}: ${result.message ?? 'failed'} (error ${result.error})`);
      return SCP_EXIT.failed;
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      for (const [name, handler] of handlers) process.off(name, handler);
      port.close();
    }
  },
};
