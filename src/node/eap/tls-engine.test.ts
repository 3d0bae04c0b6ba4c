// The Node TLS engine refuses TLS 1.2 renegotiation in both roles: a tunnel
// (PEAP, TTLS) or EAP-TLS session is one handshake, and a peer that starts a
// second one inside it ends the session (TLS 1.3 has no renegotiation at all;
// RFC 9427 and RFC 9190 build on one handshake per EAP session). Regression:
// Node accepts client-initiated renegotiation by default (three per ten
// minutes), so a peer could swap certificates inside an established tunnel.
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
});
