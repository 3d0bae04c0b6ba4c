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
 */
export { WebSocket, CLOSED, CLOSING, CONNECTING, OPEN } from './websocket.js';
export type {
  BinaryType,
  CloseEventLike,
  ErrorEventLike,
  MessageEventLike,
  SendResult,
} from './websocket.js';
export { WebSocketServer, type WebSocketServerOptions } from './server.js';
export { parseWebSocketUrl, type ClientOptions } from './client.js';
export type { ConnectionOptions } from './options.js';
export type { NodeHandleOptions } from './handles.js';
export { echoConnection } from './echo.js';
export { zlibDeflateCodec } from './zlib-codec.js';
