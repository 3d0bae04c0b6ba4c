// Regression (review of issue 13): the engine read the ClientHello random at
// fixed bytes 11..43 of its first record, but TLS lets a handshake message
// span records (RFC 8446 §5.1, RFC 5246 §6.2.1). A ClientHello whose first
// record carries one byte made the engine wait under the wrong bytes while
// OpenSSL used the real random, so another conversation waiting under that
// random was joined to this conversation's socket: its keys and identity.
import { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { certs } from '../../../test/interop/support/eap-tls-dialogue.js';
import type { TlsEngine } from '../../eap/index.js';
import { createNodeTlsEngineFactory, type TlsVersionName } from './tls-engine.js';
import { scanClientHello, TlsServerHub } from './tls-server-hub.js';

const settled = (engine: TlsEngine) => new Promise<void>((done) => engine.whenSettled(done));
const turn = () => new Promise((done) => setImmediate(done));

function serverFactory() {
  return createNodeTlsEngineFactory({
    server: {
      cert: certs.server.certPem,
      key: certs.server.keyPem,
      ca: certs.ca.certPem,
      requireClientCertificate: false,
    },
  });
}

function rawClient(maxVersion: TlsVersionName) {
  const out: Buffer[] = [];
  const duplex = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      out.push(chunk);
      callback();
    },
  });
  const socket = tls.connect({
    socket: duplex,
    ca: certs.ca.certPem,
    servername: 'radius.netrx.test',
    maxVersion,
  });
  socket.on('error', () => {});
  return {
    socket,
    flight: async () => {
      await turn();
      return Buffer.concat(out.splice(0));
    },
    deliver: (bytes: Uint8Array) => {
      if (bytes.length > 0) duplex.push(Buffer.from(bytes));
    },
  };
}

/** The first record's handshake bytes re-framed as records of the given payload sizes. */
function reframe(flight: Buffer, sizes: readonly number[]): Buffer {
  const length = flight.readUInt16BE(3);
  const payload = flight.subarray(5, 5 + length);
  const records: Buffer[] = [];
  let at = 0;
  for (const size of [...sizes, payload.length]) {
    if (at >= payload.length) break;
    const part = payload.subarray(at, Math.min(payload.length, at + Math.max(1, size)));
    const header = Buffer.from([22, flight[1] ?? 3, flight[2] ?? 1, 0, 0]);
    header.writeUInt16BE(part.length, 3);
    records.push(header, part);
    at += part.length;
  }
  return Buffer.concat([...records, flight.subarray(5 + length)]);
}

describe('a ClientHello split over several records', () => {
  it('scanClientHello reads the real random however the handshake bytes are framed', async () => {
    const client = rawClient('TLSv1.3');
    const hello = await client.flight();
    client.socket.destroy();
    const random = hello.subarray(11, 43).toString('hex');
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 60 }), { maxLength: 12 }),
        fc.integer({ min: 0, max: 400 }),
        (sizes, cut) => {
          const stream = reframe(hello, sizes);
          expect(scanClientHello(stream)).toEqual({ random });
          // Any prefix asks for more or already knows the same random; never another one.
          const prefix = scanClientHello(stream.subarray(0, Math.min(cut, stream.length)));
          expect(
            prefix === 'more' || (typeof prefix === 'object' && prefix.random === random),
          ).toBe(true);
        },
      ),
    );
  });

  it('scanClientHello refuses what is not a ClientHello in handshake records, and never throws', () => {
    expect(scanClientHello(Uint8Array.from([0x80, 0x2e, 1, 3, 3]))).toBe('refused'); // SSLv2 hello
    expect(scanClientHello(Uint8Array.from([21, 3, 3, 0, 2, 2, 40]))).toBe('refused');
    expect(scanClientHello(Uint8Array.from([22, 3, 3, 0, 1, 2]))).toBe('refused');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const result = scanClientHello(bytes);
        expect(result === 'more' || result === 'refused' || typeof result.random === 'string').toBe(
          true,
        );
      }),
    );
  });

  // TLS 1.2: the server's first keylog line (CLIENT_RANDOM) comes after the client's second
  // flight, so a victim waits under its random for a whole round trip.
  it('TLSv1.2: a conversation re-framing another one’s ClientHello cannot take its place', async () => {
    const factory = serverFactory();
    const attacker = rawClient('TLSv1.2');
    const hello = await attacker.flight();
    // The victim conversation offered this random first (here: the same bytes, normally framed).
    const victim = factory.create('server');
    victim.feed(hello);
    await settled(victim);
    // The attacker's conversation sends the same ClientHello with its first record one byte long.
    const engine = factory.create('server');
    engine.feed(reframe(hello, [1]));
    await settled(engine);
    attacker.deliver(engine.takeOutput());
    for (let round = 0; round < 6; round++) {
      const flight = await attacker.flight();
      if (flight.length > 0 && engine.state === 'handshaking') engine.feed(flight);
      await settled(engine);
      attacker.deliver(engine.takeOutput());
      await settled(victim);
    }
    expect(victim.state).not.toBe('established');
    expect(victim.peerCertificate()).toBeUndefined();
    expect(() => victim.exportKeyingMaterial('client EAP encryption', 64)).toThrow();
    expect(victim.error?.code).toBe('ERR_NETRX_TLS_DUPLICATE_HELLO');
    expect(engine.error?.code).toBe('ERR_NETRX_TLS_DUPLICATE_HELLO');
    attacker.socket.destroy();
    victim.close();
    engine.close();
  });
});

describe('keylog lines', () => {
  it('are wiped once the hub has read them (no key log asked for)', async () => {
    const hub = new TlsServerHub(
      {
        cert: certs.server.certPem,
        key: certs.server.keyPem,
        ca: certs.ca.certPem,
        maxVersion: 'TLSv1.3',
      },
      undefined,
    );
    const seen: Buffer[] = [];
    // A later listener sees the Buffer after the hub: by then it holds no secret.
    hub.tlsServer.on('keylog', (line: Buffer) => seen.push(line));
    const attached: tls.TLSSocket[] = [];
    const engine = {
      attach: (socket: tls.TLSSocket) => attached.push(socket),
      established: () => {},
      clientError: () => {},
      duplicateHello: () => {},
    };
    const client = rawClient('TLSv1.3');
    const fromServer: Buffer[] = [];
    const duplex = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        fromServer.push(chunk);
        callback();
      },
    });
    hub.connect(duplex);
    const hello = await client.flight();
    const scan = scanClientHello(hello);
    expect(typeof scan).toBe('object');
    expect(hub.expect((scan as { random: string }).random, engine)).toBe(true);
    duplex.push(hello);
    for (let i = 0; i < 20 && seen.length < 5; i++) await turn();
    expect(attached).toHaveLength(1);
    expect(seen.length).toBeGreaterThanOrEqual(4);
    for (const line of seen) expect(line.every((byte) => byte === 0)).toBe(true);
    expect(hub.waitingCount).toBe(0);
    client.socket.destroy();
    duplex.destroy();
    attached[0]?.destroy();
  });
});
