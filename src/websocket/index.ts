/**
 * netrx/websocket: the sans-I/O WebSocket protocol component (seed 002,
 * `WebSocketReceive`), websocket.dll's model in TypeScript.
 *
 * Contract: create a client or server handle with its properties; run the
 * opening handshake with the begin/end helpers (or `open()` after one made
 * elsewhere); then `send(bufferType, data, context)` and
 * `receive(buffer | null, context)` queue operations, `getAction(queue)`
 * says what I/O to do next (write these buffers, read into this buffer or
 * hand over your own chunk, a send finished, a receive finished) and
 * `completeAction(actionContext, bytes)` reports it. A receive with no
 * buffer is handed a view of the component's memory or of the chunk it was
 * given (zero copy), valid until that indication is completed; a caller
 * buffer gets the data copied in, a message longer than it completing as
 * fragments. At most one send-side and one receive-side action are
 * outstanding. Pings are answered and closes echoed by the component.
 *
 * Peer violations never throw: the receive completes with `close` (the code
 * the component sent: 1002, 1007, 1009) and a coded `ProtocolError`.
 * Misuse throws `ERR_WS_INVALID_OPERATION` (E_INVALID_PROTOCOL_OPERATION).
 * Compression (RFC 7692) runs through an injected `DeflateCodec`; time
 * (keep-alive) through an injected `Clock`; masking keys through `Crypto`.
 * No Node APIs here; netrx/node adds the server, the client and zlib.
 */
export * from './actions.js';
export * from './deflate-codec.js';
export * from './events.js';
export * from './extensions.js';
export * from './handle.js';
export * from './handshake-failure.js';
export * from './handshake.js';
export * from './http-head.js';
export { MaskKeySource } from './frame-writer.js';
export {
  PerMessageDeflateSession,
  type PerMessageDeflateSessionOptions,
  type PerMessageInflateResult,
} from './permessage-deflate.js';
export {
  createDeflateCodecPool,
  type DeflateCodecPoolOptions,
  type DeflateCodecPoolStats,
  type PooledDeflateCodec,
} from './permessage-deflate-pool.js';
export {
  DEFAULT_MAX_FRAGMENTS,
  DEFAULT_MAX_MESSAGE_SIZE,
  type HandleProperties,
  type ResolvedProperties,
} from './properties.js';
