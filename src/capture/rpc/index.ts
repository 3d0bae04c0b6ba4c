export {
  LREC_INTERFACE,
  LrecRpcServer,
  noAuthProvider,
  type LrecRpcServerOptions,
  type LrecRpcServerStats,
  type RpcAuthDecision,
  type RpcAuthProvider,
} from './server.js';
export { RpcConnection, type RpcSink } from './connection.js';
export {
  CONTEXT_HANDLE_LENGTH,
  LrecOpnum,
  encodeOpenRequest,
  isNullHandle,
  parseOpenResponse,
  parseReceiveResponse,
} from './ndr.js';
export { LrecRpcClient, type ClientAnswer, type LrecRpcClientOptions } from './client.js';
