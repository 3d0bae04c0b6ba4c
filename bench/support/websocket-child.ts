/**
 * The process plumbing of bench/websocket.ts: what its children report and
 * are told over IPC, and the parent's handle on a child (pinned to a CPU
 * when `taskset` exists, with an inbox for its reports). Kept apart from
 * the cases so that the benchmark file holds what is measured.
 */
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What children say to the parent. */
export type Report =
  | { type: 'ready'; port: number }
  | {
      type: 'usage';
      /** process.cpuUsage() user + system, µs. */
      cpu: number;
      /** The same, user and system apart (process.resourceUsage(), µs). */
      user: number;
      system: number;
      /** Minor page faults so far (process.resourceUsage()). */
      minorFaults: number;
      /** performance.now() in the child, ms. */
      at: number;
      rss: number;
      heapUsed: number;
      external: number;
      connections: number;
    }
  | { type: 'window-start' }
  | { type: 'window-end' }
  | {
      type: 'result';
      received: number;
      seconds: number;
      /** Client CPU use during the window, 0-1. */
      cpu: number;
      wrongSize: number;
    }
  | { type: 'held'; opened: number; failed: number; firstError: string }
  | { type: 'echoed' }
  | { type: 'error'; message: string };

/** What the parent says to children. */
export type Command =
  | { type: 'usage' }
  | { type: 'gc-usage' }
  | { type: 'connect'; port: number }
  | { type: 'echo-once'; size: number }
  | { type: 'exit' };

export function tell(report: Report): void {
  process.send?.(report);
}

export function fail(error: unknown): never {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  tell({ type: 'error', message });
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

// The children are bench/websocket.js itself (its `server`, `client` and `hold` roles).
const self = join(fileURLToPath(new URL('..', import.meta.url)), 'websocket.js');
const children = new Set<ChildProcess>();
export const canPin =
  process.platform === 'linux' &&
  availableParallelism() >= 2 &&
  spawnSync('taskset', ['-c', '0', 'true']).status === 0;
const useShell = process.platform !== 'win32';

/** A child process of bench/websocket.js, with an inbox for its reports. */
export class Child {
  readonly process: ChildProcess;
  private readonly inbox: Report[] = [];
  private wake: (() => void) | undefined;
  private exitCode: number | null | undefined;

  /** `script`: another build's bench/websocket.js, for A/B runs (default: this build's). */
  constructor(
    args: string[],
    cpu: number | undefined,
    nodeArgs: string[] = [],
    script: string = self,
  ) {
    const node = ['--expose-gc', ...nodeArgs];
    // sh raises the descriptor limit to the hard limit and execs (same pid) node, through taskset if pinning.
    const pin = cpu !== undefined && canPin ? `taskset -c ${cpu} ` : '';
    this.process = useShell
      ? fork(script, args, {
          execPath: '/bin/sh',
          execArgv: [
            '-c',
            `ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec ${pin}"$0" "$@"`,
            process.execPath,
            ...node,
          ],
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        })
      : fork(script, args, { execArgv: node, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.add(this.process);
    this.process.on('message', (report: Report) => {
      this.inbox.push(report);
      this.wake?.();
    });
    this.process.once('exit', (code) => {
      children.delete(this.process);
      this.exitCode = code;
      this.wake?.();
    });
  }

  send(command: Command): void {
    if (this.exitCode === undefined) this.process.send(command);
  }

  /** The next report of `type` (an error report or an exit rejects). */
  async next<T extends Report['type']>(
    type: T,
    timeoutMs = 120_000,
  ): Promise<Extract<Report, { type: T }>> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const index = this.inbox.findIndex((r) => r.type === type || r.type === 'error');
      if (index !== -1) {
        const [report] = this.inbox.splice(index, 1) as [Report];
        if (report.type === 'error') throw new Error(report.message);
        return report as Extract<Report, { type: T }>;
      }
      if (this.exitCode !== undefined) {
        throw new Error(`child exited (${String(this.exitCode)}) before reporting ${type}`);
      }
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`timed out waiting for ${type}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  async usage(
    command: 'usage' | 'gc-usage' = 'usage',
  ): Promise<Extract<Report, { type: 'usage' }>> {
    this.send({ type: command });
    return this.next('usage');
  }

  /** Asks the child to exit; kills it (by pid) if it has not after 5 s. */
  async stop(): Promise<void> {
    if (this.exitCode !== undefined) return;
    const exited = once(this.process, 'exit');
    this.send({ type: 'exit' });
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

function killChildren(): void {
  for (const child of children) child.kill('SIGKILL');
}
process.on('exit', killChildren);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killChildren();
    process.exit(130);
  });
}
