import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WS from 'ws';
import type { WebSocket } from './index.js';
import { WebSocketServer } from './index.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A server with `options`, and the netrx side of one `ws` client's connection. */
async function connectedPair(
  options: ConstructorParameters<typeof WebSocketServer>[0],
): Promise<{ ws: WebSocket; client: WS }> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
  await new Promise((resolve) => server.once('listening', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const c of server.clients) c.terminate();
        server.close(() => resolve());
      }),
  );
  const connected = new Promise<WebSocket>((resolve) => server.once('connection', resolve));
  const client = new WS(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  cleanups.push(() => client.terminate());
  await new Promise((resolve) => client.once('open', resolve));
  return { ws: await connected, client };
}

function codeOf(error: Error | undefined): string | undefined {
  if (error === undefined || !('code' in error)) return undefined;
  return String(error.code);
}

describe('send callbacks run in send order (ws review, item 1)', () => {
  it('a send refused over maxBackpressure does not overtake earlier accepted sends', async () => {
    const { ws } = await connectedPair({ maxBackpressure: 1500 });
    const order: string[] = [];
    const done = new Promise<void>((resolve) => {
      ws.send(Buffer.alloc(1000, 1), (error) => order.push(`a:${codeOf(error) ?? 'ok'}`));
      expect(
        ws.send(Buffer.alloc(1000, 2), (error) => order.push(`b:${codeOf(error) ?? 'ok'}`)),
      ).toBe('dropped');
      ws.send(Buffer.alloc(100, 3), (error) => {
        order.push(`c:${codeOf(error) ?? 'ok'}`);
        resolve();
      });
    });
    await done;
    expect(order).toEqual(['a:ok', 'b:ERR_WS_BACKPRESSURE', 'c:ok']);
    expect(ws.readyState).toBe(1);
  });

  it('a send after close() does not overtake the sends made before it', async () => {
    const { ws } = await connectedPair({});
    const order: string[] = [];
    const done = new Promise<void>((resolve) => {
      ws.send('first', (error) => order.push(`first:${codeOf(error) ?? 'ok'}`));
      ws.ping('p', undefined, (error) => order.push(`ping:${codeOf(error) ?? 'ok'}`));
      ws.close();
      ws.send('late', (error) => {
        order.push(`late:${codeOf(error) ?? 'ok'}`);
        resolve();
      });
    });
    await done;
    expect(order).toEqual(['first:ok', 'ping:ok', 'late:ERR_WS_NOT_OPEN']);
  });

  it('a refused send without earlier pending sends still hears it asynchronously', async () => {
    const { ws } = await connectedPair({ maxBackpressure: 10 });
    let heard: Error | undefined;
    let sync = true;
    const done = new Promise<void>((resolve) =>
      ws.send(Buffer.alloc(11), (error) => {
        heard = error;
        expect(sync).toBe(false);
        resolve();
      }),
    );
    sync = false;
    await done;
    expect(codeOf(heard)).toBe('ERR_WS_BACKPRESSURE');
  });
});

describe('no message is lost silently past maxBackpressure (ws review, item 2)', () => {
  it('without a callback, a refused send fails the connection: error, then close 1008', async () => {
    const { ws, client } = await connectedPair({ maxBackpressure: 1500 });
    const errors: Error[] = [];
    ws.on('error', (error: Error) => errors.push(error));
    const received: number[] = [];
    client.on('message', (data: Buffer) => received.push(data.length));
    const peerClosed = new Promise<number>((resolve) =>
      client.once('close', (code: number) => resolve(code)),
    );
    const closed = new Promise<number>((resolve) =>
      ws.once('close', (code: number) => resolve(code)),
    );
    expect(ws.send(Buffer.alloc(1000))).toBe('sent');
    expect(ws.send(Buffer.alloc(1000))).toBe('dropped');
    // Nothing after the hole reaches the peer.
    expect(ws.send(Buffer.alloc(10))).toBe('dropped');
    expect(await peerClosed).toBe(1008);
    expect(await closed).toBe(1008);
    expect(errors.map(codeOf)).toEqual(['ERR_WS_BACKPRESSURE']);
    expect(received).toEqual([1000]);
    expect(ws.sendsRefused).toBe(1);
  });

  it('without a callback and without an error listener, the close still says so', async () => {
    const { ws, client } = await connectedPair({ maxBackpressure: 10 });
    const peerClosed = new Promise<{ code: number; reason: string }>((resolve) =>
      client.once('close', (code: number, reason: Buffer) =>
        resolve({ code, reason: reason.toString() }),
      ),
    );
    expect(ws.send('more than ten bytes')).toBe('dropped');
    expect(await peerClosed).toEqual({ code: 1008, reason: 'send backpressure limit exceeded' });
  });

  it('with a callback, the caller hears the refusal and the connection stays open', async () => {
    const { ws, client } = await connectedPair({ maxBackpressure: 10 });
    const heard = await new Promise<Error | undefined>((resolve) =>
      ws.send('more than ten bytes', resolve),
    );
    expect(codeOf(heard)).toBe('ERR_WS_BACKPRESSURE');
    const echoed = new Promise<string>((resolve) =>
      client.once('message', (data: Buffer) => resolve(data.toString())),
    );
    expect(ws.send('short')).toBe('sent');
    expect(await echoed).toBe('short');
    expect(ws.readyState).toBe(1);
  });
});

describe('ping() and pong() are bounded as send() is (issue 8, defect 11)', () => {
  it('a ping over maxBackpressure is refused to its callback, the connection stays open', async () => {
    const { ws } = await connectedPair({ maxBackpressure: 1500 });
    const order: string[] = [];
    const done = new Promise<void>((resolve) => {
      ws.send(Buffer.alloc(1450, 1), (error) => order.push(`a:${codeOf(error) ?? 'ok'}`));
      ws.ping(Buffer.alloc(100, 2), undefined, (error) =>
        order.push(`ping:${codeOf(error) ?? 'ok'}`),
      );
      ws.pong(Buffer.alloc(100, 3), undefined, (error) =>
        order.push(`pong:${codeOf(error) ?? 'ok'}`),
      );
      ws.send(Buffer.alloc(10, 4), (error) => {
        order.push(`b:${codeOf(error) ?? 'ok'}`);
        resolve();
      });
    });
    await done;
    expect(order).toEqual(['a:ok', 'ping:ERR_WS_BACKPRESSURE', 'pong:ERR_WS_BACKPRESSURE', 'b:ok']);
    expect(ws.sendsRefused).toBe(2);
    expect(ws.readyState).toBe(1);
  });

  // The bound is set small (the default, 65536, made this test take 21 s on a
  // loaded machine); the code path is the same for any bound. The default
  // itself is asserted below and in defaults.test.ts.
  it('pings past the core send-queue bound are refused, never thrown', async () => {
    const bound = 512;
    const { ws } = await connectedPair({ maxQueuedSends: bound });
    const outcomes = new Map<string, number>();
    let last: (() => void) | undefined;
    const done = new Promise<void>((resolve) => (last = resolve));
    const count = bound + 2; // queued in one turn
    let thrown: unknown;
    try {
      for (let i = 0; i < count; i++) {
        ws.ping(undefined, undefined, (error) => {
          const key = codeOf(error) ?? 'ok';
          outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
          if (i === count - 1) last?.();
        });
      }
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeUndefined();
    await done;
    expect(outcomes.get('ERR_WS_SEND_QUEUE_FULL')).toBe(2);
    expect(outcomes.get('ok')).toBe(bound);
    expect(ws.readyState).toBe(1);
  });
});
