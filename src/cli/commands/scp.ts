import { setMaxListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import { systemClock } from '../../node/runtime/index.js';
import { openTransport } from '../../node/port/index.js';
import { Port, parseScp, runScp } from '../../port/index.js';
import { UsageError, type CliCommand } from '../command.js';
import {
  MANY_PORT_OPTIONS,
  MANY_PORT_USAGE,
  prefixedLines,
  runOnPorts,
  selectPorts,
} from './ports-many.js';

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
  usage: `scp FILE ${MANY_PORT_USAGE} [--user NAME] [--password P] [--timeout SECONDS] [--strip-ansi] [--check] [-v]`,
  options: {
    ...MANY_PORT_OPTIONS,
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
    const selection = selectPorts(values);
    const stop = new AbortController();
    const handlers = ['SIGINT', 'SIGTERM', 'SIGHUP'].map((name) => {
      const handler = () => stop.abort(name);
      process.once(name, handler);
      return [name, handler] as const;
    });
    const writeStderr = (text: string) => process.stderr.write(Buffer.from(text, 'latin1'));
    const dialParams = {
      userName: (values['user'] as string | undefined) ?? '',
      password: (values['password'] as string | undefined) ?? process.env[SCP_PASSWORD_ENV] ?? '',
    };
    /** One port: open it, run the script (bounded by --timeout), and say how it ended. */
    const runOn = async (
      spec: string,
      log: ((line: string) => void) | undefined,
    ): Promise<{ exitCode: number; message?: string; json?: Record<string, unknown> }> => {
      let port: Port;
      try {
        port = new Port(await openTransport(spec), { clock: systemClock, name: spec });
      } catch (error) {
        return { exitCode: SCP_EXIT.usage, message: (error as Error).message };
      }
      const own = new AbortController();
      const onStop = () => own.abort(stop.signal.reason);
      stop.signal.addEventListener('abort', onStop);
      if (stop.signal.aborted) onStop();
      const timer =
        timeoutSeconds === undefined
          ? undefined
          : setTimeout(() => own.abort(`--timeout ${timeoutSeconds}`), timeoutSeconds * 1000);
      try {
        const result = await runScp(port, parsed.program, {
          clock: systemClock,
          dialParams,
          log,
          signal: own.signal,
          stripAnsi: values['strip-ansi'] === true,
        });
        const json = {
          outcome: result.outcome,
          error: result.error,
          ...(result.at === undefined ? {} : { line: result.at.line, column: result.at.column }),
          ...(result.ipAddress === undefined ? {} : { ipAddress: result.ipAddress }),
        };
        if (result.outcome === 'done') return { exitCode: SCP_EXIT.done, json };
        const where =
          result.at === undefined ? file : `${file}:${result.at.line}:${result.at.column}`;
        if (result.outcome === 'halted') {
          return { exitCode: SCP_EXIT.halted, message: `${where}: halt`, json };
        }
        return {
          exitCode: SCP_EXIT.failed,
          message: `${where}: ${result.message ?? 'failed'} (error ${result.error})`,
          json,
        };
      } finally {
        if (timer !== undefined) clearTimeout(timer);
        stop.signal.removeEventListener('abort', onStop);
        port.close();
      }
    };
    try {
      if (selection.many) {
        // Every running port listens on the one signal: up to --concurrency of them.
        setMaxListeners(0, stop.signal);
        return await runOnPorts(
          selection,
          values['json'] === true,
          io,
          SCP_EXIT.failed,
          async (spec) => {
            const err = prefixedLines(spec, writeStderr);
            try {
              const result = await runOn(
                spec,
                values['verbose'] === true ? (line) => err.write(`${line}\n`) : undefined,
              );
              return { exitCode: result.exitCode, detail: result.message, json: result.json };
            } finally {
              err.flush();
            }
          },
        );
      }
      const result = await runOn(
        selection.spec,
        values['verbose'] === true ? (line) => writeStderr(`${line}\n`) : undefined,
      );
      if (result.message !== undefined) io.err(`netrx scp: ${result.message}`);
      return result.exitCode;
    } finally {
      for (const [name, handler] of handlers) process.off(name, handler);
    }
  },
};
