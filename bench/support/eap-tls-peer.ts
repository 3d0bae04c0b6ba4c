/**
 * The netrx peer's TLS methods for bench/eap.ts: PEAPv0/EAP-MSCHAPv2 and
 * EAP-TLS (with the demo client certificate) over TLS 1.2 only, so netrx and
 * FreeRADIUS 3.2 run the same handshake, and EAP-TLS over TLS 1.3 only;
 * the server certificate is checked against the demo CA and server name, as
 * a real supplicant would.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createMschapV2Method,
  createPeapMethod,
  createTlsMethod,
  type EapMethod,
  type TlsEngine,
  type TlsEngineFactory,
} from '../../src/eap/index.js';
import { DEMO_SERVER_NAME } from '../../src/node/certs/index.js';
import { createNodeTlsEngineFactory } from '../../src/node/eap/index.js';
import { nodeCrypto } from '../../src/node/runtime/index.js';

/** What the peer's handshakes negotiated, counted by "protocol cipher group". */
export type Negotiated = Map<string, number>;

/**
 * The factory's engines, each recording what it negotiated into `seen` once
 * established (read when the method waits for it to settle), so a bench can
 * print both servers' suites and groups and compare like with like.
 */
function recording(factory: TlsEngineFactory, seen: Negotiated): TlsEngineFactory {
  return {
    create(role) {
      const engine = factory.create(role);
      let recorded = false;
      const wrapped: TlsEngine = {
        role: engine.role,
        get state() {
          return engine.state;
        },
        get protocol() {
          return engine.protocol;
        },
        get resumed() {
          return engine.resumed;
        },
        get resumable() {
          return engine.resumable;
        },
        get error() {
          return engine.error;
        },
        feed: (records) => engine.feed(records),
        writeApplicationData: (data) => engine.writeApplicationData(data),
        whenSettled: (settled) =>
          engine.whenSettled(() => {
            const n = recorded ? undefined : engine.negotiated;
            if (n !== undefined) {
              recorded = true;
              const key = `${engine.protocol ?? '?'} ${n.cipher} ${n.group ?? '?'}`;
              seen.set(key, (seen.get(key) ?? 0) + 1);
            }
            settled();
          }),
        takeOutput: () => engine.takeOutput(),
        takeApplicationData: () => engine.takeApplicationData(),
        exportKeyingMaterial: (label, length, context) =>
          engine.exportKeyingMaterial(label, length, context),
        peerCertificate: () => engine.peerCertificate(),
        close: () => engine.close(),
      };
      return wrapped;
    },
  };
}

export function tlsPeerMethods(
  certs: string,
  seen: Negotiated = new Map(),
): { peap: EapMethod; tls: EapMethod; tls13: EapMethod } {
  const read = (file: string) => readFileSync(join(certs, file), 'utf8');
  const client = { ca: read('ca.pem'), serverName: DEMO_SERVER_NAME };
  const versions = { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' } as const;
  const withCert = { ...client, cert: read('client.pem'), key: read('client-key.pem') };
  return {
    peap: createPeapMethod({
      engines: recording(createNodeTlsEngineFactory({ client, ...versions }), seen),
      inner: createMschapV2Method({ crypto: nodeCrypto }),
      innerIdentity: 'bob',
    }),
    tls: createTlsMethod({
      engines: recording(createNodeTlsEngineFactory({ client: withCert, ...versions }), seen),
    }),
    tls13: createTlsMethod({
      engines: recording(
        createNodeTlsEngineFactory({
          client: withCert,
          minVersion: 'TLSv1.3',
          maxVersion: 'TLSv1.3',
        }),
        seen,
      ),
    }),
  };
}
