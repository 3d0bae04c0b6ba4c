/**
 * The EAP methods of `netrx radius serve` and `netrx radius test` by name:
 * the server side comes from `createServerMethod` (the same factory the
 * workers and `netrx up` use), the peer side is built here from `--certs
 * DIR`, `--server-name` and the inner identity.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createMd5Method,
  createMschapV2Method,
  createPeapMethod,
  createTlsMethod,
  createTtlsMethod,
  type EapMethod,
} from '../../eap/index.js';
import { createNodeTlsEngineFactory, type TlsResumptionOptions } from '../../node/eap/index.js';
import {
  createServerMethod,
  type ServerTlsPem,
  type StandardMethodName,
} from '../../node/radius/index.js';
import { nodeCrypto } from '../../node/runtime/index.js';
import { UsageError } from '../command.js';

export const METHODS = ['md5', 'mschapv2', 'peap', 'ttls-pap', 'ttls-mschapv2', 'tls'] as const;
export type MethodName = (typeof METHODS)[number];
/** The methods that need certificates (`--certs DIR`). */
export const TLS_METHODS: readonly MethodName[] = ['peap', 'ttls-pap', 'ttls-mschapv2', 'tls'];

/** DIR/ca.pem, server.pem, server-key.pem, client.pem, client-key.pem (`netrx certs demo`), read when used. */
export interface CertsDir {
  readonly dir: string;
  read(file: string): string;
}

export function certsDir(dir: string | undefined): CertsDir | undefined {
  if (dir === undefined) return undefined;
  return {
    dir,
    read(file) {
      try {
        return readFileSync(join(dir, file), 'utf8');
      } catch (error) {
        throw new UsageError(
          `--certs: cannot read ${join(dir, file)}: ${(error as Error).message}`,
        );
      }
    },
  };
}

/** The server's PEM files from DIR. */
export function serverPem(certs: CertsDir): ServerTlsPem {
  return {
    cert: certs.read('server.pem'),
    key: certs.read('server-key.pem'),
    ca: certs.read('ca.pem'),
  };
}

/** One TTLS method serves PAP and EAP-MSCHAPv2 on the server (the peer's AVPs choose). */
export function serverMethodName(name: MethodName): StandardMethodName {
  return name === 'ttls-pap' ? 'ttls-mschapv2' : name;
}

/** A server method; `resumption` applies to EAP-TLS only (see createServerMethod). */
export function serverMethod(
  name: MethodName,
  certs: CertsDir | undefined,
  resumption?: TlsResumptionOptions,
): EapMethod {
  if (TLS_METHODS.includes(name) && certs === undefined) {
    throw new UsageError(`method ${name} needs --certs DIR`);
  }
  return createServerMethod(
    serverMethodName(name),
    certs === undefined ? undefined : serverPem(certs),
    resumption === undefined ? {} : { resumption },
  );
}

/** Peer-side choices for the TLS methods (`radius test`). */
export interface PeerTls {
  readonly serverName: string | undefined;
  readonly innerIdentity: string;
}

/** A peer method for `netrx radius test`. */
export function peerMethod(
  name: MethodName,
  certs: CertsDir | undefined,
  peer: PeerTls,
): EapMethod {
  if (name === 'md5') return createMd5Method({ crypto: nodeCrypto });
  if (name === 'mschapv2') return createMschapV2Method({ crypto: nodeCrypto });
  if (certs === undefined) throw new UsageError(`method ${name} needs --certs DIR`);
  const client = {
    ca: certs.read('ca.pem'),
    ...(peer.serverName === undefined ? {} : { serverName: peer.serverName }),
  };
  if (name === 'tls') {
    return createTlsMethod({
      engines: createNodeTlsEngineFactory({
        client: { ...client, cert: certs.read('client.pem'), key: certs.read('client-key.pem') },
      }),
    });
  }
  // Both sides allow TLS 1.3 (RFC 9427); the peer's TTLS AVPs ride with its Finished.
  const engines = createNodeTlsEngineFactory({ client, maxVersion: 'TLSv1.3' });
  const innerIdentity = peer.innerIdentity;
  if (name === 'ttls-pap' || name === 'ttls-mschapv2') {
    return createTtlsMethod({
      engines,
      ...(name === 'ttls-mschapv2' ? { inner: createMschapV2Method({ crypto: nodeCrypto }) } : {}),
      innerIdentity,
    });
  }
  return createPeapMethod({
    engines,
    inner: createMschapV2Method({ crypto: nodeCrypto }),
    innerIdentity,
  });
}
