import { appendFileSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { setMaxListeners } from 'node:events';
import { systemClock } from '../../node/runtime/index.js';
import { StreamTransport, openTransport } from '../../node/port/index.js';
import {
  DEFAULT_PAGER,
  Port,
  checkChatScript,
  isoStamp,
  parseChatArgs,
  parseChatFile,
  runChat,
  visible,
  type ChatOptions,
  type ChatResult,
  type ChatScript,
  type EscapeContext,
  type PortTransport,
} from '../../port/index.js';
import type { CliCommand } from '../command.js';
import {
  MANY_PORT_OPTIONS,
  MANY_PORT_USAGE,
  prefixedLines,
  runOnPorts,
  selectPorts,
  type PortRunResult,
} from './ports-many.js';

/** What C's strerror says for the errors a script file commonly hits. */
function strerror(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOENT':
      return 'No such file or directory';
    case 'EACCES':
      return 'Permission denied';
    case 'EISDIR':
      return 'Is a directory';
    default:
      return error.message;
  }
}

/** A JS string as the bytes chat sees: UTF-8 bytes, one per char code. */
const asBytes = (text: string) => Buffer.from(text, 'utf8').toString('latin1');

/** chat's REPORT timestamp, in local time like strftime("%b %d %H:%M:%S "). */
function localStamp(ms: number): string {
  const d = new Date(ms);
  const months = 'Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec'.split(' ');
  const two = (n: number) => String(n).padStart(2, '0');
  return `${months[d.getMonth()]} ${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} `;
}

/** chat's usage message (chat prints it and exits 1). */
const CHAT_USAGE =
  'Usage: netrx chat [-e] [-E] [-v] [-V] [-s] [-S] [-t timeout] [-r report-file]\n' +
  '     [-T phone-number] [-U phone-number2] {-f chat-file | chat-script}';

export const chatCommand: CliCommand = {
  path: ['chat'],
  summary:
    "run a login script in pppd chat's language on a port (chat's options and exit codes); " +
    'PORT is tcp:HOST:PORT, tls:HOST:PORT, serial:PATH[@BAUD], pty:COMMAND, exec:COMMAND or stdio (the default); ' +
    'several --port or --ports FILE run the script on each (one result line per port, the worst exit code)',
  usage:
    'chat [-v] [-V] [-s] [-S] [-e] [-E] [-t TIMEOUT] [-r REPORTFILE] [-T PHONE] [-U PHONE2] ' +
    `${MANY_PORT_USAGE} [--fast] [--telnet] [--strip-ansi] [--pager] [--pager-prompt TEXT] ` +
    '[--timestamps] (-f FILE | [--] SCRIPT...)',
  options: {
    verbose: { type: 'boolean', short: 'v' },
    'verbose-stderr': { type: 'boolean', short: 'V' },
    stderr: { type: 'boolean', short: 's' },
    'no-syslog': { type: 'boolean', short: 'S' },
    echo: { type: 'boolean', short: 'e' },
    env: { type: 'boolean', short: 'E' },
    timeout: { type: 'string', short: 't' },
    'report-file': { type: 'string', short: 'r' },
    phone: { type: 'string', short: 'T' },
    phone2: { type: 'string', short: 'U' },
    file: { type: 'string', short: 'f' },
    ...MANY_PORT_OPTIONS,
    fast: { type: 'boolean' },
    telnet: { type: 'boolean' },
    'strip-ansi': { type: 'boolean' },
    pager: { type: 'boolean' },
    'pager-prompt': { type: 'string' },
    timestamps: { type: 'boolean' },
  },
  positionals: { min: 0, max: 100_000, names: 'SCRIPT' },
  // chat exits 1 on a bad option or a missing value (checked: /usr/sbin/chat -Z, chat -t).
  usageExitCode: 1,
  // chat reads options up to the first script word: `ABORT -ERR` needs no `--`.
  optionsEndAtFirstOperand: true,
  async run(values, positionals, io, order = []) {
    // chat's transcript is bytes: written raw, not through io.err (which is text).
    const writeStderr = (text: string) => process.stderr.write(Buffer.from(text, 'latin1'));
    const toStderr = values['stderr'] === true;
    const file = values['file'] as string | undefined;
    if (file !== undefined && positionals.length > 0) {
      writeStderr(`${CHAT_USAGE}\n`);
      return 1;
    }
    const context: EscapeContext = {
      useEnv: values['env'] === true,
      env: (name) => {
        const value = process.env[name];
        return value === undefined ? undefined : asBytes(value);
      },
      phone: typeof values['phone'] === 'string' ? asBytes(values['phone']) : undefined,
      phone2: typeof values['phone2'] === 'string' ? asBytes(values['phone2']) : undefined,
    };
    let script: ChatScript;
    if (file !== undefined) {
      try {
        script = parseChatFile(readFileSync(file).toString('latin1'), file);
      } catch (error) {
        const message = `${file} -- open failed: ${strerror(error as NodeJS.ErrnoException)}`;
        if (toStderr) writeStderr(`${message}\n`);
        else io.err(`netrx chat: ${message}`);
        return 1;
      }
    } else {
      script = parseChatArgs(positionals.map(asBytes));
    }
    if (!toStderr) {
      // chat would tell syslog; netrx has none, so say where a fatal problem is instead.
      for (const problem of checkChatScript(script, context)) {
        if (problem.exitCode === 'ignored') continue;
        const where =
          problem.line > 0
            ? `${script.source}:${problem.line}:${problem.column}`
            : `argument ${problem.argument}`;
        io.err(`netrx chat: ${where}: ${problem.message}`);
        break;
      }
    }
    const reportFile = values['report-file'] as string | undefined;
    let reportOpen = false;
    if (reportFile !== undefined) {
      try {
        appendFileSync(reportFile, '');
        reportOpen = true;
      } catch {
        // chat carries on with reports on stderr when the file cannot be opened.
      }
    }
    let timeoutSeconds = 45;
    if (typeof values['timeout'] === 'string') {
      const match = /^\s*([+-]?\d+)/.exec(values['timeout']);
      timeoutSeconds = match === null ? 0 : Number(match[1]);
    }
    const selection = selectPorts(values);
    // SIGINT and SIGTERM end every run; SIGHUP ends the runs whose HANGUP setting
    // is on (chat's default) and is ignored by those with HANGUP OFF, as chat does.
    const stop = new AbortController();
    const hangupRuns = new Set<{ hangup: boolean; readonly stop: AbortController }>();
    const onSignal = (name: string) => () => {
      if (name !== 'SIGHUP') {
        stop.abort(name);
        return;
      }
      // Between runs (opening a port) no script has said HANGUP OFF: chat's default.
      if (hangupRuns.size === 0) stop.abort(name);
      for (const run of hangupRuns) if (run.hangup) run.stop.abort(name);
    };
    const handlers = ['SIGINT', 'SIGTERM', 'SIGHUP'].map((name) => {
      const handler = onSignal(name);
      // `on`, not `once`: a second signal while HANGUP OFF must not kill the process.
      process.on(name, handler);
      return [name, handler] as const;
    });
    /** One run's signal: the shared stop, and SIGHUP while its HANGUP setting is on. */
    const runSignal = () => {
      const run = { hangup: true, stop: new AbortController() };
      setMaxListeners(0, run.stop.signal);
      if (stop.signal.aborted) run.stop.abort(stop.signal.reason);
      const forward = () => run.stop.abort(stop.signal.reason);
      stop.signal.addEventListener('abort', forward, { once: true });
      hangupRuns.add(run);
      return {
        signal: run.stop.signal,
        onHangupSetting: (enabled: boolean) => (run.hangup = enabled),
        done: () => {
          hangupRuns.delete(run);
          stop.signal.removeEventListener('abort', forward);
        },
      };
    };
    const optionsFor = (
      output: ChatOptions['output'],
      run: ReturnType<typeof runSignal>,
    ): ChatOptions => ({
      clock: systemClock,
      verbose: values['verbose'] === true,
      verboseStderr: values['verbose-stderr'] === true,
      toStderr,
      echo: values['echo'] === true,
      useEnv: context.useEnv,
      env: context.env,
      timeoutSeconds,
      phone: context.phone,
      phone2: context.phone2,
      pacing: values['fast'] === true ? 'fast' : 'chat',
      telnet: values['telnet'] === true,
      stripAnsi: values['strip-ansi'] === true,
      ...(values['pager'] === true || typeof values['pager-prompt'] === 'string'
        ? {
            pager: {
              prompt:
                typeof values['pager-prompt'] === 'string'
                  ? asBytes(values['pager-prompt'])
                  : DEFAULT_PAGER.prompt,
              answer: DEFAULT_PAGER.answer,
            },
          }
        : {}),
      ...(values['timestamps'] === true ? { timestamps: isoStamp } : {}),
      reportFile: reportOpen ? reportFile : undefined,
      // chat writes `Opening` while reading -r, so only when -v came before it (the last -r counts).
      verboseBeforeReportFile:
        order.includes('verbose') && order.indexOf('verbose') < order.lastIndexOf('report-file'),
      signal: run.signal,
      onHangupSetting: run.onHangupSetting,
      formatTime: localStamp,
      readFile: async (path) => {
        try {
          return (await readFile(path)).toString('latin1');
        } catch (error) {
          throw new Error(strerror(error as NodeJS.ErrnoException), { cause: error });
        }
      },
      output,
    });
    const writeReport = (line: string) => {
      if (reportOpen && reportFile !== undefined) {
        appendFileSync(reportFile, Buffer.from(`${line}\n`, 'latin1'));
      } else writeStderr(`${line}\n`);
    };
    try {
      if (selection.many) {
        // Every running port listens on the one signal: up to --concurrency of them.
        setMaxListeners(0, stop.signal);
        return await runOnPorts(selection, values['json'] === true, io, 2, async (spec) => {
          if (stop.signal.aborted) {
            return { exitCode: 2, detail: `not started: ${String(stop.signal.reason)}` };
          }
          const err = prefixedLines(spec, writeStderr);
          let port: Port;
          try {
            port = new Port(await openTransport(spec), { clock: systemClock, name: spec });
          } catch (error) {
            return { exitCode: 2, detail: (error as Error).message };
          }
          const run = runSignal();
          try {
            const result = await runChat(
              port,
              script,
              optionsFor(
                {
                  log: (line) => err.write(`${line}\n`),
                  stderr: err.write,
                  report: (line) => writeReport(`${spec}: ${line}`),
                },
                run,
              ),
            );
            return chatPortResult(result);
          } finally {
            run.done();
            err.flush();
            port.close();
          }
        });
      }
      const spec = selection.spec;
      let port: Port;
      let transport: PortTransport;
      try {
        transport = await openTransport(spec);
        port = new Port(transport, { clock: systemClock, name: spec });
      } catch (error) {
        io.err(`netrx chat: ${(error as Error).message}`);
        return 2;
      }
      const run = runSignal();
      let exitCode: number;
      try {
        const result = await runChat(
          port,
          script,
          optionsFor(
            {
              log: (line) => writeStderr(`${line}\n`),
              stderr: writeStderr,
              report: writeReport,
            },
            run,
          ),
        );
        exitCode = result.exitCode;
      } finally {
        run.done();
        port.close();
      }
      const closeError = transport instanceof StreamTransport ? transport.closeError : undefined;
      if (closeError === undefined) return exitCode;
      // A terminal that hung up keeps its raw mode; chat says so as it exits and exits 2.
      const message = `Can't restore terminal parameters: ${closeError.message}`;
      if (toStderr) writeStderr(`${message}\n`);
      else io.err(`netrx chat: ${message}`);
      return 2;
    } finally {
      for (const [name, handler] of handlers) process.off(name, handler);
    }
  },
};

/** One port's result line: the exit code, then why (ABORT, timeout, hang-up) and its REPORTs. */
function chatPortResult(result: ChatResult): PortRunResult {
  const parts: string[] = [];
  if (result.abortString !== undefined) parts.push(`ABORT (${visible(result.abortString)})`);
  else if (result.disconnected) parts.push('hung up');
  else if (result.exitCode === 3) parts.push('timeout');
  if (result.expect !== undefined) parts.push(`expect (${visible(result.expect)})`);
  for (const report of result.reports) parts.push(`REPORT ${report}`);
  return {
    exitCode: result.exitCode,
    detail: parts.length === 0 ? undefined : parts.join('; '),
    json: {
      ...(result.expect === undefined ? {} : { expect: result.expect }),
      ...(result.abortString === undefined ? {} : { abortString: result.abortString }),
      ...(result.reports.length === 0 ? {} : { reports: result.reports }),
      ...(result.disconnected ? { disconnected: true } : {}),
    },
  };
}
