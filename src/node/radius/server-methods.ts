/**
 * The server side of the standard EAP methods by name, with the settings
 * `netrx radius serve`, its workers and `netrx up`'s radius service share:
 * one place, so a worker runs exactly the methods a lone server runs.
 */
import { X509Certificate } from 'node:crypto';
import {
  createMd5Method,
  createMschapV2Method,
  createPeapMethod,
  createTlsMethod,
  createTtlsMethod,
  type EapMethod,
} from '../../eap/index.js';
import {
  createNodeTlsEngineFactory,
  type TlsResumptionOptions,
  type TlsVersionName,
} from '../eap/index.js';
import { nodeCrypto } from '../runtime/crypto.js';

/** One TTLS method serves PAP and EAP-MSCHAPv2 (the peer's AVPs choose). */
export type StandardMethodName = 'md5' | 'mschapv2' | 'peap' | 'ttls-mschapv2' | 'tls';

/** PEM text of the server's certificate, its key and the CA for client certificates. */
export interface ServerTlsPem {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

export interface ServerMethodOptions {
  /**
   * EAP-TLS session resumption. Never for the tunnels: wpa_supplicant 2.10
   * takes a resumed PEAP/TTLS session as phase 2 done and discards the
   * inner Request (docs/eap-tls13.md).
   */
  readonly resumption?: TlsResumptionOptions;
  /** The TLS versions offered (default 1.2 to 1.3; RFC 9427 for 1.3). */
  readonly minVersion?: TlsVersionName;
  readonly maxVersion?: TlsVersionName;
}

export function createServerMethod(
  name: StandardMethodName,
  tls: ServerTlsPem | undefined,
  options: ServerMethodOptions = {},
): EapMethod {
  if (name === 'md5') return createMd5Method({ crypto: nodeCrypto });
  if (name === 'mschapv2') return createMschapV2Method({ crypto: nodeCrypto });
  if (tls === undefined) throw new TypeError(`method ${name} needs tls certificates`);
  const versions = {
    ...(options.minVersion === undefined ? {} : { minVersion: options.minVersion }),
    maxVersion: options.maxVersion ?? 'TLSv1.3',
  };
  if (name === 'tls') {
    return createTlsMethod({
      engines: createNodeTlsEngineFactory({
        server: tls,
        ...versions,
        ...(options.resumption === undefined ? {} : { resumption: options.resumption }),
      }),
    });
  }
  // PEAPv0 and TTLS over TLS 1.2 or 1.3 (RFC 9427 keys: the EAP-TLS exporter with context 25 / 21).
  const engines = createNodeTlsEngineFactory({
    server: { ...tls, requireClientCertificate: false },
    ...versions,
  });
  const inner = createMschapV2Method({ crypto: nodeCrypto });
  return name === 'ttls-mschapv2'
    ? createTtlsMethod({ engines, inner })
    : createPeapMethod({ engines, inner });
}

/** What a server says about its TLS settings (`/health`, `radius serve`'s tls line): never keys. */
export interface ServerTlsSummary {
  readonly minVersion: TlsVersionName;
  readonly maxVersion: TlsVersionName;
  /** Session resumption: EAP-TLS only (see `resumption` above); 0 when off. */
  readonly resumeSeconds: number;
  readonly certificate: {
    readonly subject: string;
    readonly issuer: string;
    readonly validFrom: string;
    readonly validTo: string;
    readonly fingerprint256: string;
  };
}

/** The summary of `tls` (its first certificate: the leaf) with these options' versions. */
export function serverTlsSummary(
  tls: ServerTlsPem,
  options: ServerMethodOptions = {},
): ServerTlsSummary {
  const leaf = new X509Certificate(tls.cert);
  return {
    minVersion: options.minVersion ?? 'TLSv1.2',
    maxVersion: options.maxVersion ?? 'TLSv1.3',
    resumeSeconds: options.resumption?.lifetimeSeconds ?? (options.resumption ? 3600 : 0),
    certificate: {
      subject: leaf.subject.replace(/\n/g, ', '),
      issuer: leaf.issuer.replace(/\n/g, ', '),
      validFrom: new Date(leaf.validFrom).toISOString(),
      validTo: new Date(leaf.validTo).toISOString(),
      fingerprint256: leaf.fingerprint256,
    },
  };
}
