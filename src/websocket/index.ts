/**
 * netrx/websocket: the sans-I/O WebSocket protocol component (seed 002,
 * `WebSocketReceive`).
 *
 * Contract, as the WebSocket issue completes it: `send` and `receive` queue
 * operations on a handle; `getAction` says what I/O to do next;
 * `completeAction` reports it; a receive with no buffer is handed a view of
 * the component's own buffer (zero copy), valid until its action completes.
 *
 * Built so far: the opening handshake, both sides (RFC 6455 §4): the HTTP/1.1
 * head parser (bounded, chunk-tolerant, returns the bytes after the head),
 * `Sec-WebSocket-Accept` through an injected `Crypto`, request validation
 * with the HTTP status to answer (400, 405, 426 with the version, 431, 505),
 * subprotocol selection, and the `Sec-WebSocket-Extensions` grammar with
 * permessage-deflate negotiation (RFC 7692). Peer mistakes come back as
 * values with a stable code and status, never as exceptions. The frame codec
 * (incremental decoder, masking, close payloads, incremental UTF-8
 * validation) is in netrx/wire. The handle with its action queue is next.
 */
export * from './handshake-failure.js';
export * from './http-head.js';
export * from './extensions.js';
export * from './handshake.js';
