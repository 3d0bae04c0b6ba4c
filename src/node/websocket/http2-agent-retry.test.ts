/**
 * `Http2WebSocketAgent` retries a CONNECT the server did not process
 * (RFC 9113 §8.7), once, on another session: a stream reset with
 * REFUSED_STREAM, or one above a GOAWAY's last-stream-id. Other resets are
 * not retried, and neither is a second refusal. The server refuses through
 * a session 'stream' listener that runs before the WebSocketServer's (which
 * then leaves the closed stream alone).
 */
import { constants, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import { afterEach, describe, expect, it } from 'vitest';
import { Http2WebSocketAgent } from './http2-agent.js';
import {
  http2Pair,
  nextMessage,
  openedClient,
  type Http2Kind,
  type Http2Pair,
} from './http2-pair.js';
import { WebSocket } from './websocket.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

type Refusal = (stream: ServerHttp2Stream, session: ServerHttp2Session) => void;

const REFUSE: Refusal = (stream) => stream.close(constants.NGHTTP2_REFUSED_STREAM);
const INTERNAL_ERROR: Refusal = (stream) => stream.close(constants.NGHTTP2_INTERNAL_ERROR);

interface Refusing {
  readonly pair: Http2Pair;
  readonly agent: Http2WebSocketAgent;
  /** CONNECT streams the server refused. */
  refused: number;
  open(): Promise<string>;
}

/** A server that refuses its first `count` CONNECT streams with `refusal`. */
async function refusing(kind: Http2Kind, count: number, refusal: Refusal): Promise<Refusing> {
  const pair = await http2Pair(kind, { path: '/echo' });
  const agent = new Http2WebSocketAgent();
  cleanups.push(() => pair.close());
  cleanups.push(() => agent.destroy());
  const state: Refusing = {
    pair,
    agent,
    refused: 0,
    open: async () => {
      const ws = new WebSocket(pair.url, { ...pair.clientOptions, http2: agent });
      cleanups.push(() => ws.terminate());
      try {
        await openedClient(ws);
      } catch (error) {
        return `failed: ${(error as Error).message}`;
      }
      const reply = nextMessage(ws);
      ws.send('after a refusal');
      return `echoed: ${(await reply).data.toString()}`;
    },
  };
  pair.http2Server.on('session', (session: ServerHttp2Session) => {
    // Before the server's own listener, which hands the stream to the WebSocketServer.
    session.prependListener('stream', (stream: ServerHttp2Stream) => {
      if (state.refused >= count) return;
      state.refused++;
      stream.on('error', () => {});
      refusal(stream, session);
    });
  });
  return state;
}

describe.each<Http2Kind>(['h2c', 'tls'])('Http2WebSocketAgent retries (%s)', (kind) => {
  it('a CONNECT refused with REFUSED_STREAM once opens on a second session', async () => {
    const s = await refusing(kind, 1, REFUSE);
    expect(await s.open()).toBe('echoed: after a refusal');
    expect(s.refused).toBe(1);
    expect(s.agent.sessionsOpened).toBe(2);
    expect(s.pair.seen).toEqual({ sessions: 2, connects: 2 });
  });

  it('a CONNECT above a GOAWAY last-stream-id is retried on a new session', async () => {
    // Node's goaway() reads a last-stream-id of 0 as "the last one processed",
    // so two WebSockets share the first session and the GOAWAY names the first's id.
    const pair = await http2Pair(kind, { path: '/echo' });
    const agent = new Http2WebSocketAgent();
    cleanups.push(() => pair.close());
    cleanups.push(() => agent.destroy());
    let first = true;
    pair.http2Server.on('session', (session: ServerHttp2Session) => {
      session.prependListener('stream', (stream: ServerHttp2Stream) => {
        if (!first) return;
        first = false;
        session.goaway(constants.NGHTTP2_NO_ERROR, stream.id ?? 1);
      });
    });
    const sockets = [0, 1].map(() => {
      const ws = new WebSocket(pair.url, { ...pair.clientOptions, http2: agent });
      cleanups.push(() => ws.terminate());
      return ws;
    });
    const replies = await Promise.all(
      sockets.map(async (ws, i) => {
        await openedClient(ws);
        const reply = nextMessage(ws);
        ws.send(`socket ${i}`);
        return (await reply).data.toString();
      }),
    );
    expect(replies).toEqual(['socket 0', 'socket 1']);
    expect(agent.sessionsOpened).toBe(2);
    expect(pair.seen.sessions).toBe(2);
  });
});

describe('Http2WebSocketAgent: what is not retried', () => {
  it('a second refusal fails the WebSocket (one retry only)', async () => {
    const s = await refusing('h2c', 2, REFUSE);
    expect(await s.open()).toMatch(/^failed: .*REFUSED_STREAM/);
    expect(s.refused).toBe(2);
    expect(s.pair.seen.connects).toBe(2);
  });

  it('a reset with another code (INTERNAL_ERROR) fails at once, not retried', async () => {
    const s = await refusing('h2c', 1, INTERNAL_ERROR);
    expect(await s.open()).toMatch(/^failed: .*INTERNAL_ERROR/);
    expect(s.pair.seen.connects).toBe(1);
    expect(s.agent.sessionsOpened).toBe(1);
  });

  it('a CONNECT closed unanswered with NO_ERROR fails at once (not at the handshake timeout)', async () => {
    const s = await refusing('h2c', 1, (stream) => stream.close(constants.NGHTTP2_NO_ERROR));
    const ws = new WebSocket(s.pair.url, { http2: s.agent, handshakeTimeout: 60_000 });
    cleanups.push(() => ws.terminate());
    const outcome = await Promise.race([
      openedClient(ws).then(
        () => 'open',
        (error: Error) => `failed: ${error.message}`,
      ),
      // A bound on the wait, not a sleep: without the fix it waited for handshakeTimeout.
      new Promise((resolve) => setTimeout(resolve, 3000, 'still connecting after 3 s')),
    ]);
    expect(outcome).toMatch(/^failed: .*closed the CONNECT stream/);
  });
});
