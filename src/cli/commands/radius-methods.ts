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
import { createNodeTlsEngineFactory, type TlsVersionName } from '../../node/eap/index.js';
import {
  createServerMethod,
  serverTlsSummary,
  type ServerMethodOptions,
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

/** A server method; `tls.resumption` applies to EAP-TLS only (see createServerMethod). */
export function serverMethod(
  name: MethodName,
  certs: CertsDir | undefined,
  tls: ServerMethodOptions = {},
): EapMethod {
  if (TLS_METHODS.includes(name) && certs === undefined) {
    throw new UsageError(`method ${name} needs --certs DIR`);
  }
  const { resumption, ...versions } = tls;
  return createServerMethod(
    serverMethodName(name),
    certs === undefined ? undefined : serverPem(certs),
    {
      ...versions,
      ...(name === 'tls' && resumption !== undefined ? { resumption } : {}),
    },
  );
}

const TLS_VERSIONS: readonly TlsVersionName[] = ['TLSv1.2', 'TLSv1.3'];

/**
 * `--tls-min-version` and `--tls-max-version` (TLSv1.2 or TLSv1.3, min not
 * above max: the checks of `netrx up`'s radius.tls.minVersion/maxVersion);
 * they need `--certs`.
 */
export function tlsVersionFlags(
  values: Readonly<Record<string, unknown>>,
  certs: CertsDir | undefined,
): Pick<ServerMethodOptions, 'minVersion' | 'maxVersion'> {
  const read = (flag: string): TlsVersionName | undefined => {
    const value = values[flag.slice(2)];
    if (value === undefined) return undefined;
    if (certs === undefined) throw new UsageError(`${flag} needs --certs DIR`);
    const found = TLS_VERSIONS.find((v) => v === value);
    if (found === undefined)
      throw new UsageError(`${flag}: expected TLSv1.2 or TLSv1.3, got ${JSON.stringify(value)}`);
    return found;
  };
  const minVersion = read('--tls-min-version');
  const maxVersion = read('--tls-max-version');
  if ((minVersion ?? 'TLSv1.2') === 'TLSv1.3' && (maxVersion ?? 'TLSv1.3') === 'TLSv1.2')
    throw new UsageError('--tls-min-version TLSv1.3 is above --tls-max-version TLSv1.2');
  return {
    ...(minVersion === undefined ? {} : { minVersion }),
    ...(maxVersion === undefined ? {} : { maxVersion }),
  };
}

/**
 * `radius serve`'s tls line (the CLI's counterpart of the host's /health
 * radius.tls): versions, resumption, the certificate's subject and expiry.
 */
export function tlsLine(certs: CertsDir, tls: ServerMethodOptions): string {
  const summary = serverTlsSummary(serverPem(certs), tls);
  const resume =
    summary.resumeSeconds === 0
      ? 'resumption off'
      : `resumption ${summary.resumeSeconds} s (EAP-TLS)`;
  return (
    `tls ${summary.minVersion}-${summary.maxVersion}, ${resume}, certificate ${summary.certificate.subject}` +
    ` (issuer ${summary.certificate.issuer}), valid until ${summary.certificate.validTo}`
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
