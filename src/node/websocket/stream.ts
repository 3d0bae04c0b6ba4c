/**
 * `createWebSocketStream(ws)`: a connection as a Node `Duplex`, with
 * backpressure both ways. Reading: each message is pushed as a chunk; when
 * the readable side is full the connection is paused (its socket stops
 * reading) until the consumer asks for more. Writing: each chunk is one
 * message, and the write completes when the socket took it, so the
 * writable side's highWaterMark bounds what waits. Ending the writable side
 * starts the closing handshake; the readable side ends when the connection
 * closes.
 */
import { Duplex, type DuplexOptions } from 'node:stream';
import type { RawData } from './message-data.js';
import { CLOSED, CONNECTING } from './ready-state.js';
import type { WebSocket } from './websocket.js';

export function createWebSocketStream(ws: WebSocket, options: DuplexOptions = {}): Duplex {
  let failed = false;
  const whenOpen = (run: () => void): void => {
    if (ws.readyState === CONNECTING) ws.once('open', run);
    else run();
  };
  const duplex = new Duplex({
    ...options,
    autoDestroy: false,
    emitClose: false,
    objectMode: false,
    writableObjectMode: false,
    read() {
      ws.resume();
    },
    write(chunk: Buffer | string, _encoding, callback) {
      whenOpen(() => {
        if (ws.readyState !== ws.OPEN) {
          callback(new Error('The WebSocket closed before the data could be sent'));
          return;
        }
        ws.send(chunk, (error) => callback(error ?? null));
      });
    },
    final(callback) {
      whenOpen(() => {
        if (ws.readyState === CLOSED) {
          callback();
          return;
        }
        ws.once('close', () => callback());
        ws.close();
      });
    },
    destroy(error, callback) {
      if (ws.readyState === CLOSED) {
        callback(error);
        process.nextTick(() => duplex.emit('close'));
        return;
      }
      ws.once('close', () => {
        callback(error);
        duplex.emit('close');
      });
      if (!failed) ws.terminate();
    },
  });
  ws.on('message', (data: RawData, isBinary: boolean) => {
    // Text always arrives as a Buffer; object mode readers get it as a string.
    const chunk = !isBinary && duplex.readableObjectMode ? (data as Buffer).toString() : data;
    if (!duplex.push(chunk)) ws.pause();
  });
  ws.once('error', (error: Error) => {
    if (duplex.destroyed) return;
    // The connection is failing already: destroying the stream must not terminate it again.
    failed = true;
    duplex.destroy(error);
  });
  ws.once('close', () => {
    if (!duplex.destroyed) duplex.push(null);
  });
  // Both sides done: nothing more can happen, free the stream (autoDestroy is off for the close wait).
  const destroyWhenDone = (): void => {
    if (duplex.readableEnded && duplex.writableFinished && !duplex.destroyed) duplex.destroy();
  };
  duplex.on('end', destroyWhenDone);
  duplex.on('finish', destroyWhenDone);
  return duplex;
}
