// `netrx up` stops in order on SIGTERM: stop accepting, finish or close
// sessions (the WebSocket peer gets its 1001, the capture reader its last
// buffer), flush captures; it exits 0 within a bound, every port it held is
// free again, and its log lines (JSON, pino) say so in that order.
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { connectLrecTcp } from '../../src/node/capture/index.js';
import { ensureBuilt, exitOf, killAll, portOpen, root } from './support/processes.js';

const main = join(root, 'dist/cli/main.js');
const dir = mkdtempSync(join(tmpdir(), 'netrx-up-shutdown-'));
const config = join(dir, 'ephemeral.yaml');
writeFileSync(
  config,
  'http:\n  port: 0\nradius:\n  port: 0\ncapture:\n  rpc:\n    port: 0\nsynthetic:\n  intervalMs: 200\n',
);

beforeAll(() => {
  expect(ensureBuilt()).toBe(0);
}, 120_000);

function udpPortFree(port: number): Promise<boolean> {
  const socket = createSocket('udp4');
  return new Promise((resolve) => {
    socket.once('error', () => resolve(false));
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

describe('netrx up: ordered shutdown on SIGTERM', () => {
  it('stops accepting, closes sessions, flushes captures, exits 0 with every port free', async () => {
    const child = spawn(process.execPath, [main, 'up', '--config', config], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      await new Promise<void>((resolve, reject) => {
        const check = () => stdout.includes('press Ctrl-C') && resolve();
        child.stdout.on('data', check);
        child.once('exit', (code) => reject(new Error(`exited early (${code}): ${stderr}`)));
      });
      const port = (pattern: RegExp) => Number(pattern.exec(stdout)?.[1]);
      const http = port(/http +http:\/\/127\.0\.0\.1:(\d+)\//);
      const radius = port(/udp 127\.0\.0\.1:(\d+)/);
      const rpc = port(/rpc:\/\/127\.0\.0\.1:(\d+)/);
      expect([http, radius, rpc].every((p) => p > 0)).toBe(true);

      // A WebSocket session and a capture reader that are open when the signal comes.
      const ws = new WebSocket(`ws://127.0.0.1:${http}/ws/echo`);
      await new Promise((resolve) => ws.once('open', resolve));
      const wsClosed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
      const capture = await connectLrecTcp({ host: '127.0.0.1', port: rpc });
      const handle = await capture.open('default');
      await capture.receive(handle);
      const lastReceive = capture.receive(handle).then(
        () => 'completed',
        () => 'failed',
      );

      const exited = exitOf(child);
      const signalledAt = performance.now();
      child.kill('SIGTERM');
      const status = await exited;
      const tookMs = performance.now() - signalledAt;
      expect(status).toEqual({ code: 0, signal: null });
      // A hang guard, not a speed check: the stop's waits are each bounded
      // (the synthetic round by its timeouts, the echo's 500 ms grace, the
      // capture's 1 s flush); a 3 s bound failed by chance at load 20
      // (3138 ms from the signal to the exit).
      expect(tookMs).toBeLessThan(10_000);
      expect(await wsClosed).toBe(1001);
      // The outstanding receive completed (the session stopped) before the connection closed.
      expect(await lastReceive).toBe('completed');
      capture.end();

      expect(await portOpen(http)).toBe(false);
      expect(await portOpen(rpc)).toBe(false);
      expect(await udpPortFree(radius)).toBe(true);

      const messages = stderr
        .trimEnd()
        .split('\n')
        .map((line) => (JSON.parse(line) as { msg: string; level: number }).msg);
      const order = [
        'stopping: no longer accepting connections',
        'synthetic stopped',
        'websocket-echo stopped: closed 1 connection(s) (1001)',
        'radius stopped',
        'capture stopped: ',
        'http stopped',
        'stopped',
      ];
      const positions = order.map((m) => messages.findIndex((line) => line.startsWith(m)));
      expect(positions.every((p) => p >= 0)).toBe(true);
      expect([...positions].sort((a, b) => a - b)).toEqual(positions);
      expect(stdout).toMatch(/^stopping…\nstopped\n$/m);
    } finally {
      killAll([child.pid!]);
    }
  }, 30_000);
});
