/**
 * netrx/node capture transports: the LREC DCE/RPC server over TCP
 * (ncacn_ip_tcp) in front of a netrx/capture `SessionTable`, and the netrx
 * client that `netrx capture tail` uses. Unauthenticated service is opt-in
 * and loopback-only until NTLM lands; a client that never reads is cut off
 * past a bounded socket buffer.
 *
 * The WebSocket transport (`netrx.lrec.v1`, docs/capture.md) serves the same
 * calls to browsers and through firewalls on netrx's own WebSocket server,
 * with TLS and a bearer token checked at the upgrade; a congested
 * connection's next receive waits for the socket to drain, so a slow reader
 * costs counted loss in the session, not socket memory.
 */
export {
  isLoopbackAddress,
  startLrecTcpServer,
  type LrecTcpServer,
  type LrecTcpServerOptions,
} from './rpc-server.js';
export { connectLrecTcp, type LrecTcpClient, type LrecTcpClientOptions } from './rpc-client.js';
export {
  CAPTURE_TOKEN_ENV,
  DEFAULT_KEEPALIVE_INTERVAL_MS,
  DEFAULT_KEEPALIVE_TIMEOUT_MS,
  MIN_TOKEN_LENGTH,
  checkLrecWsSecurity,
  createLrecWsEndpoint,
  startLrecWsServer,
  type LrecWsEndpoint,
  type LrecWsEndpointOptions,
  type LrecWsNodeServer,
  type LrecWsServerNodeOptions,
} from './ws-server.js';
export {
  ConnectionAdmission,
  DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
  DEFAULT_PRE_AUTH_TIMEOUT_MS,
  type AdmissionOptions,
  type AdmissionStats,
} from './ws-admission.js';
export { connectLrecWs, type LrecWsClient, type LrecWsClientOptions } from './ws-client.js';
