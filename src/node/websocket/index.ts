/**
 * netrx/node/websocket: the WebSocket component on Node sockets.
 *
 * `WebSocketServer` accepts upgrades on an http/https server (API close to
 * the `ws` package's); `WebSocket` is both the server-side connection and a
 * WHATWG-style client (`new WebSocket('ws://…')`). Both run a
 * netrx/websocket handle: zero-copy receives of messages that arrive in
 * one read, one write per event-loop turn, explicit backpressure (`send`
 * returns `'sent' | 'backpressure' | 'dropped'`, `'drain'` follows),
 * permessage-deflate through node:zlib, bounded everything.
 * `createWebSocketStream` makes a connection a Duplex, as in `ws`;
 * `WebSocketStream` is the WHATWG streams API (client, and
 * `WebSocketStream.fromWebSocket` for accepted connections).
 */
export { WebSocket } from './websocket.js';
export { CLOSED, CLOSING, CONNECTING, OPEN } from './ready-state.js';
export type { SendCallback, SendOptions, SendPreparedOptions, SendResult } from './ready-state.js';
export type { BroadcastOptions, BroadcastResult, PrepareOptions } from './broadcast.js';
export { PreparedMessage } from '../../websocket/index.js';
export type { RawData } from './message-data.js';
export type { BinaryType, SendData } from './message-data.js';
export type {
  CloseEventLike,
  ErrorEventLike,
  MessageEventLike,
  OpenEventLike,
} from './event-target.js';
export {
  WebSocketServer,
  type VerifyClientDone,
  type VerifyClientInfo,
  type WebSocketServerOptions,
} from './server.js';
export { parseWebSocketUrl, type ClientOptions, type ClientPerMessageDeflate } from './client.js';
export { createWebSocketStream } from './stream.js';
export {
  DEFAULT_HTTP2_IDLE_TIMEOUT,
  DEFAULT_STREAMS_PER_SESSION,
  Http2WebSocketAgent,
  type Http2WebSocketAgentOptions,
} from './http2-agent.js';
export {
  WebSocketStream,
  type WebSocketClosedInfo,
  type WebSocketOpenInfo,
  type WebSocketStreamOptions,
  type WebSocketStreamQueueOptions,
} from './websocket-stream.js';
export { WebSocketError, type WebSocketCloseInfo } from './websocket-error.js';
export {
  DEFAULT_STREAM_HIGH_WATER_MARK,
  type WebSocketStreamChunk,
  type WebSocketStreamMessage,
} from './websocket-stream-sides.js';
export {
  DEFAULT_BACKPRESSURE_ABOVE,
  DEFAULT_MAX_BACKPRESSURE,
  type ConnectionOptions,
} from './options.js';
export type { DeflateTuning, NodeHandleOptions } from './handles.js';
export { echoConnection } from './echo.js';
export { zlibDeflateCodec } from './zlib-codec.js';
