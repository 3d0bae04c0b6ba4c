/**
 * The runtime adapters' host half (runtimes/shared/pump.ts and
 * connection.ts) over an in-memory byte pipe: handshake, echo, the close
 * handshake, the echoes a peer's close must not cancel, and backpressure.
 */
import { webcrypto } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openClient, serveConnection, type ByteSink } from '../../runtimes/shared/connection.js';
import type { ByteTransport, HandlePump } from '../../runtimes/shared/pump.js';
import type { CloseStatus } from '../../src/websocket/index.js';
import { createPakoDeflateCodec } from '../../src/websocket/portable.js';
import { webCrypto } from './websocket-suite.js';

const crypto = webCrypto((bytes) => webcrypto.getRandomValues(bytes));

/** One direction of the pipe: bytes taken by `write` wait until the test moves them. */
class Wire implements ByteTransport {
  readonly queued: Uint8Array[] = [];
  closed = false;
  sink: ByteSink | undefined;
  private waiters: (() => void)[] = [];

  write(bytes: Uint8Array): void {
    this.queued.push(bytes);
  }
  flushed(): Promise<void> {
    if (this.queued.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  close(): void {
    this.closed = true;
  }
  /** Delivers what was written to the other side; returns whether anything moved. */
  move(): boolean {
    const moved = this.queued.splice(0);
    for (const bytes of moved) this.sink?.push(bytes);
    if (this.closed && moved.length === 0 && this.sink !== undefined) {
      const sink = this.sink;
      this.sink = undefined;
      sink.end();
    }
    const waiters = this.waiters.splice(0);
    for (const wake of waiters) wake();
    return moved.length > 0;
  }
}

function connect(deflate: boolean) {
  const toServer = new Wire();
  const toClient = new Wire();
  const options = { crypto, ...(deflate ? { deflateCodec: createPakoDeflateCodec() } : {}) };
  const serverSeen: string[] = [];
  let serverClosed: CloseStatus | undefined;
  toServer.sink = serveConnection(
    toClient,
    options,
    {
      message: (type, data) => {
        serverSeen.push(`${type}:${data.length}`);
        echo?.send(type, data);
      },
      closed: (status) => (serverClosed = status),
    },
    (pump) => (echo = pump),
  );
  let echo: HandlePump | undefined;
  const clientSeen: { type: string; data: Uint8Array }[] = [];
  let clientClosed: CloseStatus | undefined;
  const client = openClient(toServer, { host: 'pipe.test' }, options, {
    message: (type, data) => clientSeen.push({ type, data }),
    closed: (status) => (clientClosed = status),
  });
  toClient.sink = client.sink;
  const exchange = (): void => {
    for (let i = 0; i < 1000; i++) {
      const a = toServer.move();
      const b = toClient.move();
      if (!a && !b) return;
    }
    throw new Error('the pipe never went quiet');
  };
  return {
    toServer,
    toClient,
    client,
    exchange,
    serverSeen,
    clientSeen,
    echoPump: () => echo,
    serverClosed: () => serverClosed,
    clientClosed: () => clientClosed,
  };
}

describe('HandlePump over an in-memory pipe', () => {
  for (const deflate of [false, true]) {
    it(`opens, echoes every message sent before the close, and closes cleanly (deflate ${deflate ? 'on' : 'off'})`, async () => {
      const p = connect(deflate);
      p.exchange();
      const pump = await p.client.opened;
      const echo = p.echoPump()!;
      // The server gets the messages and the close in one read and echoes
      // each; its writes are taken at once, so the close (which cancels sends
      // still queued in the handle) cannot drop the last echoes. Completing a
      // write only once the transport had written it lost them (73 of 80 in
      // the Deno probe).
      const sent = Array.from({ length: 20 }, (_, i) => new Uint8Array(i * 500).fill(i));
      for (const data of sent) pump.send('binary', data);
      pump.close(4001, 'done');
      p.exchange();
      expect(p.serverSeen).toHaveLength(20);
      expect(p.clientSeen).toHaveLength(20);
      p.clientSeen.forEach((m, i) => expect(m.data).toEqual(sent[i]));
      expect(echo.handle.state).toBe('closed');
      expect(p.clientClosed()).toEqual({ code: 4001, reason: 'done' });
      expect(p.serverClosed()).toEqual({ code: 4001, reason: 'done' });
      expect(p.toServer.closed && p.toClient.closed).toBe(true);
    });
  }

  it('ready() waits for the transport to write what it took (backpressure)', async () => {
    const p = connect(false);
    p.exchange();
    await p.client.opened;
    const echo = p.echoPump()!;
    echo.send('text', new TextEncoder().encode('held'));
    let ready = false;
    const sink = p.toServer.sink!;
    const waiting = sink.ready().then(() => (ready = true));
    await Promise.resolve();
    await Promise.resolve();
    expect(ready).toBe(false);
    p.toClient.move();
    await waiting;
    expect(ready).toBe(true);
    expect(p.clientSeen.map((m) => new TextDecoder().decode(m.data))).toEqual(['held']);
  });

  it('answers a bad request with 400 and closes without a WebSocket', () => {
    const out = new Wire();
    const sink = serveConnection(
      out,
      { crypto },
      { message: () => undefined, closed: () => undefined },
    );
    sink.push(new TextEncoder().encode('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    expect(new TextDecoder().decode(out.queued[0])).toMatch(/^HTTP\/1\.1 4\d\d /);
    expect(out.closed).toBe(true);
  });
});
