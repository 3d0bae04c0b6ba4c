/**
 * Starts the netrx WebSocket echo server for the interop suites:
 *
 *   node dist/cli/main.js websocket echo --host 127.0.0.1 --port 0 [--deflate] [--max-message N]
 *
 * which echoes text as text and binary as binary, one whole message at a
 * time, and prints `listening on ws://HOST:PORT/` once ready. The process is
 * stopped with SIGTERM (SIGKILL if it lingers), always by its own pid.
 *
 * While the server is being written, NETRX_WS_ECHO_STANDIN=/path/script.mjs
 * runs that script with the same arguments instead (a stand-in built on
 * another library, used only to develop the suites). Never set it in CI: the
 * suites would then test the stand-in, not netrx.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..', '..');
const netrxMain = join(root, 'dist', 'cli', 'main.js');

export interface EchoServerOptions {
  readonly deflate?: boolean;
  readonly maxMessage?: number;
}

export interface EchoServer {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** What is answering: `netrx` or the stand-in's path. */
  readonly implementation: string;
  /** Whether the process is still running. */
  alive(): boolean;
  /** What the server wrote to stderr so far (for failure messages). */
  stderr(): string;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) {
    if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
  }
});

let warned = false;

/** Which program runs as the echo server: netrx, or the development stand-in. */
export function echoServerProgram(): { script: string; implementation: string } {
  const standIn = process.env['NETRX_WS_ECHO_STANDIN'];
  if (standIn !== undefined && standIn !== '') {
    if (process.env['CI'] === 'true') {
      throw new Error('NETRX_WS_ECHO_STANDIN is for developing the suites; CI must test netrx');
    }
    if (!warned) {
      console.warn(`[netrx interop] NETRX_WS_ECHO_STANDIN: testing ${standIn}, NOT netrx`);
      warned = true;
    }
    return { script: standIn, implementation: `stand-in ${standIn}` };
  }
  return { script: netrxMain, implementation: 'netrx' };
}

const READY = /^listening on ws:\/\/([^\s/]+):(\d+)\/$/m;

export function startEchoServer(options: EchoServerOptions = {}): Promise<EchoServer> {
  const { script, implementation } = echoServerProgram();
  if (!existsSync(script)) {
    return Promise.reject(
      new Error(
        script === netrxMain
          ? `${script} does not exist: run \`npm run build\` (npm test builds before vitest)`
          : `NETRX_WS_ECHO_STANDIN=${script} does not exist`,
      ),
    );
  }
  const args = [script, 'websocket', 'echo', '--host', '127.0.0.1', '--port', '0'];
  if (options.deflate === true) args.push('--deflate');
  if (options.maxMessage !== undefined) args.push('--max-message', String(options.maxMessage));
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  void exited.then(() => running.delete(child));

  return new Promise((resolveStart, rejectStart) => {
    const timer = setTimeout(() => {
      kill(child, 'SIGKILL');
      rejectStart(
        new Error(`${implementation} did not print "listening on ..." in 15 s: ${stdout}${stderr}`),
      );
    }, 15_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      rejectStart(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      rejectStart(
        new Error(
          `${implementation} websocket echo exited (${code ?? signal}) before it was ready: ${stdout}${stderr}`,
        ),
      );
    });
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = READY.exec(stdout);
      if (match === null) return;
      clearTimeout(timer);
      const port = Number(match[2]);
      resolveStart({
        url: `ws://${match[1]}:${port}/`,
        port,
        pid: child.pid!,
        implementation,
        alive: () => child.exitCode === null && child.signalCode === null,
        stderr: () => stderr,
        stop: async () => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          kill(child, 'SIGTERM');
          const killer = setTimeout(() => kill(child, 'SIGKILL'), 5_000);
          await exited;
          clearTimeout(killer);
        },
      });
    });
  });
}

function kill(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
    try {
      process.kill(child.pid, signal);
    } catch {
      // Already gone.
    }
  }
}

/** Resident and peak resident memory of process `pid`, in bytes (Linux /proc). */
export function processMemory(pid: number): { rss: number; peakRss: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status);
    if (match === null) throw new Error(`/proc/${pid}/status has no ${name}`);
    return Number(match[1]) * 1024;
  };
  return { rss: field('VmRSS'), peakRss: field('VmHWM') };
}

/**
 * Resets the peak resident memory (VmHWM) of process `pid` to its current
 * resident memory (Linux 4.0+: `echo 5 > /proc/PID/clear_refs`) and returns
 * that resident memory, so that a later `processMemory(pid).peakRss` measures
 * only what happened in between.
 */
export function resetPeakMemory(pid: number): number {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
  return processMemory(pid).rss;
}
