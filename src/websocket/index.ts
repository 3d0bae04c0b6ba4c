/**
 * netrx/websocket: the sans-I/O WebSocket protocol component (seed 002,
 * `WebSocketReceive`).
 *
 * Contract, as built by the WebSocket issue: `send` and `receive` queue
 * operations on a handle; `getAction` says what I/O to do next;
 * `completeAction` reports it; a receive with no buffer is handed a view of
 * the component's own buffer (zero copy), valid until its action completes.
 *
 * Not built yet: this entry point exists so the package's subpath exports are
 * stable from the first release.
 */
export {};
