// Process helpers for the tests that start a host and stop it with a signal.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { resolve } from 'node:path';

export const root = resolve(import.meta.dirname, '..', '..', '..');

/** A process is gone when it no longer exists or is a zombie waiting for its reaper. */
export function alive(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return false;
  try {
    const state = readFileSync(stat, 'utf8').replace(/^.*\) /s, '')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Every process below `pid`: children, their children, and so on. */
export function descendants(pid: number): number[] {
  const result = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' });
  const children = result.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map(Number);
  return children.flatMap((child) => [child, ...descendants(child)]);
}

export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolveOpen) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolveOpen(true);
    });
    socket.once('error', () => resolveOpen(false));
  });
}

/** True as soon as `condition` holds, false if it still does not after `ms` (one deadline). */
export async function within(
  ms: number,
  condition: () => Promise<boolean> | boolean,
): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits for the host's "press Ctrl-C" line; returns the port it serves and its output so far. */
export async function hostStarted(
  child: ChildProcess,
): Promise<{ port: number; output: () => string }> {
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const port = await new Promise<number>((resolvePort, reject) => {
    const onData = () => {
      const match = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(output);
      if (match?.[1] !== undefined && output.includes('press Ctrl-C')) {
        child.stdout?.off('data', onData);
        resolvePort(Number(match[1]));
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited early with ${code}: ${output}`)));
  });
  return { port, output: () => output };
}

export function exitOf(
  child: ChildProcess,
): Promise<{ code: number | null; signal: string | null }> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
}

/**
 * Signals `child` (one process, not its group) once the host is up, and
 * reports, after one 2 s deadline, whether the port is closed and every
 * process of the tree is gone.
 */
export async function stopWithin2s(
  child: ChildProcess,
  signal: NodeJS.Signals,
): Promise<{ closed: boolean; alive: number[]; output: string }> {
  const pids: number[] = [];
  try {
    const { port, output } = await hostStarted(child);
    pids.push(child.pid!, ...descendants(child.pid!));
    const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as {
      status: string;
    };
    if (health.status !== 'ok') throw new Error(`host not healthy: ${JSON.stringify(health)}`);
    process.kill(child.pid!, signal);
    let closed = false;
    await within(2000, async () => {
      closed = !(await portOpen(port));
      return closed && pids.every((pid) => !alive(pid));
    });
    return { closed, alive: pids.filter(alive), output: output() };
  } finally {
    killAll([child.pid!, ...pids]);
  }
}

/** SIGKILLs whatever of `pids` is still there (a failed test leaves nothing behind). */
export function killAll(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Builds dist/ once (a stat when fresh), so no start in a test spends its time building. */
export function ensureBuilt(): number | null {
  return spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      "const m = await import('./scripts/lib/setup.mjs'); process.exit(await m.ensureBuild());",
    ],
    { cwd: root, stdio: 'ignore' },
  ).status;
}
