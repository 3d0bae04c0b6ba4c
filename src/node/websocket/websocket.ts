/**
 * A WebSocket connection for Node, on both ends: what `WebSocketServer`
 * hands to `'connection'` and what `new WebSocket(url)` opens.
 *
 * The surface follows the `ws` package (EventEmitter events `open`,
 * `message (data, isBinary)`, `close (code, reason)`, `error`, `ping`,
 * `pong`; `send(data, options?, cb?)`, `ping`, `pong`, `close`,
 * `terminate`) and the WHATWG WebSocket (`onopen`, `onmessage` with a
 * `MessageEvent`-like `{ data }`, `onclose` with `{ code, reason, wasClean }`,
 * `onerror`, `addEventListener`, `readyState`, `binaryType`,
 * `bufferedAmount`, `protocol`, `extensions`, `url`).
 *
 * Where it differs from `ws`:
 * - `send` returns what happened: `'sent'`, `'backpressure'` (accepted,
 *   but more than `backpressureAbove` bytes wait) or `'dropped'` (refused:
 *   over `maxBackpressure`, or the socket is not open), as uWebSockets does,
 *   and a `'drain'` event says when waiting data has gone out;
 * - a peer's protocol violation is emitted as `'error'` only when someone
 *   listens; it never crashes the process;
 * - received messages are views of the socket's memory (no copy) when they
 *   arrived whole in one read.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { IndicateReceiveCompleteAction, WebSocketHandle } from '../../websocket/index.js';
import { openClient, parseWebSocketUrl, type ClientOptions } from './client.js';
import type { ConnectionOptions } from './options.js';
import { SocketTransport, type TransportEvents } from './transport.js';

/** Marks the constructor call that wraps a server-side socket. */
const SERVER_SIDE: unique symbol = Symbol('server-side');

export type BinaryType = 'nodebuffer' | 'arraybuffer' | 'uint8array';
export type SendResult = 'sent' | 'backpressure' | 'dropped';

export const CONNECTING = 0;
export const OPEN = 1;
export const CLOSING = 2;
export const CLOSED = 3;

export interface MessageEventLike {
  readonly type: 'message';
  /** A string for text; for binary, as `binaryType` says. */
  readonly data: string | Buffer | ArrayBuffer | Uint8Array;
  readonly target: WebSocket;
}

export interface CloseEventLike {
  readonly type: 'close';
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
  readonly target: WebSocket;
}

export interface ErrorEventLike {
  readonly type: 'error';
  readonly error: Error;
  readonly message: string;
  readonly target: WebSocket;
}

type Handler<E> = ((event: E) => void) | null;

const EMPTY_BUFFER = Buffer.alloc(0);

/** The shared body of server-side and client connections. */
export class WebSocket extends EventEmitter implements TransportEvents {
  static readonly CONNECTING = CONNECTING;
  static readonly OPEN = OPEN;
  static readonly CLOSING = CLOSING;
  static readonly CLOSED = CLOSED;
  // The instance constants are prototype getters, as in ws: no fields per connection.
  get CONNECTING(): 0 {
    return CONNECTING;
  }
  get OPEN(): 1 {
    return OPEN;
  }
  get CLOSING(): 2 {
    return CLOSING;
  }
  get CLOSED(): 3 {
    return CLOSED;
  }

  binaryType: BinaryType = 'nodebuffer';
  /** @internal The server's `clients` set this connection is in, if any. */
  trackedBy: Set<WebSocket> | undefined;
  onopen: Handler<{ type: 'open'; target: WebSocket }> = null;
  onmessage: Handler<MessageEventLike> = null;
  onclose: Handler<CloseEventLike> = null;
  onerror: Handler<ErrorEventLike> = null;

  private state = CONNECTING;
  private transport: SocketTransport | undefined;
  private handle: WebSocketHandle | undefined;
  private urlValue = '';
  private closeCode = 1006;
  private closeReason = '';
  private closeReceived = false;
  private closeEmitted = false;
  /** Pieces of a message delivered in parts (only without message assembly); made on first need. */
  private fragments: Buffer[] | undefined;
  private readonly connectionOptions: ConnectionOptions;
  /** Made on the first send with a callback: most connections never need one. */
  private sendCallbacks: Map<number, (error?: Error) => void> | undefined;
  private nextSendId = 1;
  private wasBackpressured = false;

  private abortConnect: (() => void) | undefined;

  /**
   * Opens a client connection to `url` (ws: or wss:), offering
   * `protocols`. Server-side connections come from `WebSocketServer`.
   */
  constructor(
    url: string | URL | typeof SERVER_SIDE,
    protocols?: string | readonly string[] | ClientOptions,
    options?: ClientOptions,
  ) {
    super();
    const opts: ClientOptions =
      (typeof protocols === 'object' && !Array.isArray(protocols)
        ? (protocols as ClientOptions)
        : options) ?? {};
    this.connectionOptions = opts;
    if (url === SERVER_SIDE) return;
    const offered =
      typeof protocols === 'string'
        ? [protocols]
        : Array.isArray(protocols)
          ? (protocols as readonly string[])
          : [];
    const target = parseWebSocketUrl(url);
    this.urlValue = target.href;
    this.abortConnect = openClient(target, offered, opts, {
      opened: (socket, handle, rest) => {
        this.abortConnect = undefined;
        this.attach(socket, handle);
        this.emitOpen();
        this.begin(rest);
        return this;
      },
      failed: (error) => {
        this.abortConnect = undefined;
        this.state = CLOSED;
        this.emitError(error);
        this.emitClose(1006, '');
      },
    });
  }

  /** @internal Wraps an upgraded socket (server side); call `begin` once listeners are on. */
  static accept(
    socket: Socket,
    handle: WebSocketHandle,
    options: ConnectionOptions = {},
    url = '',
  ): WebSocket {
    const ws = new WebSocket(SERVER_SIDE, options);
    ws.urlValue = url;
    ws.attach(socket, handle);
    return ws;
  }

  // Read from the options when needed rather than kept per connection.
  private get backpressureAbove(): number {
    return this.connectionOptions.backpressureAbove ?? 64 * 1024;
  }

  private get maxBackpressure(): number {
    return this.connectionOptions.maxBackpressure ?? Infinity;
  }

  /** @internal The handle has work of its own (a keep-alive ping or failure). */
  wake(): void {
    this.transport?.drive();
  }

  /** @internal Starts reading (after `'connection'` or `'open'` listeners ran). */
  begin(head: Uint8Array | undefined): void {
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

  /** Bytes accepted by `send` and not yet handed to the kernel. */
  get bufferedAmount(): number {
    return this.transport?.bufferedAmount ?? 0;
  }

  /** The socket, for addresses and options (`ws`'s `_socket`). */
  get socket(): Socket | undefined {
    return this.transport?.socket;
  }

  /**
   * Sends a message: a string goes as text, bytes as binary unless
   * `options.binary` is false. `cb` runs once the frame is written to the
   * socket (or with an error when it cannot be).
   */
  send(
    data: string | Uint8Array | ArrayBuffer | DataView,
    optionsOrCallback?: { binary?: boolean; fin?: boolean } | ((error?: Error) => void),
    maybeCallback?: (error?: Error) => void,
  ): SendResult {
    const callback = typeof optionsOrCallback === 'function' ? optionsOrCallback : maybeCallback;
    const options = typeof optionsOrCallback === 'object' ? optionsOrCallback : {};
    const handle = this.handle;
    if (this.state !== OPEN || handle === undefined || this.transport === undefined) {
      if (callback !== undefined) {
        const error = new Error(`WebSocket is not open: readyState ${this.state}`);
        process.nextTick(() => callback(error));
      }
      return 'dropped';
    }
    let bytes: Uint8Array;
    let text: boolean;
    if (typeof data === 'string') {
      bytes = Buffer.from(data, 'utf8');
      text = options.binary !== true;
    } else {
      bytes = toBytes(data);
      text = options.binary === false;
    }
    const waiting = this.transport.bufferedAmount;
    if (waiting + bytes.length > this.maxBackpressure) {
      this.wasBackpressured = true;
      return 'dropped';
    }
    const fin = options.fin !== false;
    const type = text
      ? fin
        ? 'utf8-message'
        : 'utf8-fragment'
      : fin
        ? 'binary-message'
        : 'binary-fragment';
    let context: number | undefined;
    if (callback !== undefined) {
      context = this.nextSendId++;
      (this.sendCallbacks ??= new Map()).set(context, callback);
    }
    handle.send(type, bytes, context);
    this.transport.schedule();
    if (waiting + bytes.length > this.backpressureAbove) {
      this.wasBackpressured = true;
      return 'backpressure';
    }
    return 'sent';
  }

  ping(data?: string | Uint8Array, _mask?: boolean, callback?: (error?: Error) => void): void {
    this.control('ping-pong', data, callback);
  }

  pong(data?: string | Uint8Array, _mask?: boolean, callback?: (error?: Error) => void): void {
    this.control('unsolicited-pong', data, callback);
  }

  private control(
    type: 'ping-pong' | 'unsolicited-pong',
    data: string | Uint8Array | undefined,
    callback: ((error?: Error) => void) | undefined,
  ): void {
    if (this.state !== OPEN || this.handle === undefined || this.transport === undefined) {
      throw new Error(`WebSocket is not open: readyState ${this.state}`);
    }
    const payload = typeof data === 'string' ? Buffer.from(data) : (data ?? EMPTY_BUFFER);
    let context: number | undefined;
    if (callback !== undefined) {
      context = this.nextSendId++;
      (this.sendCallbacks ??= new Map()).set(context, callback);
    }
    this.handle.send(type, payload, context);
    this.transport.schedule();
  }

  /** Starts the closing handshake (code 1000-1003, 1007-1014, 3000-4999; reason ≤ 123 bytes). */
  close(code?: number, reason?: string): void {
    if (this.state === CLOSED) return;
    if (this.state === CONNECTING) {
      this.abortConnecting();
      return;
    }
    if (this.state === CLOSING) return;
    const handle = this.handle as WebSocketHandle;
    // The peer's close may have been decoded (and answered) already.
    if (handle.state === 'open') {
      handle.send('close', code === undefined ? {} : { code, reason: reason ?? '' });
    }
    this.state = CLOSING;
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

  addEventListener(type: string, listener: (event: never) => void): void {
    const wrapped = (event: unknown): void => (listener as (e: unknown) => void)(event);
    (wrapped as { original?: unknown }).original = listener;
    this.on(`dom:${type}`, wrapped);
  }

  removeEventListener(type: string, listener: (event: never) => void): void {
    for (const l of this.listeners(`dom:${type}`)) {
      if ((l as { original?: unknown }).original === listener) {
        this.off(`dom:${type}`, l as (...args: unknown[]) => void);
        return;
      }
    }
  }

  private abortConnecting(): void {
    this.abortConnect?.();
    this.abortConnect = undefined;
  }

  private attach(socket: Socket, handle: WebSocketHandle): void {
    this.handle = handle;
    this.state = OPEN;
    this.transport = new SocketTransport(socket, handle, this, this.connectionOptions);
  }

  private emitOpen(): void {
    this.emit('open');
    const event = { type: 'open' as const, target: this };
    this.onopen?.(event);
    this.emit('dom:open', event);
  }

  /** @internal TransportEvents */
  onIndication(action: IndicateReceiveCompleteAction): void {
    const view = Buffer.from(
      action.buffer.buffer,
      action.buffer.byteOffset,
      action.buffer.byteLength,
    );
    switch (action.bufferType) {
      case 'binary-message':
      case 'utf8-message':
        this.deliverMessage(view, action.bufferType === 'binary-message');
        return;
      case 'binary-fragment':
      case 'utf8-fragment':
        // Only without message assembly; gather them (bounded by maxMessageSize).
        (this.fragments ??= []).push(Buffer.from(view));
        return;
      case 'ping-pong':
        this.emit('pong', view);
        return;
      case 'close':
        this.closeReceived = action.error === undefined;
        if (action.close !== undefined) {
          this.closeCode = action.close.code;
          this.closeReason = action.close.reason;
        }
        if (action.error !== undefined && action.close?.code !== 1006) {
          this.emitError(action.error);
        }
        if (this.state === OPEN) this.state = CLOSING;
        return;
      default:
        return;
    }
  }

  private deliverMessage(view: Buffer, binary: boolean): void {
    let data = view;
    if (this.fragments !== undefined) {
      this.fragments.push(view);
      data = Buffer.concat(this.fragments);
      this.fragments = undefined;
    }
    const payload =
      this.binaryType === 'arraybuffer'
        ? toArrayBuffer(data)
        : this.binaryType === 'uint8array'
          ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
          : data;
    this.emit('message', payload, binary);
    if (this.onmessage !== null || this.listenerCount('dom:message') > 0) {
      const event: MessageEventLike = {
        type: 'message',
        data: binary ? payload : data.toString('utf8'),
        target: this,
      };
      this.onmessage?.(event);
      this.emit('dom:message', event);
    }
  }

  /** @internal TransportEvents */
  onSendComplete(context: unknown, sent: boolean): void {
    if (typeof context !== 'number') return;
    const callback = this.sendCallbacks?.get(context);
    if (callback === undefined) return;
    this.sendCallbacks?.delete(context);
    if (!sent) {
      const error = new Error('The message was not sent: the connection closed first');
      process.nextTick(() => callback(error));
      return;
    }
    this.transport?.afterFlush(() => callback());
  }

  /** @internal TransportEvents */
  onDrain(): void {
    if (!this.wasBackpressured) return;
    if ((this.transport?.bufferedAmount ?? 0) > this.backpressureAbove) return;
    this.wasBackpressured = false;
    this.emit('drain');
  }

  /** @internal TransportEvents */
  onSocketError(error: Error): void {
    this.emitError(error);
  }

  private emitError(error: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
    const event: ErrorEventLike = { type: 'error', error, message: error.message, target: this };
    this.onerror?.(event);
    this.emit('dom:error', event);
  }

  /** @internal TransportEvents */
  onTransportClosed(): void {
    this.state = CLOSED;
    for (const [id, callback] of this.sendCallbacks ?? []) {
      this.sendCallbacks?.delete(id);
      const error = new Error('The message was not sent: the connection closed first');
      process.nextTick(() => callback(error));
    }
    this.handle?.delete();
    this.emitClose(
      this.closeReceived ? this.closeCode : 1006,
      this.closeReceived ? this.closeReason : '',
    );
  }

  private emitClose(code: number, reason: string): void {
    if (this.closeEmitted) return;
    this.closeEmitted = true;
    this.state = CLOSED;
    this.emit('close', code, Buffer.from(reason));
    const event: CloseEventLike = {
      type: 'close',
      code,
      reason,
      wasClean: this.closeReceived,
      target: this,
    };
    this.onclose?.(event);
    this.emit('dom:close', event);
  }
}

function toBytes(data: Uint8Array | ArrayBuffer | DataView): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data))
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError('send() takes a string, a Uint8Array, an ArrayBuffer or a DataView');
}

function toArrayBuffer(data: Buffer): ArrayBuffer {
  if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) {
    return data.buffer as ArrayBuffer;
  }
  return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
}
