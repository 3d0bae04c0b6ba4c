/**
 * netrx/node capture transports: the LREC DCE/RPC server over TCP
 * (ncacn_ip_tcp) in front of a netrx/capture `SessionTable`, and the netrx
 * client that `netrx capture tail` uses. Unauthenticated service is opt-in
 * and loopback-only until NTLM lands; a client that never reads is cut off
 * past a bounded socket buffer. The WebSocket transport comes later.
 */
export {
  isLoopbackAddress,
  startLrecTcpServer,
  type LrecTcpServer,
  type LrecTcpServerOptions,
} from './rpc-server.js';
export { connectLrecTcp, type LrecTcpClient, type LrecTcpClientOptions } from './rpc-client.js';
