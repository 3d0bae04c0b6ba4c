/**
 * `WebSocketStream`: the streams-based WebSocket API Chromium ships (the
 * WHATWG draft, ricea/websocketstream-explainer), on netrx connections.
 *
 * Client: `new WebSocketStream(url, { protocols, signal })`; `opened`
 * gives `{ readable, writable, extensions, protocol }`, `closed` gives
 * `{ closeCode, reason }`. Server: `WebSocketStream.fromWebSocket(ws)`
 * wraps a connection `WebSocketServer` accepted, over HTTP/1.1 or HTTP/2
 * (RFC 8441) alike; call it inside the `'connection'` listener, before
 * the connection starts reading, and let the stream own the connection.
 *
 * Semantics (the draft's): `signal` aborts the opening handshake only
 * (`opened` and `closed` reject with its reason; once open it has no
 * effect). A connection that fails to open rejects both with a
 * `WebSocketError` whose `closeCode` is null (as Chromium 156 does). A clean close resolves
 * `closed`, ends the readable (what is queued stays readable) and errors
 * the writable; an unclean one rejects `closed` and errors both sides with
 * a `WebSocketError` (1006). `readable.cancel(reason)` and
 * `writable.abort(reason)` close the connection with the reason's code when
 * it is a `WebSocketError`, else with no status code; `writable.close()`
 * closes with no status code. `opened` and `closed` are marked handled, so
 * a failure nobody awaits does not crash Node with an unhandled rejection.
 *
 * The web streams are the globals of `node:stream/web` (Node 20, Deno,
 * Bun and browsers have the same): only the connection underneath is Node's.
 */
import type { ClientOptions } from './client.js';
import { parseWebSocketUrl } from './client.js';
import { ACCEPTS_NO_SUBPROTOCOL } from './client-connect.js';
import { CONNECTING, OPEN } from './ready-state.js';
import { WebSocket } from './websocket.js';
import { unheardMessages, type CloseEventLike } from './event-target.js';
import {
  checkCloseInfo,
  connectionError,
  type WebSocketCloseInfo,
  type WebSocketError,
} from './websocket-error.js';
import {
  DEFAULT_STREAM_HIGH_WATER_MARK,
  ReadableSide,
  WritableSide,
  closeUsingReason,
  type WebSocketStreamChunk,
  type WebSocketStreamMessage,
} from './websocket-stream-sides.js';

/** Sizes of the two queues, in bytes (see `messageSize`). */
export interface WebSocketStreamQueueOptions {
  /** The readable's high-water mark: above it the socket stops reading (default 64 KiB). */
  readonly readableHighWaterMark?: number;
  /** The writable's high-water mark: above it `writer.ready` waits (default 64 KiB). */
  readonly writableHighWaterMark?: number;
}

/** `new WebSocketStream(url, options)`: the draft's two options, and netrx's client options. */
export interface WebSocketStreamOptions extends ClientOptions, WebSocketStreamQueueOptions {
  readonly protocols?: string | readonly string[];
  /** Aborts the opening handshake (no effect once `opened` resolved). */
  readonly signal?: AbortSignal;
}

/** What `opened` resolves with. */
export interface WebSocketOpenInfo {
  readonly readable: ReadableStream<WebSocketStreamMessage>;
  readonly writable: WritableStream<WebSocketStreamChunk>;
  /** The negotiated `Sec-WebSocket-Extensions` header ('' for none). */
  readonly extensions: string;
  /** The subprotocol the server chose ('' for none). */
  readonly protocol: string;
}

/** What `closed` resolves with (1005 when the close frame had no status code). */
export interface WebSocketClosedInfo {
  readonly closeCode: number;
  readonly reason: string;
}

/** Set by `fromWebSocket` for the one constructor call that adopts a connection. */
let adopting: { ws: WebSocket; options: WebSocketStreamQueueOptions } | undefined;

/** Settles a promise from outside; `settled` makes later calls no-ops. */
interface Deferred<T> {
  readonly promise: Promise<T>;
  settled: boolean;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolvePromise!: (value: T) => void;
  let rejectPromise!: (error: unknown) => void;
  const promise = new Promise<T>((resolve, reject) => {
    resolvePromise = resolve;
    rejectPromise = reject;
  });
  // The draft marks these handled: a failure nobody awaits must not kill Node.
  promise.catch(() => {});
  const d: Deferred<T> = {
    promise,
    settled: false,
    resolve(value) {
      if (d.settled) return;
      d.settled = true;
      resolvePromise(value);
    },
    reject(error) {
      if (d.settled) return;
      d.settled = true;
      rejectPromise(error);
    },
  };
  return d;
}

function highWaterMarkOf(value: number | undefined, name: string): number {
  if (value === undefined) return DEFAULT_STREAM_HIGH_WATER_MARK;
  // Finite: an infinite mark would never pause the socket, an unbounded queue.
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`${name} must be a finite number >= 0: got ${String(value)}`);
  }
  return value;
}

export class WebSocketStream {
  /** The URL the connection was opened to (the request URL on the server side). */
  readonly url: string;
  readonly opened: Promise<WebSocketOpenInfo>;
  readonly closed: Promise<WebSocketClosedInfo>;
  readonly #opened = deferred<WebSocketOpenInfo>();
  readonly #closed = deferred<WebSocketClosedInfo>();
  readonly #ws: WebSocket | undefined;
  #readable: ReadableSide | undefined;
  #writable: WritableSide | undefined;
  /** The last `'error'` the connection reported: the cause of a failure's WebSocketError. */
  #lastError: unknown;

  constructor(url: string | URL, options: WebSocketStreamOptions = {}) {
    this.opened = this.#opened.promise;
    this.closed = this.#closed.promise;
    const adopted = adopting;
    adopting = undefined;
    const queue = adopted?.options ?? options;
    const readableHighWaterMark = highWaterMarkOf(
      queue.readableHighWaterMark,
      'readableHighWaterMark',
    );
    const writableHighWaterMark = highWaterMarkOf(
      queue.writableHighWaterMark,
      'writableHighWaterMark',
    );
    let ws: WebSocket;
    if (adopted !== undefined) {
      ws = adopted.ws;
      this.url = ws.url;
    } else {
      this.url = parseWebSocketUrl(url).href;
      const signal = options.signal;
      if (signal?.aborted === true) {
        this.#fail(signal.reason);
        return;
      }
      const { protocols, signal: _signal, ...clientOptions } = options;
      const offered = typeof protocols === 'string' ? [protocols] : (protocols ?? []);
      // WHATWG: a server that chose none of the offered subprotocols is
      // accepted (protocol ''), where the ws-like WebSocket fails as ws does.
      ws = new WebSocket(this.url, offered, {
        ...clientOptions,
        [ACCEPTS_NO_SUBPROTOCOL]: true,
      } as typeof clientOptions);
      if (signal !== undefined) {
        const onAbort = (): void => {
          if (this.#opened.settled) return;
          this.#fail(signal.reason);
          ws.terminate();
        };
        signal.addEventListener('abort', onAbort, { once: true });
        // Once settled (open or failed) the signal has no say: drop the listener.
        const forget = (): void => signal.removeEventListener('abort', onAbort);
        this.opened.then(forget, forget);
      }
    }
    this.#ws = ws;
    this.#attach(ws, readableHighWaterMark, writableHighWaterMark);
  }

  /**
   * Wraps a connection (server side: the one `WebSocketServer` handed to
   * `'connection'`), which the stream then owns. Call it before the
   * connection delivers messages (inside the listener, before any
   * `await`). A connection that already delivered a message nobody
   * listened to is refused with a `DOMException` `InvalidStateError`: the
   * stream would start with a silent gap. (Messages a `'message'` listener
   * took are not lost: handing over after them is fine.)
   */
  static fromWebSocket(ws: WebSocket, options: WebSocketStreamQueueOptions = {}): WebSocketStream {
    const lost = unheardMessages(ws);
    if (lost > 0) {
      throw new DOMException(
        `WebSocketStream.fromWebSocket: the connection already delivered ${lost} message(s) ` +
          "nobody listened to; wrap it inside the 'connection' listener, before any await",
        'InvalidStateError',
      );
    }
    adopting = { ws, options };
    try {
      return new WebSocketStream('ws://adopted.invalid/');
    } finally {
      adopting = undefined;
    }
  }

  /**
   * Starts the closing handshake (`closeCode` 1000 or 3000-4999, `reason`
   * at most 123 bytes; a reason alone means 1000; neither: no status code).
   * Before the connection is open it abandons the attempt instead.
   */
  close(closeInfo?: WebSocketCloseInfo): void {
    const { closeCode, reason } = checkCloseInfo(closeInfo);
    const ws = this.#ws;
    if (ws === undefined) return;
    if (ws.readyState === CONNECTING) {
      this.#fail(connectionError('The WebSocket was closed before it opened', null));
      ws.terminate();
      return;
    }
    // A paused connection would never read the peer's close reply.
    this.#readable?.closingStarted();
    if (closeCode === null) ws.close();
    else ws.close(closeCode, reason);
  }

  /**
   * Messages dropped because they arrived after this side started closing
   * while the readable's queue was full (netrx: not in the WHATWG draft).
   * Reading stays paused at the high-water mark until then; once closing,
   * the connection reads on so the peer's close is seen.
   */
  get discardedMessages(): number {
    return this.#readable?.discarded ?? 0;
  }

  #attach(ws: WebSocket, readableHighWaterMark: number, writableHighWaterMark: number): void {
    ws.binaryType = 'uint8array';
    const host = {
      closeUsing: (reason: unknown) => {
        readable.closingStarted();
        closeUsingReason(ws, reason);
      },
    };
    const readable = new ReadableSide(ws, host, readableHighWaterMark);
    const writable = new WritableSide(ws, host, writableHighWaterMark);
    this.#readable = readable;
    this.#writable = writable;
    ws.on('message', (data: Uint8Array, isBinary: boolean) => readable.message(data, isBinary));
    ws.on('error', (error: unknown) => {
      this.#lastError = error;
    });
    ws.addEventListener('close', (event: CloseEventLike) => this.#onClose(event));
    const open = (): void =>
      this.#opened.resolve({
        readable: readable.stream,
        writable: writable.stream,
        extensions: ws.extensions,
        protocol: ws.protocol,
      });
    if (ws.readyState === OPEN) open();
    else if (ws.readyState === CONNECTING) ws.once('open', open);
    else this.#fail(connectionError('The WebSocket is already closed', null));
  }

  #onClose(event: CloseEventLike): void {
    if (!this.#opened.settled) {
      this.#fail(
        connectionError(
          'The WebSocket connection could not be established',
          null,
          '',
          this.#lastError,
        ),
      );
      return;
    }
    if (event.wasClean) {
      this.#readable?.close();
      this.#writable?.error(connectionError('The WebSocket closed', event.code, event.reason));
      this.#closed.resolve({ closeCode: event.code, reason: event.reason });
      return;
    }
    const error = connectionError(
      'The WebSocket connection closed without a closing handshake',
      1006,
      '',
      this.#lastError,
    );
    this.#readable?.error(error);
    this.#writable?.error(error);
    this.#closed.reject(error);
  }

  /** The connection did not open: both promises reject with `error`. */
  #fail(error: unknown): void {
    this.#opened.reject(error);
    this.#closed.reject(error);
    const failure = error as WebSocketError;
    this.#readable?.error(failure);
    this.#writable?.error(failure);
  }
}
