// `npm start` stops however it is stopped: each of SIGINT, SIGTERM and SIGHUP
// sent to ONE process (npm's PID, as systemd, Docker and `kill` do, or the
// start script's own PID) stops the host in order, closes its port and leaves
// no process behind within 2 s.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'netrx-start-'));
// Port 0: a free port, so this never clashes with a host on the default 7340.
const config = join(dir, 'any-port.yaml');
writeFileSync(config, 'http:\n  port: 0\n');

/** A process is gone when it no longer exists or is a zombie waiting for its reaper. */
function alive(pid: number): boolean {
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
function descendants(pid: number): number[] {
  const result = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' });
  const children = result.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map(Number);
  return children.flatMap((child) => [child, ...descendants(child)]);
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolveOpen) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolveOpen(true);
    });
    socket.once('error', () => resolveOpen(false));
  });
}

async function within(ms: number, condition: () => Promise<boolean> | boolean): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts `command`, waits for the host's "press Ctrl-C" line, returns the port it serves. */
async function startHost(child: ChildProcess): Promise<{ port: number; output: () => string }> {
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

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
}

beforeAll(() => {
  // Build once here, so no start below spends its time building (setup is a stat when fresh).
  const built = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      "const m = await import('./scripts/lib/setup.mjs'); process.exit(m.ensureBuild());",
    ],
    { cwd: root, stdio: 'ignore' },
  );
  expect(built.status).toBe(0);
}, 120_000);

describe('npm start stops on one signal to one process', () => {
  for (const target of ['npm', 'script'] as const) {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      it(`${signal} to the ${target} PID: port closed and every process gone within 2 s`, async () => {
        // detached: its own process group, so the signal below reaches one
        // process only, never the group (as a terminal's Ctrl-C would).
        const child =
          target === 'npm'
            ? spawn('npm', ['start', '--', '--config', config], { cwd: root, detached: true })
            : spawn(process.execPath, ['scripts/start.mjs', '--config', config], {
                cwd: root,
                detached: true,
              });
        const pids: number[] = [];
        try {
          const { port, output } = await startHost(child);
          pids.push(child.pid!, ...descendants(child.pid!));
          // npm runs the script with `exec`: npm's child is the start script itself.
          if (target === 'npm') expect(pids).toHaveLength(2);
          const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as {
            status: string;
          };
          expect(health.status).toBe('ok');

          const exited = exitOf(child);
          process.kill(child.pid!, signal);
          const closed = await within(2000, async () => !(await portOpen(port)));
          const gone = await within(2000, () => pids.every((pid) => !alive(pid)));
          expect({ closed, gone, alive: pids.filter(alive) }).toEqual({
            closed: true,
            gone: true,
            alive: [],
          });
          expect(output()).toContain('stopped');
          const status = await exited;
          // npm does not forward SIGHUP: npm itself dies of it while the host stops on its own.
          if (target === 'npm' && signal === 'SIGHUP') expect(status.signal).toBe('SIGHUP');
          else expect(status).toEqual({ code: 0, signal: null });
        } finally {
          for (const pid of [child.pid!, ...pids]) {
            try {
              if (alive(pid)) process.kill(pid, 'SIGKILL');
            } catch {
              // already gone
            }
          }
        }
      });
    }
  }

  it('SIGINT to the whole group (a terminal Ctrl-C: the host gets it twice) stops in order', async () => {
    const child = spawn('npm', ['start', '--', '--config', config], { cwd: root, detached: true });
    const pids: number[] = [];
    try {
      const { port, output } = await startHost(child);
      pids.push(child.pid!, ...descendants(child.pid!));
      // The terminal signals the group, and npm forwards its own copy to the script.
      process.kill(-child.pid!, 'SIGINT');
      const closed = await within(2000, async () => !(await portOpen(port)));
      const gone = await within(2000, () => pids.every((pid) => !alive(pid)));
      expect({ closed, gone }).toEqual({ closed: true, gone: true });
      // Stopped in order, not cut short by the second copy of the signal.
      expect(output()).toMatch(/stopping…\nstopped\n/);
    } finally {
      for (const pid of pids) {
        try {
          if (alive(pid)) process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  });
});
