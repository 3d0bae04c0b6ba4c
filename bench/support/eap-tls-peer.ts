/**
 * The netrx peer's TLS methods for bench/eap.ts: PEAPv0/EAP-MSCHAPv2 and
 * EAP-TLS (with the demo client certificate) over TLS 1.2 only, so netrx and
 * FreeRADIUS 3.2 (stock `tls_max_version = "1.2"`) run the same handshake;
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
} from '../../src/eap/index.js';
import { DEMO_SERVER_NAME } from '../../src/node/certs/index.js';
import { createNodeTlsEngineFactory } from '../../src/node/eap/index.js';
import { nodeCrypto } from '../../src/node/runtime/index.js';

export function tlsPeerMethods(certs: string): { peap: EapMethod; tls: EapMethod } {
  const read = (file: string) => readFileSync(join(certs, file), 'utf8');
  const client = { ca: read('ca.pem'), serverName: DEMO_SERVER_NAME };
  const versions = { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' } as const;
  return {
    peap: createPeapMethod({
      engines: createNodeTlsEngineFactory({ client, ...versions }),
      inner: createMschapV2Method({ crypto: nodeCrypto }),
      innerIdentity: 'bob',
    }),
    tls: createTlsMethod({
      engines: createNodeTlsEngineFactory({
        client: { ...client, cert: read('client.pem'), key: read('client-key.pem') },
        ...versions,
      }),
    }),
  };
}
