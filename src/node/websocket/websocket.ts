/**
 * A WebSocket connection for Node, on both ends: what `WebSocketServer`
 * hands to `'connection'` and what `new WebSocket(url)` opens.
 *
 * The surface follows the `ws` package (EventEmitter events `open`,
 * `upgrade`, `unexpected-response`, `redirect`, `message (data, isBinary)`,
 * `ping`, `pong`, `close (code, reason)`, `error`; `send(data, options?,
 * cb?)`, `ping`, `pong`, `close`, `terminate`, `pause`, `resume`) and the
 * WHATWG WebSocket (`onopen`, `onmessage`, `onclose`, `onerror`,
 * `addEventListener`, `readyState`, `binaryType`, `bufferedAmount`,
 * `protocol`, `extensions`, `url`).
 *
 * Mainly unlike `ws` (docs/websocket.md has the whole table): `send`
 * says what happened (`'sent'`, `'backpressure'`, or `'dropped'` over
 * `maxBackpressure`, counted in `sendsRefused`: without a callback the
 * connection then fails with 1008, so no message is lost silently) and
 * `'drain'` follows; send callbacks run in send order; a
 * peer's violation is emitted as `'error'` only when someone listens;
 * messages that arrived whole in one read are views of it (no copy).
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { NetrxError } from '../../runtime/index.js';
import {
  CLOSED,
  CLOSING,
  CONNECTING,
  OPEN,
  notOpen,
  type SendCallback,
  type SendOptions,
  type SendPreparedOptions,
  type SendResult,
} from './ready-state.js';
import type {
  IndicateReceiveCompleteAction,
  PreparedMessage,
  WebSocketHandle,
} from '../../websocket/index.js';
import type { ClientOptions } from './client.js';
import { clientOptionsOf, connectClient, type ConnectingSocket } from './client-connect.js';
import { WebSocketEventTarget } from './event-target.js';
import { isBinaryType, toControlPayload, type BinaryType, type SendData } from './message-data.js';
import {
  DEFAULT_BACKPRESSURE_ABOVE,
  DEFAULT_MAX_BACKPRESSURE,
  type ConnectionOptions,
} from './options.js';
import {
  connectionEventsClass,
  type ConnectionEvents as ConnectionEventsObject,
} from './connection-events.js';
import {
  NO_COMPRESS,
  backpressureError,
  checkCloseCode,
  isQueueFull,
  messageSend,
} from './send-args.js';
import { SendCallbacks } from './send-callbacks.js';
import { SocketTransport } from './transport.js';

/** A close frame arrived from the peer (a clean close, for WHATWG's `wasClean`). */
const FLAG_CLOSE_RECEIVED = 1;
/** This side failed the connection (the peer broke the protocol); `closeCode` is the code sent. */
const FLAG_FAILED = 2;
const FLAG_CLOSE_EMITTED = 4;
/** `send` answered backpressure (or refused): `'drain'` is owed. */
const FLAG_BACKPRESSURED = 8;

/** Marks the constructor call that wraps a server-side socket. */
const SERVER_SIDE: unique symbol = Symbol('server-side');

/**
 * What the server, the client handshake, the handle and the transport call
 * on a connection. Not methods of `WebSocket`: a public `onTransportClosed`
 * or `onIndication` let any caller forge a close or a message (review r8,
 * defect 8 at the Node layer). The class's static block fills these in, as
 * the core's handle.ts does, since only code in the class body may use its
 * `#` members.
 */
interface ConnectionHost {
  accept(
    socket: Duplex,
    handle: WebSocketHandle,
    options: ConnectionOptions,
    url: string,
  ): WebSocket;
  begin(ws: WebSocket, head: Uint8Array | undefined): void;
}
let connectionHost: ConnectionHost;
/** A client connection's private side, for client-connect.ts (set by the static block). */
let connectingSocket: (ws: WebSocket) => ConnectingSocket;

/** Made once by the static block (connection-events.ts). */
let ConnectionEvents: new (ws: WebSocket) => ConnectionEventsObject;

/** Wraps an upgraded socket (server side); call `beginConnection` once listeners are on. */
export function acceptConnection(
  socket: Duplex,
  handle: WebSocketHandle,
  options: ConnectionOptions = {},
  url = '',
): WebSocket {
  return connectionHost.accept(socket, handle, options, url);
}

/** Starts reading (after `'connection'` listeners ran). */
export function beginConnection(ws: WebSocket, head: Uint8Array | undefined): void {
  connectionHost.begin(ws, head);
}

/** The shared body of server-side and client connections. */
export class WebSocket extends WebSocketEventTarget {
  /** @internal The server's `clients` set this connection is in, if any. */
  trackedBy: Set<WebSocket> | undefined;

  private binaryTypeValue: BinaryType = 'nodebuffer';
  private state = CONNECTING;
  private transport: SocketTransport | undefined;
  private handle: WebSocketHandle | undefined;
  private urlValue = '';
  private closeCode = 1006;
  private closeReason = '';
  /** Four booleans in one number (memory per connection): see FLAG_*. */
  private flags = 0;
  private readonly connectionOptions: ConnectionOptions;
  /** Made on the first send with a callback: most connections never need one. */
  private sendCallbacks: SendCallbacks | undefined;
  /** Sends refused over `maxBackpressure` (made on the first: most connections never refuse). */
  private refused: { sends: number; bytes: number } | undefined;

  private abortConnect: (() => void) | undefined;

  /**
   * Opens a client connection to `url` (ws: or wss:; http: and https: are
   * mapped), offering `protocols`. Server-side connections come from
   * `WebSocketServer`.
   */
  constructor(
    url: string | URL | typeof SERVER_SIDE,
    protocols?: string | readonly string[] | ClientOptions,
    options?: ClientOptions,
  ) {
    super();
    this.connectionOptions = clientOptionsOf(protocols, options);
    if (url === SERVER_SIDE) return;
    this.abortConnect = connectClient(
      url,
      protocols,
      this.connectionOptions,
      connectingSocket(this),
    );
  }

  static {
    connectionHost = {
      accept: (socket, handle, options, url) => {
        const ws = new WebSocket(SERVER_SIDE, options);
        ws.urlValue = url;
        ws.attach(socket, handle);
        return ws;
      },
      begin: (ws, head) => ws.#begin(head),
    };
    connectingSocket = (ws) => ({
      setUrl: (href) => {
        ws.urlValue = href;
      },
      emit: (event, ...args) => ws.emit(event, ...args),
      opened: (socket, handle, rest) => {
        ws.abortConnect = undefined;
        ws.attach(socket, handle);
        ws.emitOpen();
        ws.#begin(rest);
      },
      failed: (error) => {
        ws.abortConnect = undefined;
        const finish = (): void => {
          ws.state = CLOSED;
          if (error !== undefined) ws.emitError(error);
          ws.emitClose(1006, '', 1006);
        };
        // CLOSING before open: the application aborted (abortConnecting).
        if (ws.state === CLOSING) process.nextTick(finish);
        else finish();
      },
    });
  }

  // Read from the options when needed rather than kept per connection.
  private get backpressureAbove(): number {
    return this.connectionOptions.backpressureAbove ?? DEFAULT_BACKPRESSURE_ABOVE;
  }

  private get maxBackpressure(): number {
    return this.connectionOptions.maxBackpressure ?? DEFAULT_MAX_BACKPRESSURE;
  }

  /** The handle has work of its own (a keep-alive ping or failure). */
  #wake(): void {
    this.transport?.drive();
  }

  /** Starts reading (after `'connection'` or `'open'` listeners ran). */
  #begin(head: Uint8Array | undefined): void {
    this.transport?.start(head);
  }

  get readyState(): number {
    return this.state;
  }

  get url(): string {
    return this.urlValue;
  }

  get protocol(): string {
    return this.handle?.negotiated.protocol ?? '';
  }

  get extensions(): string {
    return this.handle?.negotiated.extensions ?? '';
  }

  /**
   * netrx: a new keep-alive interval for this open connection (0: off); one
   * opened without `keepAliveInterval` accepts only 0 (a TypeError).
   */
  setKeepAliveInterval(interval: number): void {
    this.handle?.setKeepAliveInterval(interval);
  }

  /**
   * How binary messages are handed over: `'nodebuffer'` (default),
   * `'arraybuffer'`, `'fragments'`, `'blob'` or `'uint8array'`. Any other
   * value is ignored, as `ws` and WHATWG do.
   */
  get binaryType(): BinaryType {
    return this.binaryTypeValue;
  }
  set binaryType(value: BinaryType) {
    if (!isBinaryType(value)) return;
    this.binaryTypeValue = value;
    // 'fragments': a message split across reads comes as views of them (no gather).
    if (this.transport !== undefined) this.transport.receivePieces = value === 'fragments';
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
   * The socket, for addresses and options (`ws`'s `_socket`). Over HTTP/2
   * (RFC 8441) it is the connection's `Http2Stream`, a Duplex; its
   * `session.socket` is the TCP socket.
   */
  get socket(): Socket | undefined {
    return this.transport?.socket as Socket | undefined;
  }

  /** Whether `pause()` is in effect. */
  get isPaused(): boolean {
    return this.transport?.isPaused ?? false;
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
  private failOverBackpressure(error: NetrxError): void {
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

  /**
   * Starts the closing handshake (code 1000 or 3000-4999 and others RFC
   * 6455 allows; reason ≤ 123 bytes). The socket is destroyed if the
   * handshake has not finished `closeTimeout` ms later.
   */
  close(code?: number, reason?: string | Uint8Array): void {
    if (this.state === CLOSED) return;
    if (this.state === CONNECTING) {
      this.abortConnecting();
      return;
    }
    if (this.state === CLOSING) return;
    checkCloseCode(code);
    const handle = this.handle as WebSocketHandle;
    // The peer's close may have been decoded (and answered) already.
    if (handle.state === 'open') {
      const text = typeof reason === 'string' ? reason : Buffer.from(reason ?? []).toString();
      handle.send('close', code === undefined ? {} : { code, reason: text });
    }
    this.state = CLOSING;
    this.transport?.armCloseTimer();
    this.transport?.schedule();
  }

  /** Drops the connection at once, without a closing handshake. */
  terminate(): void {
    if (this.state === CLOSED) return;
    if (this.state === CONNECTING) {
      this.abortConnecting();
      return;
    }
    this.handle?.abort();
    this.state = CLOSING;
    this.transport?.destroy();
  }

  /** Stops emitting messages (and reading the socket) until `resume()`, as `ws` does. */
  pause(): void {
    if (this.state === CONNECTING || this.state === CLOSED) return;
    this.transport?.pause();
  }

  resume(): void {
    if (this.state === CONNECTING || this.state === CLOSED) return;
    this.transport?.resume();
  }

  /**
   * As `ws`: `readyState` is CLOSING when `close()`/`terminate()` returns,
   * and `'error'` and `'close'` follow on a later tick (`failed` defers
   * them when it finds CLOSING), so handlers never run inside the call.
   */
  private abortConnecting(): void {
    const abort = this.abortConnect;
    this.abortConnect = undefined;
    this.state = CLOSING;
    abort?.();
  }

  private attach(socket: Duplex, handle: WebSocketHandle): void {
    this.handle = handle;
    // The handle and the transport reach the connection through this one
    // small object (its methods on a shared prototype), not public methods.
    const events = new ConnectionEvents(this);
    handle.owner = events;
    this.state = OPEN;
    this.transport = new SocketTransport(socket, handle, events, this.connectionOptions);
    if (this.binaryTypeValue === 'fragments') this.transport.receivePieces = true;
  }

  static {
    ConnectionEvents = connectionEventsClass<WebSocket>({
      wake: (ws) => ws.#wake(),
      binaryType: (ws) => ws.binaryTypeValue,
      message: (ws, payload, binary, bytes) => ws.emitMessage(payload, binary, bytes),
      emit: (ws, event, data) => ws.emit(event, data),
      listensForPings: (ws) => ws.listenerCount('ping') > 0,
      autoPong: (ws) => ws.connectionOptions.autoPong !== false,
      closeIndicated: (ws, action) => ws.#closeIndicated(action),
      sendComplete: (ws, context, sent) => ws.#onSendComplete(context, sent),
      drain: (ws) => ws.#onDrain(),
      inputBacklog: (ws, bytes) => ws.#onInputBacklog(bytes),
      socketError: (ws, error) => ws.emitError(error),
      transportClosed: (ws) => ws.#onTransportClosed(),
    });
  }

  /** The peer's close, or the failure close this side sent (the receive side has ended). */
  #closeIndicated(action: IndicateReceiveCompleteAction): void {
    if (action.error === undefined) this.flags |= FLAG_CLOSE_RECEIVED;
    // A connection this side already failed (1008 over maxBackpressure)
    // keeps that code: the end of stream after `closeTimeout` says 1006.
    if (action.close !== undefined && (this.flags & FLAG_FAILED) === 0) {
      this.closeCode = action.close.code;
      this.closeReason = action.close.reason;
    }
    if (action.error !== undefined) {
      const sent = action.close?.code;
      if (sent !== undefined && sent !== 1006) {
        this.flags |= FLAG_FAILED; // closeCode holds the code sent
        this.emitError(action.error);
      }
    }
    if (this.state === OPEN) this.state = CLOSING;
  }

  /** The socket took the send's bytes (`sent`), or it was cancelled. */
  #onSendComplete(context: unknown, sent: boolean): void {
    if (typeof context !== 'number') return;
    this.sendCallbacks?.complete(
      context,
      sent ? undefined : new Error('The message was not sent: the connection closed first'),
    );
  }

  #onDrain(): void {
    if ((this.flags & FLAG_BACKPRESSURED) === 0) return;
    if ((this.transport?.bufferedAmount ?? 0) > this.backpressureAbove) return;
    this.flags &= ~FLAG_BACKPRESSURED;
    this.emit('drain');
  }

  /**
   * Over HTTP/2 reading never pauses (transport.ts `boundInputBacklog`), so
   * what reading produced (pongs, echoes, close replies) is bounded here:
   * past `maxBackpressure` unsent, the peer is not reading and the
   * connection fails with 1008 instead of growing.
   */
  #onInputBacklog(bytes: number): void {
    if (this.state !== OPEN || bytes <= this.maxBackpressure) return;
    const error = backpressureError(
      'output that reading produced (pongs, replies)',
      bytes,
      this.maxBackpressure,
    );
    this.failOverBackpressure(error);
  }

  #onTransportClosed(): void {
    this.state = CLOSED;
    this.sendCallbacks?.failAll(new Error('The message was not sent: the connection closed first'));
    this.handle?.delete();
    const clean = (this.flags & FLAG_CLOSE_RECEIVED) !== 0;
    const code = clean ? this.closeCode : 1006;
    const reason = clean ? this.closeReason : '';
    // ws reports the code it sent when the peer broke the protocol; WHATWG says 1006.
    this.emitClose((this.flags & FLAG_FAILED) !== 0 ? this.closeCode : code, reason, code);
  }

  private emitClose(wsCode: number, reason: string, domCode: number): void {
    if ((this.flags & FLAG_CLOSE_EMITTED) !== 0) return;
    this.flags |= FLAG_CLOSE_EMITTED;
    this.state = CLOSED;
    this.emitCloseEvents(wsCode, reason, domCode, (this.flags & FLAG_CLOSE_RECEIVED) !== 0);
  }
}
