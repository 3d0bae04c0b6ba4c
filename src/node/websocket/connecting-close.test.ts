/**
 * `close()` and `terminate()` while CONNECTING, as `ws` does them (outside
 * review 3, finding 1): `readyState` is CLOSING when the call returns, and
 * `'error'` then `'close'` (1006) come on a later tick, never inside the
 * call. The same scenario runs against `ws` itself, so the two must agree.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WS from 'ws';
import { WebSocket } from './index.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A TCP server that accepts and never answers the upgrade. */
async function mute(): Promise<number> {
  const sockets: Socket[] = [];
  const server: Server = createServer((s) => {
    s.on('error', () => undefined);
    sockets.push(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return (server.address() as AddressInfo).port;
}

type Client = {
  readyState: number;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  close(): void;
  terminate(): void;
};

async function scenario(make: (url: string) => Client, how: 'close' | 'terminate') {
  const port = await mute();
  const ws = make(`ws://127.0.0.1:${port}/`);
  const log: string[] = [];
  const closed = new Promise<void>((resolve) => {
    ws.on('error', (e) => log.push(`error:${(e as Error).message}`));
    ws.on('close', (code) => {
      log.push(`close:${String(code)} state:${ws.readyState}`);
      resolve();
    });
  });
  ws[how]();
  log.push(`returned state:${ws.readyState}`);
  await closed;
  return log;
}

describe('close()/terminate() while CONNECTING (as ws)', () => {
  for (const how of ['close', 'terminate'] as const) {
    it(`${how}(): readyState CLOSING on return, 'error' and 'close' on a later tick`, async () => {
      const netrx = await scenario((url) => new WebSocket(url), how);
      expect(netrx).toEqual([
        'returned state:2',
        'error:WebSocket was closed before the connection was established',
        'close:1006 state:3',
      ]);
      const ws = await scenario((url) => new WS(url), how);
      expect(netrx).toEqual(ws);
    });
  }

  it('a second close() (or terminate()) in the same tick changes nothing', async () => {
    const port = await mute();
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    let errors = 0;
    let closes = 0;
    ws.on('error', () => errors++);
    const closed = new Promise<void>((resolve) =>
      ws.on('close', () => {
        closes++;
        resolve();
      }),
    );
    ws.close();
    ws.close();
    ws.terminate();
    expect(ws.readyState).toBe(ws.CLOSING);
    await closed;
    await new Promise((resolve) => setImmediate(resolve));
    expect([errors, closes]).toEqual([1, 1]);
  });
});

describe('bad subprotocols throw SyntaxError, as in ws (and WHATWG)', () => {
  for (const protocols of [['a', 'a'], ['a b'], ['']]) {
    it(`new WebSocket(url, ${JSON.stringify(protocols)})`, () => {
      const netrx = (): unknown => new WebSocket('ws://127.0.0.1:9/', protocols);
      const ws = (): unknown => new WS('ws://127.0.0.1:9/', protocols);
      expect(ws).toThrow(SyntaxError);
      expect(netrx).toThrow(SyntaxError);
    });
  }
});
