export {
  DEFAULT_RPC_CONNECTION_LIMITS,
  LREC_INTERFACE,
  LrecRpcServer,
  noAuthProvider,
  type RpcConnectionLimits,
  type RpcPeer,
  type LrecRpcServerOptions,
  type LrecRpcServerStats,
  type RpcAuthDecision,
  type RpcAuthProvider,
} from './server.js';
export { RpcConnection, type RpcSink } from './connection.js';
export { CAPTURE_RPC_PROVIDER, CaptureRpcEvent, CaptureRpcKeyword } from './events.js';
export {
  CONTEXT_HANDLE_LENGTH,
  LrecOpnum,
  encodeOpenRequest,
  isNullHandle,
  parseOpenResponse,
  parseReceiveResponse,
} from './ndr.js';
export { LrecRpcClient, type ClientAnswer, type LrecRpcClientOptions } from './client.js';
