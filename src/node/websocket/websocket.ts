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
 *
 * This file opens, closes and receives; the sends and their bounds (and the
 * state both halves share) are the base class in websocket-send.ts.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { CLOSED, CLOSING, CONNECTING, OPEN } from './ready-state.js';
import type { IndicateReceiveCompleteAction, WebSocketHandle } from '../../websocket/index.js';
import type { ClientOptions } from './client.js';
import { clientOptionsOf, connectClient, type ConnectingSocket } from './client-connect.js';
import { isBinaryType, type BinaryType } from './message-data.js';
import type { ConnectionOptions } from './options.js';
import {
  connectionEventsClass,
  type ConnectionEvents as ConnectionEventsObject,
} from './connection-events.js';
import { backpressureError, checkCloseCode } from './send-args.js';
import { SocketTransport } from './transport.js';
import {
  FLAG_BACKPRESSURED,
  FLAG_CLOSE_EMITTED,
  FLAG_CLOSE_RECEIVED,
  FLAG_FAILED,
  WebSocketSender,
} from './websocket-send.js';

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
export class WebSocket extends WebSocketSender {
  /** @internal The server's `clients` set this connection is in, if any. */
  trackedBy: Set<WebSocket> | undefined;

  private binaryTypeValue: BinaryType = 'nodebuffer';
  private urlValue = '';
  private closeReason = '';

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
    super(clientOptionsOf(protocols, options));
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
      sendComplete: (ws, context, sent) => ws.sendCompleted(context, sent),
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
    this.failPendingSends();
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
