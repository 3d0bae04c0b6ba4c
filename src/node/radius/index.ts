/**
 * netrx/node RADIUS: the netrx/radius cores on UDP. `startRadiusServer`
 * serves EAP (and PAP, Status-Server, accounting) to the declared clients,
 * on this thread or, with `workers`, on a pool of worker threads behind
 * this one (worker-pool.ts); `runRadiusEapTest` runs one EAP authentication
 * as a NAS would, with the core's retransmission and failover, and resolves
 * with its result.
 */
export {
  startRadiusServer,
  workerCount,
  type RadiusUdpServer,
  type RadiusUdpServerOptions,
  type RadiusUdpServerStats,
} from './server.js';
export { RadiusWorkerPool } from './worker-pool.js';
export type { RadiusWorkerPoolStats, RadiusWorkerStats } from './worker-stats.js';
export type { RadiusWorkerBuilt, RadiusWorkerSetup } from './worker-protocol.js';
export {
  createServerMethod,
  serverTlsSummary,
  type ServerMethodOptions,
  type ServerTlsPem,
  type ServerTlsSummary,
} from './server-methods.js';
export {
  standardWorkerSetup,
  type StandardMethodName,
  type StandardWorkerSetupData,
  type StandardWorkerUsers,
} from './worker-setup.js';
export { runRadiusEapTest, type RadiusEapTestOptions } from './client.js';
export {
  RADSEC_DEFAULTS,
  RadSecListener,
  startRadSecServer,
  type RadSecListenerOptions,
  type RadSecServer,
  type RadSecServerOptions,
  type RadSecStats,
  type RadSecTlsConfig,
} from './radsec-server.js';
export { RadSecConnection, type RadSecConnectOptions } from './radsec-client.js';
