/**
 * netrx/node EAP: the Node side of netrx/eap's TLS-based methods — the TLS
 * engine on `node:tls` over an in-memory duplex (`createNodeTlsEngineFactory`).
 */
export {
  createNodeTlsEngineFactory,
  matchesDomainSuffix,
  type NodeTlsClientConfig,
  type NodeTlsEngineOptions,
  type NodeTlsServerConfig,
  type TlsResumptionOptions,
  type TlsVersionName,
} from './tls-engine.js';
