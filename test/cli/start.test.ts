// `npm start` stops however it is stopped: each of SIGINT and SIGTERM sent to
// ONE process (npm's PID, as systemd, Docker and `kill` do, or the start
// script's own PID), and SIGHUP to npm's (npm dies of it), stops the host in
// order, closes its port and leaves no process behind within 2 s (one
// deadline for both). SIGHUP to the host's own PID reloads the configuration
// instead. Run without npm under nohup, it outlives the shell that started it.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  alive,
  descendants,
  ensureBuilt,
  exitOf,
  hostStarted,
  killAll,
  portOpen,
  root,
  stopWithin2s,
  within,
} from './support/processes.js';

const dir = mkdtempSync(join(tmpdir(), 'netrx-start-'));
// Port 0: a free port, so this never clashes with a host on the default 7340.
const config = join(dir, 'any-port.yaml');
writeFileSync(config, 'http:\n  port: 0\nradius:\n  port: 0\ncapture:\n  rpc:\n    port: 0\n');

beforeAll(() => {
  expect(ensureBuilt()).toBe(0);
}, 120_000);

function start(target: 'npm' | 'script') {
  // detached: its own process group, so a signal to the PID reaches one
  // process only, never the group (as a terminal's Ctrl-C would).
  return target === 'npm'
    ? spawn('npm', ['start', '--', '--config', config], { cwd: root, detached: true })
    : spawn(process.execPath, ['scripts/start.mjs', '--config', config], {
        cwd: root,
        detached: true,
      });
}

describe('npm start stops on one signal to one process', () => {
  for (const target of ['npm', 'script'] as const) {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      if (target === 'script' && signal === 'SIGHUP') continue;
      it(`${signal} to the ${target} PID: port closed and every process gone within 2 s`, async () => {
        const child = start(target);
        const exited = exitOf(child);
        const result = await stopWithin2s(child, signal);
        expect({ closed: result.closed, alive: result.alive }).toEqual({ closed: true, alive: [] });
        expect(result.output).toMatch(/^stopping…$[\s\S]*^stopped$/m);
        const status = await exited;
        // npm does not forward SIGHUP: npm itself dies of it (a shell reports
        // 129) while the host, noticing, stops in order on its own.
        if (target === 'npm' && signal === 'SIGHUP') expect(status.signal).toBe('SIGHUP');
        else expect(status).toEqual({ code: 0, signal: null });
      });
    }
  }

  it('SIGHUP to the script PID reloads the configuration: the host stays up, then stops on SIGTERM', async () => {
    const child = start('script');
    const pids: number[] = [];
    try {
      const { port, output } = await hostStarted(child);
      pids.push(child.pid!, ...descendants(child.pid!));
      const exited = exitOf(child);
      process.kill(child.pid!, 'SIGHUP');
      const reloaded = await within(5000, () => output().includes('"msg":"reloaded: '));
      expect(reloaded).toBe(true);
      expect({ alive: alive(child.pid!), open: await portOpen(port) }).toEqual({
        alive: true,
        open: true,
      });
      process.kill(child.pid!, 'SIGTERM');
      expect(await within(2000, async () => !(await portOpen(port)) && !alive(child.pid!))).toBe(
        true,
      );
      expect(await exited).toEqual({ code: 0, signal: null });
    } finally {
      killAll(pids);
    }
  });

  it('a second SIGINT soon after the first (group Ctrl-C plus a forwarding wrapper) does not cut the stop short', async () => {
    const child = start('script');
    const pids: number[] = [];
    try {
      const { port, output } = await hostStarted(child);
      pids.push(child.pid!, ...descendants(child.pid!));
      // A WebSocket peer that never answers the close keeps the stop busy
      // for its 500 ms grace, so the second signal lands during the stop.
      const peer = connect(port, '127.0.0.1');
      await new Promise((r) => peer.once('connect', r));
      peer.write(
        'GET /ws/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
      await new Promise((r) => peer.once('data', r));
      peer.pause();
      peer.on('error', () => {});
      const exited = exitOf(child);
      process.kill(child.pid!, 'SIGINT');
      await new Promise((r) => setTimeout(r, 100));
      process.kill(child.pid!, 'SIGINT');
      const stopped = await within(2000, async () => !(await portOpen(port)) && !alive(child.pid!));
      peer.destroy();
      expect(stopped).toBe(true);
      // Not cut short by the second copy (that would exit 130 before "stopped").
      expect(await exited).toEqual({ code: 0, signal: null });
      expect(output()).toMatch(/^stopping…$[\s\S]*^stopped$/m);
    } finally {
      killAll(pids);
    }
  });

  it('SIGINT to the whole group (a terminal Ctrl-C) stops in order within 2 s', async () => {
    const child = start('npm');
    const pids: number[] = [];
    try {
      const { port, output } = await hostStarted(child);
      pids.push(child.pid!, ...descendants(child.pid!));
      process.kill(-child.pid!, 'SIGINT');
      const stopped = await within(
        2000,
        async () => !(await portOpen(port)) && pids.every((pid) => !alive(pid)),
      );
      expect({ stopped, alive: pids.filter(alive) }).toEqual({ stopped: true, alive: [] });
      expect(output()).toMatch(/^stopping…$[\s\S]*^stopped$/m);
    } finally {
      killAll(pids);
    }
  });

  it('node scripts/start.mjs & (nohup) keeps serving after the shell that started it exits', async () => {
    const log = join(dir, 'nohup.log');
    const shell = spawnSync(
      'bash',
      // The shell outlives the start (2 s), so the host sees its parent change.
      ['-c', `nohup node scripts/start.mjs --config ${config} > ${log} 2>&1 & echo $!; sleep 2`],
      { cwd: root, encoding: 'utf8' },
    );
    const pid = Number(shell.stdout.trim());
    expect(pid).toBeGreaterThan(0);
    try {
      // The shell is gone now; the host still serves a second later (a
      // watch of any parent would have stopped it within 200 ms).
      const up = await within(5000, () => readFileSync(log, 'utf8').includes('press Ctrl-C'));
      expect(up).toBe(true);
      await new Promise((r) => setTimeout(r, 1000));
      const port = Number(/127\.0\.0\.1:(\d+)\//.exec(readFileSync(log, 'utf8'))?.[1]);
      expect({ alive: alive(pid), open: await portOpen(port) }).toEqual({
        alive: true,
        open: true,
      });
    } finally {
      killAll([pid]);
    }
  });
});

describe('a signal during the setup steps', () => {
  it('is passed on to the build child: nothing keeps running after the script is gone', async () => {
    // The build itself takes ~30 s, so a stand-in child runs through the
    // same function ensureBuild runs tsc with.
    const script = [
      "const { runForwardingSignals } = await import('./scripts/lib/setup.mjs');",
      "const code = await runForwardingSignals(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);",
      'process.exit(code);',
    ].join('\n');
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: root,
      detached: true,
    });
    const pids: number[] = [];
    try {
      const started = await within(5000, () => descendants(child.pid!).length > 0);
      expect(started).toBe(true);
      pids.push(child.pid!, ...descendants(child.pid!));
      const exited = exitOf(child);
      process.kill(child.pid!, 'SIGTERM');
      const gone = await within(2000, () => pids.every((pid) => !alive(pid)));
      expect({ gone, alive: pids.filter(alive) }).toEqual({ gone: true, alive: [] });
      // The script reports the build's death by signal as a shell would: 128 + 15.
      expect(await exited).toEqual({ code: 143, signal: null });
    } finally {
      killAll(pids);
    }
  });
});
