import { spawn, type ChildProcess } from 'node:child_process';

/** A spawned peer: everything it prints (stdout and stderr) and a wait for a pattern in it. */
export interface Watched {
  readonly child: ChildProcess;
  text(): string;
  until(pattern: RegExp, ms?: number): Promise<RegExpExecArray>;
  /** Resolves with the exit code (or the signal name) once the process has ended. */
  exited(): Promise<number | string>;
}

export function watched(command: string, args: readonly string[]): Watched {
  return watchChild(spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** Watches a child already started (for instance by a namespace lab's `spawnIn`). */
export function watchChild(child: ChildProcess): Watched {
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exit = new Promise<number | string>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve(child.exitCode ?? child.signalCode ?? 'unknown');
    } else child.once('close', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  return {
    child,
    text: () => text,
    exited: () => exit,
    until: (pattern, ms = 15_000) =>
      new Promise((resolve, reject) => {
        const started = Date.now();
        const poll = setInterval(() => {
          const match = pattern.exec(text);
          if (match !== null) {
            clearInterval(poll);
            resolve(match);
          } else if (child.exitCode !== null || Date.now() - started > ms) {
            clearInterval(poll);
            reject(new Error(`no ${String(pattern)} (exit ${child.exitCode}):\n${text}`));
          }
        }, 50);
      }),
  };
}

/** Runs a command to completion: its exit code and everything it printed. */
export async function ran(
  command: string,
  args: readonly string[],
): Promise<{ code: number | string; text: string }> {
  const run = watched(command, args);
  const code = await run.exited();
  return { code, text: run.text() };
}

/** SIGTERM by PID (the child we spawned, nothing else), then SIGKILL if it lingers. */
export async function stopped(peer: Watched | undefined, ms = 5_000): Promise<void> {
  await stopChild(peer?.child, 'SIGTERM', ms);
}

/** `signal` to a child we spawned (by PID), SIGKILL if it lingers past `ms`; resolves once it ended. */
export async function stopChild(
  child: ChildProcess | undefined,
  signal: NodeJS.Signals = 'SIGTERM',
  ms = 5_000,
): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const ended = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  child.kill(signal);
  await ended;
  clearTimeout(timer);
}
