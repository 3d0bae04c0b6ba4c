/**
 * The standard RADIUS worker setup (see RadiusWorkerSetup): EAP methods by
 * name and the users as a list or a FreeRADIUS users file's text, built in
 * each worker. `netrx radius serve --workers` and `netrx up`'s radius
 * service use it.
 */
import {
  StaticUserStore,
  createMd5Method,
  createMschapV2Method,
  createPeapMethod,
  createTlsMethod,
  createTtlsMethod,
  usersFileStore,
  type EapMethod,
  type StaticUser,
} from '../../eap/index.js';
import { createNodeTlsEngineFactory } from '../eap/index.js';
import { nodeCrypto } from '../runtime/crypto.js';
import type { RadiusWorkerBuilt, RadiusWorkerSetup } from './worker-protocol.js';

export type StandardMethodName = 'md5' | 'mschapv2' | 'peap' | 'ttls-mschapv2' | 'tls';

export interface StandardWorkerSetupData {
  readonly methods: readonly StandardMethodName[];
  /** Users as a list, or `usersFile`: the text of a FreeRADIUS users file. */
  readonly users?: readonly StaticUser[];
  readonly usersFile?: string;
  /** PEM text, for the TLS-based methods. */
  readonly tls?: { readonly cert: string; readonly key: string; readonly ca: string };
}

function methodOf(name: StandardMethodName, tls: StandardWorkerSetupData['tls']): EapMethod {
  if (name === 'md5') return createMd5Method({ crypto: nodeCrypto });
  if (name === 'mschapv2') return createMschapV2Method({ crypto: nodeCrypto });
  if (tls === undefined) throw new TypeError(`method ${name} needs tls certificates`);
  if (name === 'tls') {
    return createTlsMethod({ engines: createNodeTlsEngineFactory({ server: tls }) });
  }
  // PEAPv0 and TTLS over TLS 1.2 or 1.3 (RFC 9427), as `netrx radius serve` runs them.
  const engines = createNodeTlsEngineFactory({
    server: { ...tls, requireClientCertificate: false },
    maxVersion: 'TLSv1.3',
  });
  if (name === 'ttls-mschapv2') {
    return createTtlsMethod({ engines, inner: createMschapV2Method({ crypto: nodeCrypto }) });
  }
  return createPeapMethod({ engines, inner: createMschapV2Method({ crypto: nodeCrypto }) });
}

/** Runs in each worker. */
export function createRadiusWorkerOptions(data: StandardWorkerSetupData): RadiusWorkerBuilt {
  return {
    methods: data.methods.map((name) => methodOf(name, data.tls)),
    users:
      data.usersFile === undefined
        ? new StaticUserStore(data.users ?? [])
        : usersFileStore(data.usersFile),
  };
}

/** The setup to give `startRadiusServer({ workers, workerSetup })`. */
export function standardWorkerSetup(data: StandardWorkerSetupData): RadiusWorkerSetup {
  return { module: new URL('./worker-setup.js', import.meta.url).href, data };
}
