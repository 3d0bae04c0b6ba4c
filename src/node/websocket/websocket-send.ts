/**
 * The sending half of a Node WebSocket connection (split from websocket.ts,
 * which extends it): `send`, `sendPrepared` (a broadcast's fast path),
 * `ping`, `pong`, and the bounds on them: `'backpressure'` over
 * `backpressureAbove`, a refusal over `maxBackpressure` or the core's queue
 * bound (the callback hears it, or the connection fails with 1008, so no
 * message is lost silently), send callbacks kept in send order.
 *
 * The connection's state lives here as protected fields so both halves
 * share one object (memory per connection); websocket.ts opens, closes and
 * receives.
 */
import type { NetrxError } from '../../runtime/index.js';
import type { PreparedMessage, WebSocketHandle } from '../../websocket/index.js';
import { WebSocketEventTarget } from './event-target.js';
import { toControlPayload, type SendData } from './message-data.js';
import {
  DEFAULT_BACKPRESSURE_ABOVE,
  DEFAULT_MAX_BACKPRESSURE,
  type ConnectionOptions,
} from './options.js';
import {
  CLOSING,
  CONNECTING,
  OPEN,
  notOpen,
  type SendCallback,
  type SendOptions,
  type SendPreparedOptions,
  type SendResult,
} from './ready-state.js';
import { NO_COMPRESS, backpressureError, isQueueFull, messageSend } from './send-args.js';
import { SendCallbacks } from './send-callbacks.js';
import type { SocketTransport } from './transport.js';

/** A close frame arrived from the peer (a clean close, for WHATWG's `wasClean`). */
export const FLAG_CLOSE_RECEIVED = 1;
/** This side failed the connection (the peer broke the protocol); `closeCode` is the code sent. */
export const FLAG_FAILED = 2;
export const FLAG_CLOSE_EMITTED = 4;
/** `send` answered backpressure (or refused): `'drain'` is owed. */
export const FLAG_BACKPRESSURED = 8;

/** The connection's state and its sends; `WebSocket` adds opening, closing and receiving. */
export class WebSocketSender extends WebSocketEventTarget {
  protected state = CONNECTING;
  protected transport: SocketTransport | undefined;
  protected handle: WebSocketHandle | undefined;
  protected closeCode = 1006;
  /** Four booleans in one number (memory per connection): see FLAG_*. */
  protected flags = 0;
  protected readonly connectionOptions: ConnectionOptions;
  /** Made on the first send with a callback: most connections never need one. */
  private sendCallbacks: SendCallbacks | undefined;
  /** Sends refused over `maxBackpressure` (made on the first: most connections never refuse). */
  private refused: { sends: number; bytes: number } | undefined;

  protected constructor(connectionOptions: ConnectionOptions) {
    super();
    this.connectionOptions = connectionOptions;
  }

  // Read from the options when needed rather than kept per connection.
  protected get backpressureAbove(): number {
    return this.connectionOptions.backpressureAbove ?? DEFAULT_BACKPRESSURE_ABOVE;
  }

  protected get maxBackpressure(): number {
    return this.connectionOptions.maxBackpressure ?? DEFAULT_MAX_BACKPRESSURE;
  }

  /** Bytes accepted by `send` and not yet handed to the kernel. */
  get bufferedAmount(): number {
    return this.transport?.bufferedAmount ?? 0;
  }

  /** Sends refused because more than `maxBackpressure` bytes would have waited. */
  get sendsRefused(): number {
    return this.refused?.sends ?? 0;
  }

  /** The bytes of those refused sends. */
  get bytesRefused(): number {
    return this.refused?.bytes ?? 0;
  }

  /**
   * Sends a message: a string (or number) goes as text, bytes as binary
   * unless `options.binary` is false. `cb` runs once the frame is written to
   * the socket (or with an error when it cannot be). Throws while
   * CONNECTING, as `ws` and WHATWG do; once closing, answers `'dropped'` and
   * calls `cb` with an error. Callbacks run in send order. Over
   * `maxBackpressure`: `'dropped'`, and `cb` gets `ERR_WS_BACKPRESSURE`;
   * without `cb` the connection fails instead (`'error'`, close 1008).
   * netrx also takes an array of Buffers (what `binaryType: 'fragments'`
   * hands out): one binary message, sent as those pieces behind one header
   * where it can (a server without permessage-deflate), else joined.
   */
  send(
    data: SendData | readonly Uint8Array[],
    optionsOrCallback?: SendOptions | SendCallback,
    maybeCallback?: SendCallback,
  ): SendResult {
    const callback = typeof optionsOrCallback === 'function' ? optionsOrCallback : maybeCallback;
    const options = typeof optionsOrCallback === 'object' ? optionsOrCallback : {};
    if (this.state === CONNECTING) throw notOpen(this.state);
    const message = messageSend(data, options);
    const handle = this.admit('message', message.length, callback);
    if (handle === undefined) return 'dropped';
    const waiting = (this.transport as SocketTransport).bufferedAmount;
    const context = this.contextFor(callback);
    try {
      // `compress: false`: one uncompressed frame, as ws sends (fragments are never compressed).
      if (message.pieces !== undefined) {
        const type = message.fin ? 'binary-message' : 'binary-fragment';
        handle.sendPieces(type, message.pieces, context);
      } else {
        const sendOptions = options.compress === false ? NO_COMPRESS : undefined;
        handle.send(message.type, message.bytes, context, sendOptions);
      }
    } catch (error) {
      this.queueRefused(error, context, message.length);
      return 'dropped';
    }
    return this.queued(waiting, message.length);
  }

  /**
   * Sends a message framed once for many connections (`WebSocketServer.prepare`,
   * what `broadcast` uses): its shared bytes where this connection can send
   * them as they are, else compressed or masked here. Ordered with this
   * connection's other sends and bounded as `send` is; `{ whenFull: 'skip' }`
   * makes a refusal over `maxBackpressure` (or `maxQueuedSends`) a counted
   * skip (`sendsRefused`) instead of failing the connection. The message's
   * bytes belong to it, so `cb` only says the frame was written.
   */
  sendPrepared(
    message: PreparedMessage,
    optionsOrCallback?: SendPreparedOptions | SendCallback,
    maybeCallback?: SendCallback,
  ): SendResult {
    const callback = typeof optionsOrCallback === 'function' ? optionsOrCallback : maybeCallback;
    const skip = typeof optionsOrCallback === 'object' && optionsOrCallback.whenFull === 'skip';
    if (this.state === CONNECTING) throw notOpen(this.state);
    const handle = this.admit('message', message.length, callback, skip);
    if (handle === undefined) return 'dropped';
    const transport = this.transport as SocketTransport;
    const waiting = transport.bufferedAmount;
    // Fast path: an idle connection gets the shared frame in one write, no
    // queue, microtask or action loop. With a callback the send goes
    // through the queue, whose completions keep callbacks in send order.
    if (callback === undefined && transport.writesNow) {
      const bytes = handle.takePrepared(message);
      if (bytes !== undefined) {
        transport.writeNow(bytes);
        return this.backpressureFor(waiting, message.length);
      }
    }
    const context = this.contextFor(callback);
    try {
      handle.sendPrepared(message, context);
    } catch (error) {
      this.queueRefused(error, context, message.length, skip);
      return 'dropped';
    }
    return this.queued(waiting, message.length);
  }

  /** A message went into the queue: write it this turn, and say whether too much waits. */
  private queued(waiting: number, length: number): SendResult {
    this.transport?.schedule();
    return this.backpressureFor(waiting, length);
  }

  /** `'backpressure'` when more than `backpressureAbove` waited with this message, else `'sent'`. */
  private backpressureFor(waiting: number, length: number): SendResult {
    if (waiting + length > this.backpressureAbove) {
      this.flags |= FLAG_BACKPRESSURED;
      return 'backpressure';
    }
    return 'sent';
  }

  /** Sends a ping (at most 125 bytes). Throws while CONNECTING, as `ws` does. */
  ping(data?: SendData, _mask?: boolean, callback?: SendCallback): void {
    this.control('ping-pong', data, callback);
  }

  /** Sends an unsolicited pong (or the answer to a ping with `autoPong: false`). */
  pong(data?: SendData, _mask?: boolean, callback?: SendCallback): void {
    this.control('unsolicited-pong', data, callback);
  }

  private control(
    type: 'ping-pong' | 'unsolicited-pong',
    data: SendData | undefined,
    callback: SendCallback | undefined,
  ): void {
    if (this.state === CONNECTING) throw notOpen(this.state);
    const payload = toControlPayload(data);
    if (payload.length > 125) {
      throw new RangeError(`A ping or pong carries at most 125 bytes: got ${payload.length}`);
    }
    // Bounded as send() is: over maxBackpressure or the core's queue bound the
    // ping or pong is refused (the callback hears it; without one the
    // connection fails, as for a refused message), never thrown or queued past the bound.
    const handle = this.admit(type === 'ping-pong' ? 'ping' : 'pong', payload.length, callback);
    if (handle === undefined) return;
    const context = this.contextFor(callback);
    try {
      handle.send(type, payload, context);
    } catch (error) {
      this.queueRefused(error, context, payload.length);
      return;
    }
    this.transport?.schedule();
  }

  /**
   * The handle to queue a send on, or undefined when the send is refused
   * now: the connection is not open, or it would go over `maxBackpressure`
   * (`callback` hears why; without one the connection fails).
   */
  private admit(
    what: string,
    length: number,
    callback: SendCallback | undefined,
    skip = false,
  ): WebSocketHandle | undefined {
    const handle = this.handle;
    if (this.state !== OPEN || handle === undefined || this.transport === undefined) {
      this.failLater(callback, notOpen(this.state));
      return undefined;
    }
    const waiting = this.transport.bufferedAmount;
    if (waiting + length > this.maxBackpressure) {
      const error = backpressureError(what, waiting + length, this.maxBackpressure);
      this.failLater(callback, error);
      this.refuse(callback !== undefined || skip, length, error);
      return undefined;
    }
    return handle;
  }

  /** The handle threw on a send: its queue bound refuses as maxBackpressure does; anything else is rethrown. */
  private queueRefused(
    error: unknown,
    context: number | undefined,
    length: number,
    skip = false,
  ): void {
    const full = isQueueFull(error);
    if (context !== undefined) this.sendCallbacks?.fail(context, full ? error : undefined);
    if (!full) throw error;
    this.refuse(context !== undefined || skip, length, error);
  }

  /** The send context standing for `callback` (none without one: the common case costs nothing). */
  private contextFor(callback: SendCallback | undefined): number | undefined {
    if (callback === undefined) return undefined;
    return (this.sendCallbacks ??= new SendCallbacks()).add(callback);
  }

  /** A send that did not go out: `callback` hears it after every earlier send's callback. */
  private failLater(callback: SendCallback | undefined, error: Error): void {
    if (callback !== undefined)
      (this.sendCallbacks ??= new SendCallbacks()).addSettled(callback, error);
  }

  /**
   * A message refused over `maxBackpressure` (or the core's queue bound).
   * With a callback (`heard`) the caller hears it and decides; without one
   * nobody would, and the peer would get a stream with a hole: the
   * connection fails instead (`'error'`, then a 1008 close), so no message
   * is ever lost silently.
   */
  private refuse(heard: boolean, length: number, error: NetrxError): void {
    this.flags |= FLAG_BACKPRESSURED;
    const refused = (this.refused ??= { sends: 0, bytes: 0 });
    refused.sends++;
    refused.bytes += length;
    if (heard) return;
    this.failOverBackpressure(error);
  }

  /** `'error'`, then a 1008 close behind what was accepted (the peer may never read it). */
  protected failOverBackpressure(error: NetrxError): void {
    process.nextTick(() => this.emitError(error));
    const handle = this.handle;
    if (handle?.state === 'open') {
      handle.send('close', { code: 1008, reason: 'send backpressure limit exceeded' });
      // The ws-like 'close' reports the code sent even when the peer never echoes it.
      this.closeCode = 1008;
      this.flags |= FLAG_FAILED;
    }
    this.state = CLOSING;
    this.transport?.armCloseTimer();
    this.transport?.schedule();
  }

  /** The socket took the send's bytes (`sent`), or it was cancelled. */
  protected sendCompleted(context: unknown, sent: boolean): void {
    if (typeof context !== 'number') return;
    this.sendCallbacks?.complete(
      context,
      sent ? undefined : new Error('The message was not sent: the connection closed first'),
    );
  }

  /** The transport closed: every send still waiting for its callback failed. */
  protected failPendingSends(): void {
    this.sendCallbacks?.failAll(new Error('The message was not sent: the connection closed first'));
  }
}
