/**
 * netrx/websocket: the sans-I/O WebSocket protocol component (seed 002,
 * `WebSocketReceive`), websocket.dll's model in TypeScript.
 *
 * Contract: create a client or server handle with its properties; run the
 * opening handshake with the begin/end helpers (or `open()` after one made
 * elsewhere; an RFC 8441 stream opens with `open()` after
 * `validateExtendedConnect`/`acceptExtendedConnect`); then `send(bufferType, data, context)` and
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
 * No Node APIs here; netrx/node adds the server, the client and zlib;
 * netrx/websocket/portable adds pure-JS deflate and a Crypto for Deno, Bun
 * and browsers.
 */
// The surface, named one by one (no `export *`): what a host needs to run a
// handle, negotiate and inspect. Internals (the send and receive paths,
// keep-alive, the frame writer, the named-flags helper and the handle's host
// callbacks) are not exported.
export {
  ACTION_VALUE,
  BUFFER_TYPE_VALUE,
  type ActionQueue,
  type ReceiveOptions,
  type BufferType,
  type CloseStatus,
  type IndicateReceiveCompleteAction,
  type IndicateSendCompleteAction,
  type ReceiveFromNetworkAction,
  type SendToNetworkAction,
  type WebSocketAction,
} from './actions.js';
export type {
  DeflateCodec,
  Deflater,
  DeflaterOptions,
  InflateResult,
  Inflater,
  InflaterOptions,
} from './deflate-codec.js';
export { WEBSOCKET_PROVIDER, WebSocketEvent, WebSocketKeyword } from './events.js';
export {
  PERMESSAGE_DEFLATE,
  acceptPerMessageDeflate,
  checkPerMessageDeflateResponse,
  formatExtensions,
  parseExtensions,
  parsePerMessageDeflateOffer,
  perMessageDeflateOffer,
  type Extension,
  type ExtensionParam,
  type PerMessageDeflateAcceptance,
  type PerMessageDeflateOffer,
  type PerMessageDeflateParams,
  type PerMessageDeflateServerOptions,
} from './extensions.js';
export {
  WebSocketHandle,
  createClientHandle,
  createServerHandle,
  type HandleProperties,
  type HandleRole,
  type HandleState,
  type HandleStats,
  type Negotiated,
  type SendOptions,
} from './handle.js';
export type { HandshakeFailure, HandshakeResult, HttpHeader } from './handshake-failure.js';
export {
  WEBSOCKET_CONNECT_PROTOCOL,
  WEBSOCKET_GUID,
  WEBSOCKET_VERSION,
  acceptExtendedConnect,
  acceptUpgrade,
  buildExtendedConnect,
  checkExtendedConnectResponse,
  extendedConnectRejection,
  parseProtocolList,
  validateExtendedConnect,
  type ExtendedConnectClientRequest,
  type ExtendedConnectOptions,
  type ExtendedConnectRequest,
  type ExtendedConnectResponse,
  buildClientRequest,
  buildRejection,
  checkServerResponse,
  computeAccept,
  generateKey,
  isValidKey,
  validateUpgradeRequest,
  type AcceptOptions,
  type ClientHandshake,
  type ClientRequest,
  type ClientRequestOptions,
  type NegotiationOptions,
  type ServerHandshake,
  type UpgradeRequest,
} from './handshake.js';
export { negotiation } from './handle-types.js';
export {
  DEFAULT_MAX_HEADERS,
  DEFAULT_MAX_HEAD_SIZE,
  HttpHeadParser,
  encodeHead,
  headerList,
  headerValue,
  headerValues,
  type HttpHeadLimits,
  type HttpHeadStep,
  type HttpRequestHead,
  type HttpResponseHead,
} from './http-head.js';
export {
  PerMessageDeflateSession,
  type PerMessageDeflateRole,
  type PerMessageDeflateSessionOptions,
  type PerMessageInflateResult,
} from './permessage-deflate.js';
export {
  PreparedMessage,
  type PreparedFrames,
  type PreparedMessageType,
} from './prepared-message.js';
export {
  createDeflateCodecPool,
  type DeflateCodecPoolOptions,
  type DeflateCodecPoolStats,
  type PooledDeflateCodec,
} from './permessage-deflate-pool.js';
export {
  DEFAULT_MAX_FRAGMENTS,
  DEFAULT_MAX_MESSAGE_SIZE,
  DEFAULT_MAX_QUEUED_SEND_BYTES,
  DEFAULT_MAX_QUEUED_SENDS,
  type HandleSettings,
  type ResolvedProperties,
} from './properties.js';
