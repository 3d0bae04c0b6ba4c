/**
 * `Http2WebSocketAgent` against the netrx RFC 8441 server: many WebSockets
 * share one TCP connection (counted on the server), a GOAWAY sends the next
 * WebSocket to a fresh session while the open one finishes, and an idle
 * session closes `idleTimeout` after its last WebSocket (fake setTimeout).
 */
import type { ServerHttp2Session } from 'node:http2';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Http2WebSocketAgent } from './http2-agent.js';
import {
  closedWith,
  http2Pair,
  nextMessage,
  openedClient,
  type Http2Kind,
  type Http2Pair,
} from './http2-pair.js';
import { WebSocket } from './websocket.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Counted {
  readonly pair: Http2Pair;
  /** TCP connections the server accepted. */
  readonly connections: { count: number };
  readonly serverSessions: ServerHttp2Session[];
  readonly agent: Http2WebSocketAgent;
  open(): Promise<WebSocket>;
}

async function setup(kind: Http2Kind, idleTimeout?: number): Promise<Counted> {
  // Only /echo is served: other paths are refused (400), for the failed-attempt test.
  const pair = await http2Pair(kind, { path: '/echo' });
  const connections = { count: 0 };
  const serverSessions: ServerHttp2Session[] = [];
  pair.http2Server.on('connection', () => connections.count++);
  pair.http2Server.on('session', (s: ServerHttp2Session) => serverSessions.push(s));
  const agent = new Http2WebSocketAgent(idleTimeout === undefined ? {} : { idleTimeout });
  cleanups.push(() => pair.close());
  cleanups.push(() => agent.destroy());
  return {
    pair,
    connections,
    serverSessions,
    agent,
    open: async () => {
      const ws = new WebSocket(pair.url, { ...pair.clientOptions, http2: agent });
      cleanups.push(() => ws.terminate());
      return openedClient(ws);
    },
  };
}

async function echoes(ws: WebSocket, text: string): Promise<void> {
  const reply = nextMessage(ws);
  ws.send(text);
  expect((await reply).data.toString()).toBe(text);
}

/** The client side learns of the close a few event-loop turns after the server (real setImmediate). */
async function forgotten(agent: Http2WebSocketAgent): Promise<void> {
  for (let i = 0; i < 1000 && agent.sessionCount > 0; i++) await nextTurn();
  expect(agent.sessionCount).toBe(0);
}

function sessionClosed(session: ServerHttp2Session): Promise<void> {
  return new Promise((resolve) => {
    if (session.closed || session.destroyed) resolve();
    else session.once('close', resolve);
  });
}

describe.each<Http2Kind>(['tls', 'h2c'])('Http2WebSocketAgent (%s)', (kind) => {
  it('opens many WebSockets on one session: one TCP connection on the server', async () => {
    const s = await setup(kind);
    const sockets = await Promise.all(Array.from({ length: 8 }, () => s.open()));
    await Promise.all(sockets.map((ws, i) => echoes(ws, `socket ${i}`)));
    expect(s.connections.count).toBe(1);
    expect(s.pair.seen).toEqual({ sessions: 1, connects: 8 });
    expect(s.agent.sessionCount).toBe(1);
    expect(s.agent.sessionsOpened).toBe(1);
    // Each is its own stream: closing one leaves the others open.
    const done = closedWith(sockets[0] as WebSocket);
    sockets[0]?.close(1000);
    expect((await done).code).toBe(1000);
    await echoes(sockets[1] as WebSocket, 'still here');
  });

  it('after a GOAWAY the open WebSocket finishes and the next one gets a new session', async () => {
    const s = await setup(kind);
    const first = await s.open();
    const goaway = new Promise<void>((resolve) =>
      (first.socket as unknown as { session: NodeJS.EventEmitter }).session.once('goaway', () =>
        resolve(),
      ),
    );
    s.serverSessions[0]?.goaway();
    await goaway;
    expect(s.agent.sessionCount).toBe(0);
    await echoes(first, 'graceful');
    const second = await s.open();
    await echoes(second, 'new session');
    expect(s.connections.count).toBe(2);
    expect(s.pair.seen.sessions).toBe(2);
    expect(s.agent.sessionsOpened).toBe(2);
  });
});

describe('Http2WebSocketAgent: idle sessions (fake setTimeout)', () => {
  it('closes a session idleTimeout ms after its last WebSocket, unless one came back', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const s = await setup('h2c', 5000);
    const a = await s.open();
    const closedA = closedWith(a);
    a.close();
    await closedA;
    vi.advanceTimersByTime(4000);
    // A WebSocket within the idle time takes the same session and stops the timer.
    const b = await s.open();
    vi.advanceTimersByTime(10_000);
    await echoes(b, 'reused');
    expect(s.connections.count).toBe(1);
    const closedB = closedWith(b);
    b.close();
    await closedB;
    const server = s.serverSessions[0] as ServerHttp2Session;
    vi.advanceTimersByTime(4999);
    expect(server.closed || server.destroyed).toBe(false);
    expect(s.agent.sessionCount).toBe(1);
    vi.advanceTimersByTime(1);
    await sessionClosed(server);
    await forgotten(s.agent);
    // The next WebSocket connects again.
    await echoes(await s.open(), 'reconnected');
    expect(s.connections.count).toBe(2);
  });

  it('a failed attempt gives its reservation back (the session idles and closes)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const s = await setup('h2c', 100);
    const refused = new WebSocket(s.pair.url.replace('/echo', '/elsewhere'), {
      ...s.pair.clientOptions,
      http2: s.agent,
    });
    cleanups.push(() => refused.terminate());
    const failed = new Promise<unknown>((resolve) => refused.once('error', resolve));
    expect(await failed).toBeInstanceOf(Error);
    expect(s.agent.sessionCount).toBe(1);
    vi.advanceTimersByTime(100);
    await sessionClosed(s.serverSessions[0] as ServerHttp2Session);
    await forgotten(s.agent);
  });
});

describe('Http2WebSocketAgent: options', () => {
  it('refuses a negative idleTimeout and maxStreamsPerSession under 1', () => {
    expect(() => new Http2WebSocketAgent({ idleTimeout: -1 })).toThrow(RangeError);
    expect(() => new Http2WebSocketAgent({ maxStreamsPerSession: 0 })).toThrow(RangeError);
  });

  it('opens a second session past maxStreamsPerSession', async () => {
    const pair = await http2Pair('h2c');
    cleanups.push(() => pair.close());
    const agent = new Http2WebSocketAgent({ maxStreamsPerSession: 2 });
    cleanups.push(() => agent.destroy());
    const sockets = await Promise.all(
      Array.from({ length: 3 }, () => {
        const ws = new WebSocket(pair.url, { ...pair.clientOptions, http2: agent });
        cleanups.push(() => ws.terminate());
        return openedClient(ws);
      }),
    );
    expect(sockets).toHaveLength(3);
    expect(pair.seen).toEqual({ sessions: 2, connects: 3 });
  });
});

describe("Http2WebSocketAgent: the server's SETTINGS_MAX_CONCURRENT_STREAMS", () => {
  // ws-review F2: before the fix both went onto the first session and the
  // second waited in nghttp2's queue until its handshake timed out.
  it.each([2, 5])(
    '%i WebSockets opened in one turn against a server allowing 1 stream each get a session',
    async (count) => {
      const pair = await http2Pair('h2c');
      pair.http2Server.updateSettings({ maxConcurrentStreams: 1, enableConnectProtocol: true });
      const agent = new Http2WebSocketAgent();
      cleanups.push(() => pair.close());
      cleanups.push(() => agent.destroy());
      const sockets = Array.from({ length: count }, () => {
        const ws = new WebSocket(pair.url, { http2: agent });
        cleanups.push(() => ws.terminate());
        return ws;
      });
      const outcomes = await Promise.all(
        sockets.map((ws) =>
          Promise.race([
            openedClient(ws).then(
              () => 'open',
              (error: Error) => `failed: ${error.message}`,
            ),
            // A bound on the wait, not a sleep: the bug made it 30 s (handshakeTimeout).
            new Promise((resolve) => setTimeout(resolve, 3000, 'still connecting after 3 s')),
          ]),
        ),
      );
      expect(outcomes).toEqual(Array.from({ length: count }, () => 'open'));
      expect(agent.sessionsOpened).toBe(count);
      expect(pair.seen).toEqual({ sessions: count, connects: count });
      await Promise.all(sockets.map((ws) => echoes(ws, 'on its own session')));
    },
  );

  it('a server allowing 2 streams takes 2 of 3 WebSockets on one session', async () => {
    const pair = await http2Pair('h2c');
    pair.http2Server.updateSettings({ maxConcurrentStreams: 2, enableConnectProtocol: true });
    const agent = new Http2WebSocketAgent();
    cleanups.push(() => pair.close());
    cleanups.push(() => agent.destroy());
    const sockets = await Promise.all(
      Array.from({ length: 3 }, () => {
        const ws = new WebSocket(pair.url, { http2: agent });
        cleanups.push(() => ws.terminate());
        return openedClient(ws);
      }),
    );
    expect(sockets).toHaveLength(3);
    expect(pair.seen).toEqual({ sessions: 2, connects: 3 });
  });
});
