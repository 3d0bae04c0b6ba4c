/**
 * The echo endpoint behind `netrx websocket echo` and `/ws/echo` in
 * `netrx up`: every message goes back as it came (text as text, binary as
 * binary). Backpressure is the transport's: reading pauses while the peer
 * does not read its echoes, so memory stays bounded.
 */
import type { WebSocket } from './websocket.js';

export function echoConnection(ws: WebSocket): void {
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    ws.send(data, { binary: isBinary });
  });
}
