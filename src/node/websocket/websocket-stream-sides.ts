/**
 * The two web streams of a `WebSocketStream` over a netrx `WebSocket`,
 * with backpressure carried through both ways:
 *
 * - Readable: each message is enqueued as one chunk (a string for text, a
 *   `Uint8Array` view for binary). When the queue holds its high-water
 *   mark the connection is paused, so its socket stops reading and the
 *   peer's TCP window closes; the next `pull` (a reader asked for more)
 *   resumes it. A read is thus a posted receive, and a reader that stops
 *   reading stops the socket reading.
 * - Writable: each chunk is one message, and `write()` resolves when the
 *   socket's write callback ran for its bytes (the send's completion), so
 *   a peer that does not read makes `write()` stop resolving and
 *   `writer.ready` stay pending once the queue holds its high-water mark:
 *   nothing grows without a bound.
 *
 * Queue sizes count bytes (UTF-16 units for text) plus a fixed overhead
 * per message, so a flood of empty messages fills the queue too.
 */
import type { WebSocket } from './websocket.js';
import { WebSocketError } from './websocket-error.js';

/** What the writable takes: text, or bytes sent as a binary message. */
export type WebSocketStreamChunk = string | ArrayBuffer | ArrayBufferView;

/** What the readable yields: text messages as strings, binary ones as bytes. */
export type WebSocketStreamMessage = string | Uint8Array;

/** Default high-water mark of each side's queue, in bytes. */
export const DEFAULT_STREAM_HIGH_WATER_MARK = 64 * 1024;

/**
 * What each queued message costs beyond its payload: roughly a queue
 * entry and a view, so that empty messages fill the queue too.
 */
export const MESSAGE_OVERHEAD_BYTES = 64;

export function messageSize(chunk: WebSocketStreamChunk): number {
  if (typeof chunk === 'string') return chunk.length + MESSAGE_OVERHEAD_BYTES;
  // Anything else without a byte length (the write then fails with a TypeError) costs the overhead.
  const length = (chunk as { byteLength?: unknown }).byteLength;
  return (typeof length === 'number' ? length : 0) + MESSAGE_OVERHEAD_BYTES;
}

/** What the sides ask of the connection's owner (the `WebSocketStream`). */
export interface StreamSideHost {
  /** Close the connection as the draft's "close using reason" says. */
  closeUsing(reason: unknown): void;
}

/**
 * Closes `ws` for a cancelled readable or an aborted writable: a
 * `WebSocketError` gives its code and reason; anything else closes with
 * no status code (the close frame has no body), as Chromium does.
 */
export function closeUsingReason(ws: WebSocket, reason: unknown): void {
  if (reason instanceof WebSocketError && reason.closeCode !== null) {
    ws.close(reason.closeCode, reason.reason);
  } else {
    ws.close();
  }
}

/** The readable side: messages in, pause above the high-water mark, resume on pull. */
export class ReadableSide {
  readonly stream: ReadableStream<WebSocketStreamMessage>;
  private controller: ReadableStreamDefaultController<WebSocketStreamMessage> | undefined;
  /** Closed, errored or cancelled: messages that still arrive are dropped. */
  private done = false;
  /** This side paused the connection (and owes it a resume). */
  private paused = false;
  /** This side started the closing handshake (see `closingStarted`). */
  private closing = false;
  /** Messages dropped while closing because the queue had no room. */
  discarded = 0;
  private readonly decoder = new TextDecoder();
  /** Settles the pending `pull` (see the constructor): set while one waits. */
  private wakePull: (() => void) | undefined;

  constructor(
    private readonly ws: WebSocket,
    host: StreamSideHost,
    private readonly highWaterMark: number,
  ) {
    this.stream = new ReadableStream<WebSocketStreamMessage>(
      {
        start: (controller) => {
          this.controller = controller;
        },
        // The stream calls `pull` after every enqueue that leaves room, a
        // promise per message; a pull left pending until this side pauses
        // makes it one call per pause instead (the stream defers pulls
        // while one is pending, and only a paused connection needs one).
        pull: () => {
          if (this.paused) {
            this.resume();
            return undefined;
          }
          return new Promise<void>((wake) => {
            this.wakePull = wake;
          });
        },
        cancel: (reason) => {
          this.done = true;
          host.closeUsing(reason);
        },
      },
      { highWaterMark, size: messageSize },
    );
  }

  /** A message from the connection (its `'message'` event). */
  message(data: Uint8Array, isBinary: boolean): void {
    const controller = this.controller;
    if (this.done || controller === undefined) return;
    if (this.closing && (controller.desiredSize ?? 0) <= 0) {
      // This side is closing and reads on to see the peer's close: what the queue has no room for is dropped, counted.
      this.discarded++;
      return;
    }
    // Text arrives as bytes the connection already checked are UTF-8.
    controller.enqueue(isBinary ? data : this.decoder.decode(data));
    const room = controller.desiredSize ?? 0;
    // Pause only while messages wait unread: at a high-water mark of 0 a message handed
    // straight to a waiting read leaves room 0 and an empty queue, and reading goes on.
    const waiting = room < 0 || (room === 0 && this.highWaterMark > 0);
    if (waiting && !this.paused && !this.closing) {
      this.paused = true;
      this.ws.pause();
      // The next pull (a read that makes room) resumes the connection.
      const wake = this.wakePull;
      this.wakePull = undefined;
      wake?.();
    }
  }

  /**
   * This side started the closing handshake: read on so the peer's close
   * is seen (messages beyond the queue's room are dropped from now on,
   * counted in `discarded`).
   */
  closingStarted(): void {
    this.closing = true;
    this.resume();
  }

  /** The connection closed cleanly: what is queued can still be read, then the stream ends. */
  close(): void {
    if (this.done) return;
    this.done = true;
    this.controller?.close();
  }

  error(error: WebSocketError): void {
    if (this.done) return;
    this.done = true;
    this.controller?.error(error);
  }

  private resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.ws.resume();
  }
}

/** The writable side: one message per chunk, each write resolved by its send's completion. */
export class WritableSide {
  readonly stream: WritableStream<WebSocketStreamChunk>;
  private controller: WritableStreamDefaultController | undefined;

  constructor(ws: WebSocket, host: StreamSideHost, highWaterMark: number) {
    this.stream = new WritableStream<WebSocketStreamChunk>(
      {
        start: (controller) => {
          this.controller = controller;
        },
        write: (chunk) => sendMessage(ws, chunk),
        close: () => {
          host.closeUsing(undefined);
        },
        abort: (reason) => {
          host.closeUsing(reason);
        },
      },
      { highWaterMark, size: messageSize },
    );
  }

  /** The connection ended: writes can no longer happen. */
  error(error: WebSocketError): void {
    this.controller?.error(error);
  }
}

/** Sends one chunk as one message; resolves once the socket took its bytes. */
function sendMessage(ws: WebSocket, chunk: WebSocketStreamChunk): Promise<void> {
  let payload: string | Uint8Array;
  if (typeof chunk === 'string') payload = chunk;
  else if (chunk instanceof ArrayBuffer) payload = copyOf(new Uint8Array(chunk));
  else if (ArrayBuffer.isView(chunk)) {
    // WHATWG sends a copy: the caller may reuse its buffer as soon as write() returns.
    payload = copyOf(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  } else {
    return Promise.reject(
      new TypeError('A WebSocketStream writes strings, ArrayBuffers and ArrayBuffer views'),
    );
  }
  return new Promise<void>((resolve, reject) => {
    ws.send(payload, { binary: typeof payload !== 'string' }, (error) => {
      if (error == null) resolve();
      else reject(error);
    });
  });
}

/**
 * A deliberate copy (see `sendMessage`) into memory that is not zeroed
 * first, and for small chunks a view of Node's shared pool: a fresh
 * ArrayBuffer per message cost an allocation and its GC tracking each.
 */
function copyOf(bytes: Uint8Array): Uint8Array {
  const copy = Buffer.allocUnsafe(bytes.byteLength);
  copy.set(bytes);
  return copy;
}
