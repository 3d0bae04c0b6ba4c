/**
 * The echo endpoint behind `netrx websocket echo` and `/ws/echo` in
 * `netrx up`: every message goes back as it came (text as text, binary as
 * binary). Backpressure is the transport's: reading pauses while the peer
 * does not read its echoes, so memory stays bounded.
 *
 * It sets the connection's `binaryType` to `'fragments'`: a binary message
 * that arrived in several socket reads comes as views of those reads and
 * goes back as one frame whose payload is those views (written with
 * writev), never gathered into a buffer of its own. Echoing 1 MiB that way
 * saves the server the gather copy and a fresh 1 MiB buffer per message
 * (docs/performance.md). Text, compressed and one-read messages are
 * echoed whole, as before.
 */
import type { WebSocket } from './websocket.js';

export function echoConnection(ws: WebSocket): void {
  ws.binaryType = 'fragments';
  ws.on('message', (data: Buffer | Buffer[], isBinary: boolean) => {
    if (!Array.isArray(data)) {
      ws.send(data, { binary: isBinary });
      return;
    }
    ws.send(data, { binary: true });
  });
}
