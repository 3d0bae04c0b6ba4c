/**
 * netrx/node RADIUS: the netrx/radius cores on UDP. `startRadiusServer`
 * serves EAP (and PAP, Status-Server, accounting) to the declared clients;
 * `runRadiusEapTest` runs one EAP authentication as a NAS would, with the
 * core's retransmission and failover, and resolves with its result.
 */
export { startRadiusServer, type RadiusUdpServer, type RadiusUdpServerOptions } from './server.js';
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
