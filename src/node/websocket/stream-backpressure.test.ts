/**
 * `pause()` and `createWebSocketStream` backpressure (outside review 3,
 * mutation survivors M17 and M20-M23). Real loopback sockets: what is
 * guarded is whether a socket is read, so the tests watch the socket and
 * the peer's unsent bytes, polling for the state they expect (no fixed
 * sleeps decide an outcome).
 */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer, createWebSocketStream } from './index.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Polls `condition` every 5 ms; resolves true when it holds, false after `ms`. */
async function until(condition: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) return false;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return true;
}

async function pair(): Promise<{ server: WebSocket; client: WebSocket }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => wss.once('listening', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  );
  const connected = new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`);
  cleanups.push(() => client.terminate());
  await new Promise((resolve) => client.once('open', resolve));
  return { server: await connected, client };
}

const CHUNK = Buffer.alloc(64 * 1024, 0x5a);

describe('pause() stops reading the socket (M17)', () => {
  it('a paused client stops reading, so the sender meets TCP backpressure', async () => {
    const { server, client } = await pair();
    client.pause();
    expect(client.socket?.isPaused()).toBe(true);
    for (let i = 0; i < 256; i++) server.send(CHUNK); // 16 MiB
    // Wait for the kernel buffers to fill: the server's unsent bytes stop falling.
    let last = -1;
    await until(() => {
      const now = server.bufferedAmount;
      const steady = now === last;
      last = now;
      return steady && now < 16 * 1024 * 1024;
    }, 5000);
    // Loopback kernel buffers hold a few MiB at most: the rest waits on the server.
    expect(server.bufferedAmount).toBeGreaterThan(8 * 1024 * 1024);
    let got = 0;
    client.on('message', () => got++);
    client.resume();
    expect(await until(() => got === 256, 10_000)).toBe(true);
  });
});

describe('createWebSocketStream backpressure (M20-M23)', () => {
  it('a full readable side pauses the connection (M20) and read() resumes it to the end (M23)', async () => {
    const { server, client } = await pair();
    const duplex = createWebSocketStream(client);
    for (let i = 0; i < 200; i++) server.send(CHUNK);
    expect(await until(() => client.isPaused, 5000)).toBe(true);
    expect(client.socket?.isPaused()).toBe(true);
    server.close();
    let bytes = 0;
    for await (const chunk of duplex) bytes += (chunk as Buffer).length;
    expect(bytes).toBe(200 * CHUNK.length);
  });

  it('write() completes only when the socket took the message (M21); end() waits for the close (M22)', async () => {
    const { server, client } = await pair();
    const duplex = createWebSocketStream(client);
    server.pause(); // the peer does not read
    const big = Buffer.alloc(1024 * 1024, 0x33);
    let writesDone = 0;
    for (let i = 0; i < 32; i++) duplex.write(big, () => writesDone++);
    // Once the client's socket is full, the writes still queued are not complete.
    expect(await until(() => client.socket?.writableNeedDrain === true, 5000)).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(writesDone).toBeLessThan(32);
    server.resume();
    expect(await until(() => writesDone === 32, 10_000)).toBe(true);
    let finished = false;
    duplex.end(() => (finished = true));
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(finished).toBe(false);
    expect(client.readyState).toBe(WebSocket.CLOSING);
    expect(await until(() => finished, 5000)).toBe(true);
    expect(client.readyState).toBe(WebSocket.CLOSED);
  });
});
