/**
 * netrx/node/ws: netrx's Node WebSocket in the module shape of the `ws`
 * package, so `import WebSocket, { WebSocketServer } from 'ws'` becomes
 * `import WebSocket, { WebSocketServer } from 'netrx/node/ws'` and nothing
 * else changes. The default export is `WebSocket`; the named exports are
 * those of netrx/node's WebSocket part. A subpath of its own, because a
 * default export of `netrx/node` (links, ports, the host, ...) being
 * `WebSocket` would surprise everyone who is not switching from ws.
 */
import { WebSocket } from '../websocket/index.js';

export * from '../websocket/index.js';
export default WebSocket;
