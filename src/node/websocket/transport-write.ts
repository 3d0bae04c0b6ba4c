/**
 * Writes: frames produced in one turn are gathered and written once when
 * the turn ends (a microtask), or as soon as 32 frames or 16 KiB have
 * gathered: many small messages cost few syscalls, and a peer pipelining
 * with us gets work while we still decode. Small batches are joined into one
 * buffer; large ones go out corked (writev).
 *
 * Writes one turn's batch of frames (split from transport.ts): one frame as
 * is, a small batch joined into one buffer (one syscall, no writev
 * bookkeeping), a large one corked (writev). `done` runs once the last
 * write is out. Returns what the last `write` returned (false: backed up).
 *
 * `join: false` (an HTTP/2 stream) always corks: the stream's writev
 * hands its buffers to nghttp2, which frames them as DATA without a join,
 * and nghttp2 and TLS gather a tick's output themselves, so the joined
 * copy bought nothing there (the server's CPU per echoed 1 KiB message
 * fell about 4%, docs/performance.md).
 */
import type { Duplex } from 'node:stream';
import { JOIN_BELOW } from './transport-limits.js';
import type { WriteCallback } from './transport-events.js';

export function writeBatch(
  socket: Duplex,
  outbox: readonly Uint8Array[],
  outboxBytes: number,
  done: WriteCallback | undefined,
  join = true,
): boolean {
  if (outbox.length === 1) return socket.write(outbox[0], done);
  if (join && outboxBytes <= JOIN_BELOW) {
    const joined = Buffer.allocUnsafe(outboxBytes);
    let at = 0;
    for (const b of outbox) {
      joined.set(b, at);
      at += b.length;
    }
    return socket.write(joined, done);
  }
  socket.cork();
  const last = outbox.length - 1;
  for (let i = 0; i < last; i++) socket.write(outbox[i]);
  const ok = socket.write(outbox[last], done);
  socket.uncork();
  return ok;
}

/**
 * Runs `callbacks` once what the socket already holds is written: at once
 * if it holds nothing, with an error if it is `gone`, else after an empty
 * write (Node runs write callbacks in order).
 */
export function runWhenWritten(socket: Duplex, gone: boolean, callbacks: WriteCallback[]): void {
  if (gone) {
    const error = new Error('The socket closed before the data was written');
    for (const callback of callbacks) callback(error);
  } else if (socket.writableLength === 0) {
    for (const callback of callbacks) callback();
  } else {
    socket.write(new Uint8Array(0), (error?: Error | null) => {
      for (const callback of callbacks) callback(error);
    });
  }
}
