// The Node TLS engine refuses TLS 1.2 renegotiation in both roles: a tunnel
// (PEAP, TTLS) or EAP-TLS session is one handshake, and a peer that starts a
// second one inside it ends the session (TLS 1.3 has no renegotiation at all;
// RFC 9427 and RFC 9190 build on one handshake per EAP session). Regression:
// Node accepts client-initiated renegotiation by default (three per ten
// minutes), so a peer could swap certificates inside an established tunnel.
// And resumedAfterPhase2 (a PEAP peer may accept a skipped phase 2): only a
// resumption of a session whose phase 2 was marked as succeeded.
import { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { certs } from '../../../test/interop/support/eap-tls-dialogue.js';
import type { TlsEngine } from '../../eap/index.js';
import { createNodeTlsEngineFactory } from './tls-engine.js';

const settled = (engine: TlsEngine) => new Promise<void>((done) => engine.whenSettled(done));

/** A raw Node TLS client whose records go to (and come from) the engine under test. */
function rawClient(engine: TlsEngine): { socket: tls.TLSSocket; pump: () => Promise<void> } {
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
    maxVersion: 'TLSv1.2',
  });
  socket.on('error', () => {});
  const pump = async () => {
    for (let round = 0; round < 50; round++) {
      await new Promise((r) => setImmediate(r));
      const toServer = Buffer.concat(out.splice(0));
      if (toServer.length > 0) engine.feed(toServer);
      await settled(engine);
      const toClient = engine.takeOutput();
      if (toClient.length > 0) duplex.push(Buffer.from(toClient));
      if (toServer.length === 0 && toClient.length === 0 && out.length === 0) return;
    }
  };
  return { socket, pump };
}

describe('NodeTlsEngine', () => {
  it('server role: a client that renegotiates inside the established session fails it', async () => {
    const engine = createNodeTlsEngineFactory({
      server: {
        cert: certs.server.certPem,
        key: certs.server.keyPem,
        ca: certs.ca.certPem,
        requireClientCertificate: false,
      },
      maxVersion: 'TLSv1.2',
    }).create('server');
    const { socket, pump } = rawClient(engine);
    const connected = new Promise<void>((done) => socket.once('secureConnect', () => done()));
    await pump();
    await connected;
    expect(engine.state).toBe('established');
    expect(engine.protocol).toBe('TLSv1.2');
    expect(socket.renegotiate({ rejectUnauthorized: true }, () => {})).toBe(true);
    await pump();
    expect(engine.state).toBe('failed');
    expect(engine.error?.code).toBe('ERR_TLS_RENEGOTIATION_DISABLED');
    socket.destroy();
    engine.close();
  });

  it('client role: resumedAfterPhase2 only on a resumption of a session whose phase 2 was marked', async () => {
    const resumption = { lifetimeSeconds: 60 };
    const servers = createNodeTlsEngineFactory({
      server: {
        cert: certs.server.certPem,
        key: certs.server.keyPem,
        ca: certs.ca.certPem,
        requireClientCertificate: false,
      },
      maxVersion: 'TLSv1.2',
      resumption,
    });
    const clients = createNodeTlsEngineFactory({
      client: { ca: certs.ca.certPem, serverName: 'radius.netrx.test' },
      maxVersion: 'TLSv1.2',
      resumption,
    });
    /** One handshake between two engines of the factories; the client engine, established. */
    const handshake = async (): Promise<TlsEngine> => {
      const client = clients.create('client');
      const server = servers.create('server');
      for (let round = 0; round < 20; round++) {
        await Promise.all([settled(client), settled(server)]);
        const toServer = client.takeOutput();
        const toClient = server.takeOutput();
        if (toServer.length === 0 && toClient.length === 0) break;
        if (toServer.length > 0) server.feed(toServer);
        if (toClient.length > 0) client.feed(toClient);
      }
      expect(client.state).toBe('established');
      server.close();
      return client;
    };
    const full = await handshake();
    // What it negotiated, for benchmarks comparing servers (the client sees the server's group).
    expect(full.negotiated).toEqual({
      cipher: expect.stringMatching(/^TLS_ECDHE_(ECDSA|RSA)_WITH_AES_\d+_GCM_SHA\d+$/) as unknown,
      group: 'X25519',
    });
    expect(full.resumed).toBe(false);
    expect(full.resumedAfterPhase2).toBe(false);
    // Its phase 2 never succeeded (not marked): a resumption of it may not skip phase 2.
    const unmarked = await handshake();
    expect(unmarked.resumed).toBe(true);
    expect(unmarked.resumedAfterPhase2).toBe(false);
    unmarked.markPhase2Succeeded?.();
    const marked = await handshake();
    expect(marked.resumed).toBe(true);
    expect(marked.resumedAfterPhase2).toBe(true);
    for (const engine of [full, unmarked, marked]) engine.close();
  });
});
