// The LREC WebSocket server and client over loopback: real sockets, real clock
// (short timers), the synthetic provider, demo certificates for TLS.
import { connect as connectTcp } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  LREC_WS_SUBPROTOCOL,
  SessionTable,
  bearerSubprotocol,
  startSyntheticProvider,
  type SessionLimits,
} from '../../capture/index.js';
import { TraceRegistry } from '../../trace/index.js';
import { parseEventBuffer } from '../../wire/index.js';
import { createDemoCertificates, DEMO_SERVER_NAME } from '../certs/index.js';
import { systemClock } from '../runtime/index.js';
import { WebSocket } from '../websocket/index.js';
import { connectLrecWs, startLrecWsServer } from './index.js';

const TOKEN = 'correct horse battery staple';

function table(limits: Partial<SessionLimits> = {}) {
  const registry = new TraceRegistry({ clock: systemClock });
  const sessions = new SessionTable({ registry, clock: systemClock });
  const session = sessions.createSession({
    name: 'Example Session',
    providers: [{ provider: 'netrx-synthetic' }],
    limits: { timerMs: 100, eventsPerBuffer: 50, ...limits },
  });
  session.start();
  const synthetic = startSyntheticProvider({ registry, clock: systemClock, eventsPerSecond: 0 });
  return { registry, sessions, session, synthetic };
}

function count(buffer: Uint8Array): { events: number; lost: number } {
  const items = parseEventBuffer(buffer);
  if (!items.ok) throw new Error(items.failure.message);
  let events = 0;
  let lost = 0;
  for (const item of items.value) {
    if (item.kind === 'event') events++;
    else if (item.kind === 'lost') lost += item.lostEventCount;
  }
  return { events, lost };
}

async function until(condition: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The raw HTTP answer to an upgrade request with these extra header lines. */
async function rawUpgrade(port: number, extra: string[]): Promise<string> {
  const socket = connectTcp({ host: '127.0.0.1', port });
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(
    [
      'GET / HTTP/1.1',
      `Host: 127.0.0.1:${port}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
      'Sec-WebSocket-Version: 13',
      ...extra,
      '',
      '',
    ].join('\r\n'),
  );
  let text = '';
  await new Promise<void>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      // A 101 keeps the socket open: the head is all there is to read.
      if (text.startsWith('HTTP/1.1 101') && text.includes('\r\n\r\n')) socket.destroy();
    });
    socket.once('close', () => resolve());
  });
  return text;
}

describe('capture over WebSocket: start refusals', () => {
  it('needs a token (or --insecure-no-auth on loopback), 16+ characters, and TLS off loopback', async () => {
    const { sessions } = table();
    await expect(startLrecWsServer({ table: sessions, port: 0 })).rejects.toMatchObject({
      code: 'ERR_CAPTURE_WS_NO_TOKEN',
    });
    await expect(
      startLrecWsServer({ table: sessions, port: 0, token: 'short' }),
    ).rejects.toMatchObject({ code: 'ERR_CAPTURE_WS_WEAK_TOKEN' });
    await expect(
      startLrecWsServer({ table: sessions, port: 0, host: '0.0.0.0', token: TOKEN }),
    ).rejects.toMatchObject({ code: 'ERR_CAPTURE_WS_INSECURE_BIND' });
    const certs = createDemoCertificates();
    const tls = { cert: certs.server.certPem, key: certs.server.keyPem };
    await expect(
      startLrecWsServer({ table: sessions, port: 0, host: '0.0.0.0', insecureNoAuth: true, tls }),
    ).rejects.toMatchObject({ code: 'ERR_CAPTURE_WS_INSECURE_BIND' });
  });
});

describe('capture over WebSocket', () => {
  it('open, receive many, close through the netrx client; a dropped client stops the session', async () => {
    const { sessions, session, synthetic } = table();
    const server = await startLrecWsServer({ table: sessions, port: 0, token: TOKEN });
    try {
      const client = await connectLrecWs({ url: `ws://127.0.0.1:${server.port}`, token: TOKEN });
      const handle = await client.open('Example Session');
      synthetic.emit(500);
      let events = 0;
      while (events < 500) events += count(await client.receive(handle)).events;
      expect(events).toBe(500);
      await client.close(handle);
      await client.open('Example Session');
      client.end();
      await client.closed;
      await until(() => server.stats().connections === 0);
      expect(session.state).toBe('Stopped');
      expect(server.stats().rundowns).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('a second outstanding receive fails with 616; the timer completes the first', async () => {
    const { sessions, synthetic } = table({ timerMs: 150, eventsPerBuffer: 1000 });
    const server = await startLrecWsServer({ table: sessions, port: 0, token: TOKEN });
    try {
      const client = await connectLrecWs({ url: `ws://127.0.0.1:${server.port}`, token: TOKEN });
      const handle = await client.open('Example Session');
      const first = client.receive(handle);
      await expect(client.receive(handle)).rejects.toMatchObject({
        code: 'ERR_CAPTURE_WS_STATUS',
        number: 616,
      });
      await expect(client.receive('0'.repeat(32))).rejects.toMatchObject({ number: 0x1c00001a });
      const started = Date.now();
      synthetic.emit(3);
      expect(count(await first)).toEqual({ events: 3, lost: 0 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(100);
      client.end();
    } finally {
      await server.close();
    }
  });

  it('takes the longest session name in its longest JSON form (1024 escaped characters)', async () => {
    const { sessions } = table();
    const server = await startLrecWsServer({ table: sessions, port: 0, token: TOKEN });
    try {
      const client = await connectLrecWs({ url: `ws://127.0.0.1:${server.port}`, token: TOKEN });
      // Each control character is six bytes of JSON (\u0001): 6 KiB of request.
      await expect(client.open('\u0001'.repeat(1024))).rejects.toMatchObject({ number: 1168 });
      await expect(client.open('€'.repeat(1024))).rejects.toMatchObject({ number: 1168 });
      client.end();
    } finally {
      await server.close();
    }
  });

  it('refuses a bad or missing token at the upgrade with 401 and nothing else', async () => {
    const { sessions } = table();
    const server = await startLrecWsServer({ table: sessions, port: 0, token: TOKEN });
    try {
      await expect(
        connectLrecWs({ url: `ws://127.0.0.1:${server.port}`, token: `${TOKEN}!` }),
      ).rejects.toMatchObject({ code: 'ERR_CAPTURE_WS_UNAUTHORIZED' });
      await expect(
        connectLrecWs({
          url: `ws://127.0.0.1:${server.port}`,
          token: 'x'.repeat(32),
          tokenVia: 'subprotocol',
        }),
      ).rejects.toMatchObject({ code: 'ERR_CAPTURE_WS_UNAUTHORIZED' });
      const answer = await rawUpgrade(server.port, [
        `Sec-WebSocket-Protocol: ${LREC_WS_SUBPROTOCOL}`,
        'Authorization: Bearer wrong-token-wrong-token',
      ]);
      expect(answer).toMatch(/^HTTP\/1\.1 401 Unauthorized\r\n/);
      expect(answer).toContain('WWW-Authenticate: Bearer realm="netrx capture"');
      expect(answer).not.toMatch(/Example Session|Upgrade: websocket|Sec-WebSocket-Accept/i);
      expect(server.stats()).toMatchObject({ unauthorized: 3, connections: 0, calls: 0 });
      // The right token without netrx.lrec.v1 offered: 400.
      const noProtocol = await rawUpgrade(server.port, [`Authorization: Bearer ${TOKEN}`]);
      expect(noProtocol).toMatch(/^HTTP\/1\.1 400 /);
    } finally {
      await server.close();
    }
  });

  it('takes the token as a subprotocol (as browsers must) and never echoes it', async () => {
    const { sessions } = table();
    const server = await startLrecWsServer({ table: sessions, port: 0, token: TOKEN });
    try {
      const answer = await rawUpgrade(server.port, [
        `Sec-WebSocket-Protocol: ${LREC_WS_SUBPROTOCOL}, ${bearerSubprotocol(TOKEN)}`,
      ]);
      expect(answer).toMatch(/^HTTP\/1\.1 101 /);
      expect(answer).toContain(`Sec-WebSocket-Protocol: ${LREC_WS_SUBPROTOCOL}\r\n`);
      expect(answer).not.toContain('netrx.bearer.');
      const client = await connectLrecWs({
        url: `ws://127.0.0.1:${server.port}`,
        token: TOKEN,
        tokenVia: 'subprotocol',
      });
      expect((await client.open('Example Session')).length).toBe(32);
      client.end();
    } finally {
      await server.close();
    }
  });

  it('a client that never reads costs counted loss, with the socket buffer bounded; delivered + lost = generated', async () => {
    const limits = { bufferBytes: 65_536, maxBuffers: 4, eventsPerBuffer: 0, timerMs: 100 };
    const { sessions, session, synthetic } = table(limits);
    const congestion = 128 * 1024;
    const server = await startLrecWsServer({
      table: sessions,
      port: 0,
      token: TOKEN,
      congestionBytes: congestion,
      maxPendingReplies: 256,
    });
    try {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}`, [LREC_WS_SUBPROTOCOL], {
        headers: { Authorization: `Bearer ${TOKEN}` },
        perMessageDeflate: false,
      });
      const frames: (string | Uint8Array)[] = [];
      ws.on('message', (data: Buffer, binary: boolean) =>
        frames.push(binary ? new Uint8Array(data) : data.toString('utf8')),
      );
      await new Promise((resolve) => ws.once('open', resolve));
      let id = 0;
      const request = (o: object) => ws.send(JSON.stringify({ id: ++id, ...o }));
      request({ call: 'open', session: 'Example Session' });
      await until(() => frames.length === 1);
      const handle = (JSON.parse(frames[0] as string) as { handle: string }).handle;
      ws.pause(); // never read from here on
      let peak = 0;
      // A client that keeps asking but never reads: one receive per step, 60 MB of
      // events. The receives refused (616) while congested wait in the core's
      // backlog (maxPendingReplies; past it the client is cut: ws-admission.test.ts).
      for (let step = 0; step < 200; step++) {
        synthetic.emit(1000);
        request({ call: 'receive', handle });
        await new Promise((resolve) => setTimeout(resolve, 2));
        peak = Math.max(peak, server.stats().bufferedBytes);
      }
      const stats = server.stats();
      expect(stats.deferredReceives).toBeGreaterThan(0);
      // Bound: the congestion threshold, one EVENT_BUFFER and a reply, never the 60 MB.
      expect(peak).toBeLessThanOrEqual(congestion + limits.bufferBytes + 64 * 1024);
      expect(session.stats().lostTotal).toBeGreaterThan(0);
      expect(session.stats().allocatedBytes).toBeLessThanOrEqual(
        limits.maxBuffers * limits.bufferBytes,
      );
      // Now read: every generated event is delivered or reported lost.
      ws.resume();
      let delivered = 0;
      let lost = 0;
      let seen = 1;
      const drainFrames = () => {
        for (; seen < frames.length; seen++) {
          const f = frames[seen] as string | Uint8Array;
          if (typeof f !== 'string') {
            const c = count(f);
            delivered += c.events;
            lost += c.lost;
          }
        }
      };
      await until(() => (drainFrames(), server.stats().bufferedBytes === 0));
      while (delivered + lost < synthetic.generated) {
        const before = frames.length;
        request({ call: 'receive', handle });
        await until(
          () =>
            frames.length > before + 1 ||
            (frames.length > before && (frames[before] as string).includes('"ok":false')),
        );
        drainFrames();
      }
      expect(delivered + lost).toBe(synthetic.generated);
      ws.close();
    } finally {
      await server.close();
    }
  });

  it('cuts off a client that floods requests but never reads, past maxWriteBufferBytes', async () => {
    const { sessions } = table();
    const server = await startLrecWsServer({
      table: sessions,
      port: 0,
      insecureNoAuth: true, // loopback without a token
      maxWriteBufferBytes: 256 * 1024,
    });
    try {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}`, [LREC_WS_SUBPROTOCOL], {
        perMessageDeflate: false,
      });
      await new Promise((resolve) => ws.once('open', resolve));
      ws.pause();
      ws.on('error', () => undefined);
      const closed = new Promise((resolve) => ws.once('close', resolve));
      // Each answered with ~150 bytes the client never reads.
      const bad = JSON.stringify({ id: 1, call: 'receive', handle: '0'.repeat(32) });
      let peak = 0;
      for (let i = 0; i < 200 && server.stats().slowReaders === 0; i++) {
        for (let j = 0; j < 1000; j++) ws.send(bad);
        await new Promise((resolve) => setTimeout(resolve, 5));
        peak = Math.max(peak, server.stats().bufferedBytes);
      }
      await until(() => server.stats().slowReaders === 1, 20_000);
      expect(peak).toBeGreaterThan(0);
      expect(peak).toBeLessThanOrEqual(256 * 1024);
      ws.terminate();
      await closed;
      await until(() => server.stats().connections === 0);
    } finally {
      await server.close();
    }
  });

  it('serves wss: with demo certificates; a client that does not trust the CA fails', async () => {
    const certs = createDemoCertificates();
    const { sessions, synthetic } = table();
    const server = await startLrecWsServer({
      table: sessions,
      port: 0,
      token: TOKEN,
      tls: { cert: certs.server.certPem, key: certs.server.keyPem },
    });
    try {
      expect(server.scheme).toBe('wss');
      const url = `wss://127.0.0.1:${server.port}`;
      await expect(
        connectLrecWs({ url, token: TOKEN, servername: DEMO_SERVER_NAME }),
      ).rejects.toThrow();
      const client = await connectLrecWs({
        url,
        token: TOKEN,
        ca: certs.ca.certPem,
        servername: DEMO_SERVER_NAME,
      });
      const handle = await client.open('Example Session');
      synthetic.emit(50);
      expect(count(await client.receive(handle)).events).toBe(50);
      await client.close(handle);
      client.end();
    } finally {
      await server.close();
    }
  });
});
