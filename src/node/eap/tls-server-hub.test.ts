// One tls.Server per engine factory (tls-server-hub.ts): engines find their
// socket by the ClientHello random, so interleaved conversations stay apart,
// a replayed ClientHello is refused in both conversations, and a handshake
// that fails before any key still fails its engine with the server's reason.
import { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { certs } from '../../../test/interop/support/eap-tls-dialogue.js';
import type { TlsEngine } from '../../eap/index.js';
import { createNodeTlsEngineFactory, type TlsVersionName } from './tls-engine.js';

const settled = (engine: TlsEngine) => new Promise<void>((done) => engine.whenSettled(done));
const turn = () => new Promise((done) => setImmediate(done));

function serverFactory(minVersion: TlsVersionName = 'TLSv1.2') {
  return createNodeTlsEngineFactory({
    server: {
      cert: certs.server.certPem,
      key: certs.server.keyPem,
      ca: certs.ca.certPem,
      requireClientCertificate: false,
    },
    minVersion,
  });
}

/** A raw Node TLS client; `flight()` takes what it wrote, `deliver()` gives it the engine's output. */
function rawClient(maxVersion: TlsVersionName, session?: Buffer) {
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
    ...(session === undefined ? {} : { session }),
  });
  const sessions: Buffer[] = [];
  socket.on('session', (data: Buffer) => sessions.push(data));
  const received: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  socket.on('error', () => {});
  return {
    socket,
    received,
    sessions,
    flight: async () => {
      await turn();
      return Buffer.concat(out.splice(0));
    },
    deliver: (bytes: Uint8Array) => {
      if (bytes.length > 0) duplex.push(Buffer.from(bytes));
    },
  };
}

describe('one TLS server per factory', () => {
  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    it(`${version}: interleaved handshakes of one factory each reach their own engine`, async () => {
      const factory = serverFactory();
      const pairs = [0, 1, 2].map(() => ({
        engine: factory.create('server'),
        client: rawClient(version),
      }));
      // Round-robin: every conversation's flight goes in before any answer goes out.
      for (let round = 0; round < 6; round++) {
        const flights = await Promise.all(pairs.map((p) => p.client.flight()));
        for (const [i, p] of pairs.entries())
          if ((flights[i]?.length ?? 0) > 0) p.engine.feed(flights[i] as Buffer);
        await Promise.all(pairs.map((p) => settled(p.engine)));
        for (const p of pairs) p.client.deliver(p.engine.takeOutput());
      }
      for (const [i, p] of pairs.entries()) {
        expect(p.engine.state).toBe('established');
        expect(p.engine.protocol).toBe(version);
        p.engine.writeApplicationData(new TextEncoder().encode(`for client ${i}`));
        await settled(p.engine);
        p.client.deliver(p.engine.takeOutput());
      }
      await turn();
      await turn();
      for (const [i, p] of pairs.entries()) {
        expect(Buffer.concat(p.client.received).toString()).toBe(`for client ${i}`);
        p.client.socket.destroy();
        p.engine.close();
      }
    });
  }

  // Regression: a shared server shares its ticket keys, so without `resumption` a second
  // conversation resumed the first one's session (wpa_supplicant then skips PEAP's phase 2).
  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    it(`${version}: without resumption, a session of one conversation does not resume at the next`, async () => {
      const factory = serverFactory();
      const handshake = async (session?: Buffer) => {
        const engine = factory.create('server');
        const client = rawClient(version, session);
        for (let round = 0; round < 6; round++) {
          const flight = await client.flight();
          if (flight.length > 0) engine.feed(flight);
          await settled(engine);
          client.deliver(engine.takeOutput());
        }
        await turn();
        expect(engine.state).toBe('established');
        const result = { resumed: engine.resumed, session: client.sessions.at(-1) };
        client.socket.destroy();
        engine.close();
        return result;
      };
      const first = await handshake();
      const offered = first.session ?? Buffer.alloc(0);
      const second = await handshake(offered.length > 0 ? offered : undefined);
      expect(second.resumed).toBe(false);
    });
  }

  it('a ClientHello fed to two conversations (replayed) fails both', async () => {
    const factory = serverFactory();
    const client = rawClient('TLSv1.3');
    const hello = await client.flight();
    const first = factory.create('server');
    const second = factory.create('server');
    first.feed(hello);
    second.feed(hello);
    await Promise.all([settled(first), settled(second)]);
    for (const engine of [first, second]) {
      expect(engine.state).toBe('failed');
      expect(engine.error?.code).toBe('ERR_NETRX_TLS_DUPLICATE_HELLO');
      engine.close();
    }
    client.socket.destroy();
  });

  it('a handshake refused before any key fails its engine with the server reason', async () => {
    const engine = serverFactory('TLSv1.3').create('server');
    const client = rawClient('TLSv1.2');
    engine.feed(await client.flight());
    for (let i = 0; i < 20 && engine.state === 'handshaking'; i++) {
      await settled(engine);
      await turn();
    }
    expect(engine.state).toBe('failed');
    expect(engine.error?.code).toBe('ERR_SSL_UNSUPPORTED_PROTOCOL');
    expect(engine.error?.alert).toBeUndefined(); // OpenSSL sent protocol_version in-band
    expect([...engine.takeOutput().subarray(0, 1)]).toEqual([21]);
    client.socket.destroy();
    engine.close();
  });
});
