import { readFile } from 'node:fs/promises';
import { filesFingerprint } from './config-files.js';
import type { Clock } from '../../runtime/index.js';
import { checkPortSpec, openTransport } from '../port/index.js';
import {
  DEFAULT_PAGER,
  PORT_PROVIDER,
  Port,
  parseChatArgs,
  parseChatFile,
  parseScp,
  runChat,
  runScp,
  type ChatScript,
  type ScpProgram,
} from '../../port/index.js';
import type { HostConfig } from './config.js';
import type { HostService } from './host.js';

export type PortConfig = HostConfig['ports'][number];

/**
 * Checks a port spec as `openTransport` reads it, without opening anything:
 * undefined when it is not one (config errors are caught before `up` starts).
 * `stdio` is refused: the host's own terminal is not a port.
 */
export function parsePortSpec(spec: string): string | undefined {
  return checkPortSpec(spec) === undefined ? spec : undefined;
}

/** What a port's script did, as `/health` shows it. */
interface PortState {
  state: 'running' | 'done' | 'failed';
  /** chat's exit code (0, 1, 2, 3, 4 + n) or, for `.scp`, the DWORD (0, 703, 619 …). */
  code?: number;
  /** `.scp`: done, halted or failed. */
  outcome?: string;
  message?: string;
  abortString?: string;
  reports?: readonly string[];
  durationMs?: number;
}

type Loaded =
  | { readonly kind: 'chat'; readonly script: ChatScript }
  | { readonly kind: 'scp'; readonly program: ScpProgram };

/**
 * One `ports[]` entry of `netrx up`: at start the port is opened and its
 * login script (chat words, a chat file or a `.scp` file) runs in the
 * background; its result goes to `/health`, the log and the `netrx-port`
 * trace provider (PortOpened, ScriptFinished or ScpFinished, PortClosed).
 * A script file that cannot be read or parsed, or a password variable that
 * is not set, fails the start (the host does not come up); a line that
 * cannot be opened or a script that fails is the port's state, not the
 * host's. The port is closed when its script ends.
 */
export function portService(
  config: PortConfig,
  env: (name: string) => string | undefined = (name) => process.env[name],
): HostService & { readonly finished: () => Promise<void> } {
  const name = `port:${config.name}`;
  let status: PortState | undefined;
  let port: Port | undefined;
  let stopping: AbortController | undefined;
  let done: Promise<void> = Promise.resolve();
  return {
    name,
    fingerprint: JSON.stringify({
      config,
      files: filesFingerprint([
        config.script.scp,
        typeof config.script.chat === 'string' ? config.script.chat : '',
      ]),
    }),
    finished: () => done,
    async start(context) {
      const password = passwordOf(config, env);
      const loaded = await load(config);
      context.trace.register(PORT_PROVIDER);
      const abort = new AbortController();
      stopping = abort;
      const timer = context.clock.setTimer(config.timeoutSeconds * 1000, () =>
        abort.abort(`timeoutSeconds ${config.timeoutSeconds}`),
      );
      const log = (line: string) => context.log(`${name}: ${line}`);
      const startedAt = context.clock.now();
      status = { state: 'running' };
      done = (async () => {
        let result: PortState;
        try {
          const opened = new Port(await openTransport(config.port), {
            clock: context.clock,
            name: config.port,
            trace: context.trace,
          });
          port = opened;
          result = await runLoaded(opened, loaded, config, password, abort.signal, log, context);
        } catch (error) {
          result = { state: 'failed', message: (error as Error).message };
        }
        timer.cancel();
        port?.close();
        port = undefined;
        status = { ...result, durationMs: context.clock.now() - startedAt };
        log(
          `${status.state}${status.code === undefined ? '' : ` (${loaded.kind === 'chat' ? 'exit' : 'error'} ${status.code})`}${status.message === undefined ? '' : `: ${status.message}`}`,
        );
      })();
      return Promise.resolve(
        `${loaded.kind} script on ${config.port}${config.user === '' ? '' : ` as ${config.user}`}`,
      );
    },
    async stop() {
      stopping?.abort('the host is stopping');
      await done;
    },
    status: () => ({ port: config.port, script: scriptKind(config), ...status }),
    metrics: () => [
      {
        name: 'netrx_port_script_runs_total',
        help: 'Login scripts that ended on a port, by result (done or failed).',
        type: 'counter' as const,
        samples:
          status === undefined || status.state === 'running'
            ? []
            : [{ labels: { port: config.name, result: status.state }, value: 1 }],
      },
      {
        name: 'netrx_port_script_running',
        help: '1 while the login script of a port runs.',
        type: 'gauge' as const,
        samples: [{ labels: { port: config.name }, value: status?.state === 'running' ? 1 : 0 }],
      },
      {
        name: 'netrx_port_script_exit_code',
        help: "The script's exit code (chat) or error number (.scp) once it ended.",
        type: 'gauge' as const,
        samples:
          status?.code === undefined ? [] : [{ labels: { port: config.name }, value: status.code }],
      },
    ],
  };
}

function scriptKind(config: PortConfig): 'chat' | 'scp' {
  return config.script.scp === '' ? 'chat' : 'scp';
}

function passwordOf(config: PortConfig, env: (name: string) => string | undefined): string {
  if (config.passwordEnv === '') return '';
  const value = env(config.passwordEnv);
  if (value === undefined)
    throw new Error(
      `port ${config.name}: environment variable ${config.passwordEnv} (passwordEnv) is not set`,
    );
  return value;
}

async function load(config: PortConfig): Promise<Loaded> {
  const { chat, scp } = config.script;
  const read = async (file: string, key: string) => {
    try {
      return (await readFile(file)).toString('latin1');
    } catch (error) {
      throw new Error(
        `port ${config.name}: script.${key} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        { cause: error },
      );
    }
  };
  if (scp !== '') {
    const parsed = parseScp(await read(scp, 'scp'));
    if (!parsed.ok) {
      const first = parsed.errors[0];
      throw new Error(
        `port ${config.name}: ${scp}:${first?.line ?? 0}:${first?.column ?? 0}: ${first?.message ?? 'does not parse'}`,
      );
    }
    return { kind: 'scp', program: parsed.program };
  }
  if (typeof chat === 'string')
    return { kind: 'chat', script: parseChatFile(await read(chat, 'chat'), chat) };
  return { kind: 'chat', script: parseChatArgs(chat) };
}

async function runLoaded(
  port: Port,
  loaded: Loaded,
  config: PortConfig,
  password: string,
  signal: AbortSignal,
  log: (line: string) => void,
  context: { readonly clock: Clock },
): Promise<PortState> {
  if (loaded.kind === 'scp') {
    const result = await runScp(port, loaded.program, {
      clock: context.clock,
      dialParams: { userName: config.user, password },
      ...(config.verbose ? { log } : {}),
      signal,
      stripAnsi: config.stripAnsi,
    });
    return {
      state: result.outcome === 'done' ? 'done' : 'failed',
      code: result.error,
      outcome: result.outcome,
      ...(result.message === undefined ? {} : { message: result.message }),
    };
  }
  // $USER and $PASSWORD as `chat -E` substitutes them; any other `$` stays as written
  // (a shell prompt `$ ` must still match), and the host's environment stays out.
  const credentials = new Map([
    ['USER', config.user],
    ['PASSWORD', password],
  ]);
  const result = await runChat(port, loaded.script, {
    clock: context.clock,
    verbose: config.verbose,
    toStderr: config.verbose,
    useEnv: true,
    env: (name) => credentials.get(name) ?? `$${name}`,
    pacing: config.fast ? 'fast' : 'chat',
    stripAnsi: config.stripAnsi,
    telnet: config.telnet,
    ...(config.pager ? { pager: DEFAULT_PAGER } : {}),
    signal,
    output: {
      log,
      stderr: (text) => {
        const line = text.replace(/[\r\n]+$/, '');
        if (line !== '') log(line);
      },
      report: log,
    },
  });
  return {
    state: result.exitCode === 0 ? 'done' : 'failed',
    code: result.exitCode,
    ...(result.abortString === undefined ? {} : { abortString: result.abortString }),
    ...(result.reports.length === 0 ? {} : { reports: result.reports }),
  };
}
