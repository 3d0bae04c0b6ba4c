/**
 * Hostile and broken clients against the netrx echo server, over raw TCP:
 * a slowloris handshake, impossible and enormous frame lengths, floods of
 * pings and of tiny fragments (the ws 8.21 memory attack), unmasked frames
 * and handshakes the server must refuse. Throughout, the server must stay
 * up, keep serving other clients, and keep its memory bounded (read from
 * /proc/PID/status of the spawned server).
 *
 * The refusal statuses are those of src/websocket/handshake.ts
 * (validateUpgradeRequest / buildRejection): 400 for a missing Upgrade or a
 * missing Sec-WebSocket-Key, 426 with `Sec-WebSocket-Version: 13` for any
 * version but 13; every refusal carries `Connection: close`.
 */
import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requirePeers } from './support/peers.js';
import {
  processMemory,
  resetPeakMemory,
  startEchoServer,
  type EchoServer,
} from './support/ws-echo.js';
import {
  OP,
  RawWebSocket,
  buildFrame,
  frameHeader,
  httpExchange,
  sha256,
} from './support/ws-raw.js';

/** The longest a server may let a handshake trickle in before dropping the socket. */
const HANDSHAKE_DEADLINE_MS = 30_000;
/** How much the server's peak resident memory may exceed its resident memory before an attack. */
const MEMORY_GROWTH_BOUND = 64 * 1024 * 1024;
/** How long the ping-flooding client leaves the pongs unread. */
const FLOOD_UNREAD_MS = 2_000;
const ANSWER_MS = 5_000;

const peers = requirePeers('websocket-bad-input.test.ts', [
  {
    name: '/proc/PID/status',
    ok: () => existsSync('/proc/self/status'),
    hint: 'Linux procfs, to read the server’s memory',
  },
]);

describe.skipIf(peers.skip)('the echo server under bad input', () => {
  let server: EchoServer;
  const clients = new Set<RawWebSocket>();
  const sockets = new Set<Socket>();

  async function open(): Promise<RawWebSocket> {
    const client = await RawWebSocket.connect(server.port);
    clients.add(client);
    return client;
  }

  /** A quick proof that the server still serves: a fresh connection echoes a message. */
  async function expectServerServes(): Promise<void> {
    expect(server.alive(), `the server exited: ${server.stderr()}`).toBe(true);
    const probe = await open();
    const payload = Buffer.from('still serving');
    probe.sendText(payload);
    const echo = await probe.nextMessage(ANSWER_MS);
    expect(echo.payload.equals(payload)).toBe(true);
    probe.destroy();
  }

  function expectMemoryBounded(before: number, what: string): void {
    const { peakRss } = processMemory(server.pid);
    const growth = peakRss - before;
    console.info(
      `${what}: server peak RSS ${(growth / 1048576).toFixed(1)} MiB over its RSS before`,
    );
    expect(growth).toBeLessThan(MEMORY_GROWTH_BOUND);
  }

  beforeAll(async () => {
    server = await startEchoServer();
    console.info(`websocket bad input against ${server.implementation} at ${server.url}`);
  });

  afterEach(() => {
    for (const client of clients) client.destroy();
    clients.clear();
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  });

  afterAll(async () => {
    await server?.stop();
  });

  it(
    'drops a slowloris handshake (one byte per second) within the deadline while another client keeps working',
    { timeout: HANDSHAKE_DEADLINE_MS + 20_000 },
    async () => {
      const request = Buffer.from(
        'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
      const slow = connect({ host: '127.0.0.1', port: server.port });
      sockets.add(slow);
      slow.setNoDelay(true);
      slow.on('error', () => undefined);
      const started = Date.now();
      const dropped = new Promise<number>((resolve) =>
        slow.once('close', () => resolve(Date.now() - started)),
      );
      let sent = 0;
      const drip = setInterval(() => {
        // Never finish: stop one byte short of the blank line.
        if (sent < request.length - 1 && !slow.destroyed)
          slow.write(request.subarray(sent, ++sent));
      }, 1_000);
      try {
        // Another client works while the slow one trickles.
        await expectServerServes();
        const deadline = new Promise<never>((_, reject) =>
          setTimeout(
            () =>
              reject(
                new Error(
                  `the server kept a slowloris handshake open for ${HANDSHAKE_DEADLINE_MS} ms (${sent} bytes sent)`,
                ),
              ),
            HANDSHAKE_DEADLINE_MS,
          ).unref(),
        );
        const after = await Promise.race([dropped, deadline]);
        console.info(`slowloris dropped after ${after} ms and ${sent} bytes`);
        await expectServerServes();
      } finally {
        clearInterval(drip);
      }
    },
  );

  it('fails a 64-bit length with the most significant bit set with 1002', async () => {
    const client = await open();
    client.write(frameHeader({ opcode: OP.binary, length: 1n << 63n }));
    const close = await client.nextClose(ANSWER_MS);
    expect(close.before).toEqual([]);
    expect(close.code).toBe(1002);
    await expectServerServes();
  });

  it('fails a legal but enormous length (2^62) with 1009 at once, without allocating it', async () => {
    const before = resetPeakMemory(server.pid);
    const client = await open();
    // Only the header: the close must come before any payload.
    client.write(frameHeader({ opcode: OP.binary, length: 1n << 62n }));
    const close = await client.nextClose(ANSWER_MS);
    expect(close.before).toEqual([]);
    expect(close.code).toBe(1009);
    expectMemoryBounded(before, '2^62-byte header');
    await expectServerServes();
  });

  it(
    'survives 100k pings from a client that reads nothing for a while: pongs in order up to the last ping, then either an echo or a close 1008',
    { timeout: 120_000 },
    async () => {
      const before = resetPeakMemory(server.pid);
      const client = await open();
      const COUNT = 100_000;
      const ping = (i: number) =>
        buildFrame({ opcode: OP.ping, payload: Buffer.from(String(i).padStart(125, '0')) });
      client.socket.pause();
      const batch: Buffer[] = [];
      for (let i = 0; i < COUNT; i++) {
        batch.push(ping(i));
        if (batch.length === 1000) client.write(Buffer.concat(batch.splice(0)));
      }
      // Leave the pongs unread for a while: the server must not buffer without bound.
      await new Promise((resolve) => setTimeout(resolve, FLOOD_UNREAD_MS));
      expect(server.alive(), `the server exited: ${server.stderr()}`).toBe(true);
      client.socket.resume();
      // RFC 6455 §5.5.3: a pong may answer only the latest of several pings,
      // so pongs must come in order. Either every ping is answered up to the
      // last and the connection still echoes, or the server refuses the flood
      // with a close frame 1008 (policy) after in-order pongs. Dropping the
      // TCP connection without a close frame fails.
      let last = -1;
      let pongs = 0;
      let closeCode: number | undefined;
      while (last < COUNT - 1) {
        const frame = await client.nextFrame(60_000, `the pong for ping ${COUNT - 1}`);
        if (frame.opcode === OP.close) {
          closeCode = frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : undefined;
          break;
        }
        expect(frame.opcode).toBe(OP.pong);
        const seq = Number(frame.payload.toString());
        expect(seq).toBeGreaterThan(last);
        last = seq;
        pongs++;
      }
      if (closeCode === undefined) {
        console.info(`100k pings answered by ${pongs} pongs; the connection survived`);
        const payload = Buffer.from('after the flood');
        client.sendText(payload);
        expect((await client.nextMessage(ANSWER_MS)).payload.equals(payload)).toBe(true);
      } else {
        console.info(`100k pings: ${pongs} pongs up to ping ${last}, then close ${closeCode}`);
        expect(closeCode).toBe(1008);
      }
      expectMemoryBounded(before, '100k pings unread');
      await expectServerServes();
    },
  );

  it(
    'closes a message of 1,000,000 one-byte fragments with 1008 or 1009, memory bounded',
    { timeout: 120_000 },
    async () => {
      const before = resetPeakMemory(server.pid);
      const client = await open();
      const COUNT = 1_000_000;
      const first = buildFrame({ opcode: OP.text, fin: false, payload: 'a' });
      const middle = buildFrame({ opcode: OP.continuation, fin: false, payload: 'a' });
      const last = buildFrame({ opcode: OP.continuation, fin: true, payload: 'a' });
      const all = Buffer.allocUnsafe(first.length * COUNT);
      first.copy(all, 0);
      for (let i = 1; i < COUNT - 1; i++) middle.copy(all, i * middle.length);
      last.copy(all, (COUNT - 1) * last.length);
      client.write(all);
      const close = await client.nextClose(60_000);
      expect(close.before.map((f) => `opcode ${f.opcode}, ${f.payload.length} bytes`)).toEqual([]);
      expect([1008, 1009]).toContain(close.code);
      console.info(`1M fragments: closed with ${close.code}`);
      expectMemoryBounded(before, '1M one-byte fragments');
      await expectServerServes();
    },
  );

  it('fails an unmasked client frame with 1002', async () => {
    const client = await open();
    client.sendFrame({ opcode: OP.text, payload: 'not masked', mask: false });
    const close = await client.nextClose(ANSWER_MS);
    expect(close.before).toEqual([]);
    expect(close.code).toBe(1002);
  });

  describe('handshakes the server refuses', () => {
    const head = (lines: readonly string[]) => `${lines.join('\r\n')}\r\n\r\n`;

    it('answers a request without Sec-WebSocket-Key with 400 and closes', async () => {
      const exchange = await httpExchange(
        server.port,
        head([
          'GET / HTTP/1.1',
          'Host: 127.0.0.1',
          'Upgrade: websocket',
          'Connection: Upgrade',
          'Sec-WebSocket-Version: 13',
        ]),
      );
      expect(exchange.response?.status).toBe(400);
      expect(exchange.serverClosed).toBe(true);
    });

    for (const version of ['8', '12']) {
      it(`answers Sec-WebSocket-Version ${version} with 426 and Sec-WebSocket-Version: 13`, async () => {
        const exchange = await httpExchange(
          server.port,
          head([
            'GET / HTTP/1.1',
            'Host: 127.0.0.1',
            'Upgrade: websocket',
            'Connection: Upgrade',
            'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
            `Sec-WebSocket-Version: ${version}`,
          ]),
        );
        expect(exchange.response?.status).toBe(426);
        expect(exchange.response?.headers.get('sec-websocket-version')).toEqual(['13']);
        expect(exchange.serverClosed).toBe(true);
      });
    }

    it('answers a plain GET (no Upgrade) with 426 Upgrade Required and closes', async () => {
      // Not an upgrade at all, so HTTP answers it (RFC 9110 §15.5.22), as ws does.
      const exchange = await httpExchange(
        server.port,
        head(['GET / HTTP/1.1', 'Host: 127.0.0.1', 'Connection: close']),
      );
      expect(exchange.response?.status).toBe(426);
      expect(exchange.serverClosed).toBe(true);
    });

    it('still upgrades a good request afterwards', async () => {
      const client = await open();
      const payload = Buffer.from('fine');
      client.sendText(payload);
      const echo = await client.nextMessage(ANSWER_MS);
      expect(sha256(echo.payload)).toBe(sha256(payload));
    });
  });
});
