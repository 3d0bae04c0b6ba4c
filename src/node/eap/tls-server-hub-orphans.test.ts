// Regression (review of issue 13): a conversation closed during its handshake, before its
// socket was known, left the server's "socket hang up" in the queue of unmapped errors,
// so the next handshake refused before any key took that reason instead of its own.
import { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { certs } from '../../../test/interop/support/eap-tls-dialogue.js';
import type { TlsEngine } from '../../eap/index.js';
import { createNodeTlsEngineFactory, type TlsVersionName } from './tls-engine.js';

const settled = (engine: TlsEngine) => new Promise<void>((done) => engine.whenSettled(done));
const turn = () => new Promise((done) => setImmediate(done));

async function clientHello(versions: {
  minVersion?: TlsVersionName;
  maxVersion?: TlsVersionName;
}): Promise<{ hello: Buffer; end: () => void }> {
  const out: Buffer[] = [];
  const duplex = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      out.push(chunk);
      callback();
    },
  });
  const socket = tls.connect({ socket: duplex, ca: certs.ca.certPem, ...versions });
  socket.on('error', () => {});
  await turn();
  return { hello: Buffer.concat(out), end: () => socket.destroy() };
}

describe('handshake errors no socket mapping claimed', () => {
  it('a conversation closed before its keylog line leaves no reason for the next one', async () => {
    const factory = createNodeTlsEngineFactory({
      server: {
        cert: certs.server.certPem,
        key: certs.server.keyPem,
        ca: certs.ca.certPem,
        requireClientCertificate: false,
      },
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.2',
    });
    // TLS 1.2: no keylog line before the client's second flight; the conversation ends first.
    const abandoned = factory.create('server');
    const first = await clientHello({ maxVersion: 'TLSv1.2' });
    abandoned.feed(first.hello);
    await settled(abandoned);
    abandoned.close();
    for (let i = 0; i < 10; i++) await turn();
    // The next conversation offers only TLS 1.3 to a TLS 1.2 server: refused before any key.
    const refused = factory.create('server');
    const hello13 = await clientHello({ minVersion: 'TLSv1.3' });
    refused.feed(hello13.hello);
    for (let i = 0; i < 20 && refused.state === 'handshaking'; i++) {
      await settled(refused);
      await turn();
    }
    expect(refused.state).toBe('failed');
    expect(refused.error?.code).toBe('ERR_SSL_UNSUPPORTED_PROTOCOL');
    first.end();
    hello13.end();
    refused.close();
  });
});
