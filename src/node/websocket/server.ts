/**
 * `WebSocketServer`: accepts upgrades on an `http`/`https` server, close
 * enough to the `ws` package that switching is quick: the same options
 * (`port`/`host`, `server`, `noServer`, `path`, `maxPayload`,
 * `perMessageDeflate`, `handleProtocols`, `verifyClient` in both forms,
 * `clientTracking`, `skipUTF8Validation`, `autoPong`), `handleUpgrade`,
 * `shouldHandle`, `'connection' (ws, request)`, `'headers' (lines,
 * request)`, `'wsClientError' (error, socket, request)`, `'listening'`,
 * `'error'`, `clients`, `address()` and `close()`.
 *
 * The handshake is checked by netrx/websocket (RFC 6455 §4.2): a request
 * that is not a valid upgrade gets the status the check names (400, 405,
 * 426 with `Sec-WebSocket-Version: 13`) and the socket is closed. A server
 * this class creates itself bounds slow handshakes (`handshakeTimeout`).
 *
 * With `http2Server`, WebSockets also arrive as HTTP/2 streams (RFC 8441
 * extended CONNECT, server-http2.ts), alone or beside HTTP/1.1 upgrades on
 * another server (or the same one, with `allowHTTP1`).
 */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { Http2SecureServer, Http2Server, ServerHttp2Stream } from 'node:http2';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { NetrxError } from '../../runtime/index.js';
import {
  PreparedMessage,
  buildRejection,
  validateUpgradeRequest,
  type HttpHeader,
  type PerMessageDeflateServerOptions,
  type UpgradeRequest,
} from '../../websocket/index.js';
import {
  broadcastTo,
  prepareMessage,
  type BroadcastOptions,
  type BroadcastResult,
  type PrepareOptions,
} from './broadcast.js';
import { checkDeflateTuning } from './deflate-tuning.js';
import { nodeHandle, type DeflateTuning, type NodeHandleOptions } from './handles.js';
import type { SendData } from './message-data.js';
import type { ConnectionOptions } from './options.js';
import { attachHttp2, type Http2WebSocketRequest } from './server-http2.js';
import { acceptConnection, beginConnection, type WebSocket } from './websocket.js';

export interface WebSocketServerOptions extends ConnectionOptions, NodeHandleOptions {
  /** Listen on this port (0 picks one), creating an HTTP server that answers 426 to plain requests. */
  readonly port?: number;
  readonly host?: string;
  /**
   * Attach to an existing HTTP(S) server's `upgrade` event: also a
   * `node:http2` secure server made with `allowHTTP1: true`, given as
   * `http2Server` too, to serve both protocols on one port.
   */
  readonly server?: HttpServer | HttpsServer | Http2SecureServer;
  /**
   * Accept WebSockets over HTTP/2 (RFC 8441) on this `node:http2` server,
   * made with `settings: { enableConnectProtocol: true }`. May be given
   * alone or with one of `port`, `server` and `noServer`.
   */
  readonly http2Server?: Http2Server | Http2SecureServer;
  /** Create nothing: call `handleUpgrade` yourself. */
  readonly noServer?: boolean;
  /** Accept upgrades for this path only (others get 400). */
  readonly path?: string;
  /** Accept permessage-deflate offers (default false, as in `ws`); an object tunes it as `ws`'s does. */
  readonly perMessageDeflate?: boolean | (PerMessageDeflateServerOptions & DeflateTuning);
  /** Choose a subprotocol from those offered (`undefined` for none). */
  readonly handleProtocols?: (
    offered: ReadonlySet<string>,
    request: IncomingMessage,
  ) => string | false | undefined;
  /**
   * Accept or refuse a request before the handshake (refused: 401, or the
   * code given). With two parameters it is asynchronous, as in `ws`:
   * `verifyClient(info, (ok, code?, message?, headers?) => …)`.
   */
  readonly verifyClient?:
    | ((info: VerifyClientInfo) => boolean | { ok: boolean; code?: number })
    | ((info: VerifyClientInfo, done: VerifyClientDone) => void);
  /** Track connections in `clients` (default true). */
  readonly clientTracking?: boolean;
  /** For a server created here: close connections whose handshake takes longer (default 10 s). */
  readonly handshakeTimeout?: number;
}

export interface VerifyClientInfo {
  /** Over HTTP/2, an `Http2WebSocketRequest` (`httpVersion` `'2.0'`, with its `stream`). */
  readonly req: IncomingMessage;
  readonly origin: string | undefined;
  readonly secure: boolean;
}

export type VerifyClientDone = (
  ok: boolean,
  code?: number,
  message?: string,
  headers?: Readonly<Record<string, string | number>>,
) => void;

/** A listener typed by method syntax, so narrower parameter types are accepted (as @types/ws allows). */
type Listener<A extends unknown[]> = { bivariance(...args: A): void }['bivariance'];

/** The events, typed (the merged declaration adds overloads to EventEmitter's `on`/`once`/`off`). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- see the class
export interface WebSocketServer {
  on(event: 'connection', listener: Listener<[WebSocket, IncomingMessage, ...unknown[]]>): this;
  on(event: 'headers', listener: Listener<[string[], IncomingMessage]>): this;
  on(event: 'wsClientError', listener: Listener<[Error, Duplex, IncomingMessage]>): this;
  on(event: 'error', listener: Listener<[Error]>): this;
  on(event: 'listening' | 'close', listener: () => void): this;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- EventEmitter's own signature
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  once(event: 'connection', listener: Listener<[WebSocket, IncomingMessage, ...unknown[]]>): this;
  once(event: 'headers', listener: Listener<[string[], IncomingMessage]>): this;
  once(event: 'wsClientError', listener: Listener<[Error, Duplex, IncomingMessage]>): this;
  once(event: 'error', listener: Listener<[Error]>): this;
  once(event: 'listening' | 'close', listener: () => void): this;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- EventEmitter's own signature
  once(event: string | symbol, listener: (...args: any[]) => void): this;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- typed events, as @types/ws does
export class WebSocketServer extends EventEmitter {
  readonly clients = new Set<WebSocket>();
  readonly options: WebSocketServerOptions;
  /** What new connections' handles are built from: `options`, or a copy with a new keep-alive. */
  private handleOptions: WebSocketServerOptions;
  private readonly httpServer: HttpServer | HttpsServer | Http2SecureServer | undefined;
  private readonly ownsServer: boolean;
  private readonly onUpgrade: (request: IncomingMessage, socket: Duplex, head: Buffer) => void;
  private readonly detachHttp2: (() => void) | undefined;

  constructor(options: WebSocketServerOptions, onListening?: () => void) {
    super();
    this.options = options;
    this.handleOptions = options;
    const ways = [
      options.port !== undefined,
      options.server !== undefined,
      options.noServer === true,
    ];
    const given = ways.filter(Boolean).length;
    if (given > 1 || (given === 0 && options.http2Server === undefined)) {
      throw new TypeError('Give exactly one of port, server and noServer (or http2Server alone)');
    }
    if (typeof options.perMessageDeflate === 'object') {
      checkDeflateTuning(options.perMessageDeflate, 'server');
    }
    this.onUpgrade = (request, socket, head) => {
      if (!this.shouldHandle(request)) {
        reject(socket, 400);
        return;
      }
      this.handleUpgrade(request, socket, head, (ws) => this.emit('connection', ws, request));
    };
    if (options.port !== undefined) {
      const timeout = options.handshakeTimeout ?? 10_000;
      const server = createServer({
        headersTimeout: timeout,
        requestTimeout: timeout,
        connectionsCheckingInterval: Math.min(1000, timeout),
      });
      server.on('request', (_req, res) => {
        res.writeHead(426, { 'Content-Type': 'text/plain', Upgrade: 'websocket' });
        res.end('Upgrade Required\n');
      });
      server.on('listening', () => this.emit('listening'));
      server.on('error', (error) => this.emit('error', error));
      server.on('upgrade', this.onUpgrade);
      server.listen(options.port, options.host);
      if (onListening !== undefined) this.once('listening', onListening);
      this.httpServer = server;
      this.ownsServer = true;
    } else {
      this.httpServer = options.server;
      this.ownsServer = false;
      this.httpServer?.on('upgrade', this.onUpgrade);
    }
    this.detachHttp2 =
      options.http2Server === undefined ? undefined : this.attachHttp2(options.http2Server);
  }

  private attachHttp2(http2Server: Http2Server | Http2SecureServer): () => void {
    const deflate = this.options.perMessageDeflate;
    const choose = this.options.handleProtocols;
    // Read at each stream: setKeepAliveInterval replaces handleOptions.
    const handleOptions = () => this.handleOptions;
    return attachHttp2(http2Server, {
      get options() {
        return handleOptions();
      },
      deflate: negotiationOptions(deflate),
      tuning: typeof deflate === 'object' ? deflate : undefined,
      shouldHandle: (url) => this.shouldHandle({ url } as IncomingMessage),
      // As over HTTP/1.1: without handleProtocols, the first protocol offered.
      chooseProtocol: (offered, request) =>
        choose === undefined ? offered[0] : choose(new Set(offered), request) || undefined,
      verify: (request, origin, done) => this.verifyHttp2(request, origin, done),
      clientError: (error, stream: ServerHttp2Stream, request) => {
        if (this.listenerCount('wsClientError') === 0) return false;
        this.emit('wsClientError', error, stream, request);
        return true;
      },
      opened: (ws, request) => {
        if (this.options.clientTracking !== false) this.track(ws);
        this.emit('connection', ws, request);
      },
    });
  }

  private verifyHttp2(
    request: Http2WebSocketRequest,
    origin: string | undefined,
    done: (ok: boolean, code?: number, headers?: readonly HttpHeader[]) => void,
  ): void {
    const verify = this.options.verifyClient;
    if (verify === undefined) {
      done(true);
      return;
    }
    const info: VerifyClientInfo = { req: request, origin, secure: isSecure(request) };
    if (verify.length >= 2) {
      verify(info, (ok, code, _message, headers) => done(ok, code, headersFrom(headers)));
      return;
    }
    const verdict = (
      verify as (info: VerifyClientInfo) => boolean | { ok: boolean; code?: number }
    )(info);
    if (typeof verdict === 'boolean') done(verdict, 401);
    else done(verdict.ok, verdict.code ?? 401);
  }

  address(): AddressInfo | string | null {
    const server = this.httpServer ?? this.options.http2Server;
    if (server === undefined) throw new Error('The server is in noServer mode');
    return server.address();
  }

  /** Frames `data` once for `broadcast` or `ws.sendPrepared` (the bytes are copied: reuse yours at once). */
  /**
   * netrx: a new keep-alive interval (0: off) for the connections this
   * server tracks and the ones it accepts from now on, none of them closed
   * (how `netrx up` applies a reload of websocket.echo.keepAliveMs, review
   * L3). Connections accepted without keep-alive have no timer to change:
   * on a server built without `keepAliveInterval`, or once set to 0, only 0
   * is taken (a TypeError, nothing changed).
   */
  setKeepAliveInterval(interval: number): void {
    if (!Number.isSafeInteger(interval) || interval < 0) {
      throw new RangeError(`keepAliveInterval must be an integer >= 0, got ${interval}`);
    }
    if (interval > 0 && !((this.handleOptions.keepAliveInterval ?? 0) > 0)) {
      throw new TypeError('Connections were accepted without keepAliveInterval: none can be set');
    }
    for (const ws of this.clients) ws.setKeepAliveInterval(interval);
    this.handleOptions = {
      ...this.options,
      keepAliveInterval: interval === 0 ? undefined : interval,
    };
  }

  prepare(data: SendData, options?: PrepareOptions): PreparedMessage {
    return prepareMessage(data, options);
  }

  /**
   * Sends one message to every open connection in `clients` (HTTP/1.1 and
   * HTTP/2 alike) but those in `except`, framed (and, where deflate keeps
   * no server context, compressed) once: broadcast.ts says what happens to
   * a receiver over its backpressure limit. Needs `clientTracking`.
   */
  broadcast(data: SendData | PreparedMessage, options?: BroadcastOptions): BroadcastResult {
    if (this.options.clientTracking === false) {
      throw new TypeError('broadcast needs clientTracking (the server keeps no clients set)');
    }
    const message = data instanceof PreparedMessage ? data : prepareMessage(data, options);
    return broadcastTo(this.clients, message, options);
  }

  /** Whether `request` is for this server (its `path`, if one was given). */
  shouldHandle(request: IncomingMessage): boolean {
    const path = this.options.path;
    if (path === undefined) return true;
    const url = request.url ?? '/';
    const q = url.indexOf('?');
    return (q === -1 ? url : url.slice(0, q)) === path;
  }

  /**
   * Completes the handshake for an `upgrade` request and calls `callback`
   * with the open connection; answers and closes the socket on a bad one.
   */
  handleUpgrade(
    request: IncomingMessage,
    duplex: Duplex,
    head: Buffer,
    callback: (ws: WebSocket, request: IncomingMessage) => void,
  ): void {
    const socket = duplex as Socket;
    destroyOnError(socket);
    const headers: HttpHeader[] = [];
    const raw = request.rawHeaders;
    for (let i = 0; i + 1 < raw.length; i += 2)
      headers.push([raw[i] as string, raw[i + 1] as string]);
    const validated = validateUpgradeRequest({
      kind: 'request',
      method: request.method ?? 'GET',
      target: request.url ?? '/',
      minorVersion: request.httpVersionMinor,
      headers,
    });
    if (!validated.ok) {
      if (this.listenerCount('wsClientError') > 0) {
        // As in ws: the application answers the socket itself.
        const error = new NetrxError('ERR_WS_BAD_UPGRADE', validated.failure.message);
        this.emit('wsClientError', error, socket, request);
        return;
      }
      reject(socket, validated.failure.status ?? 400, validated.failure.headers);
      return;
    }
    const upgrade = validated.value;
    const verify = this.options.verifyClient;
    if (verify === undefined) {
      this.complete(request, socket, head, upgrade, callback);
      return;
    }
    const info: VerifyClientInfo = {
      req: request,
      origin: upgrade.origin,
      secure: (socket as { encrypted?: boolean }).encrypted === true,
    };
    if (verify.length >= 2) {
      verify(info, (ok, code, _message, headers) => {
        if (!ok) {
          reject(socket, code ?? 401, headersFrom(headers));
          return;
        }
        this.complete(request, socket, head, upgrade, callback);
      });
      return;
    }
    const verdict = (
      verify as (info: VerifyClientInfo) => boolean | { ok: boolean; code?: number }
    )(info);
    const ok = typeof verdict === 'boolean' ? verdict : verdict.ok;
    if (!ok) {
      reject(socket, typeof verdict === 'boolean' ? 401 : (verdict.code ?? 401));
      return;
    }
    this.complete(request, socket, head, upgrade, callback);
  }

  private complete(
    request: IncomingMessage,
    socket: Socket,
    head: Buffer,
    upgrade: UpgradeRequest,
    callback: (ws: WebSocket, request: IncomingMessage) => void,
  ): void {
    const choose = this.options.handleProtocols;
    // Without `handleProtocols`, ws (and so its users and browsers) expect the
    // first protocol the client offered: selecting none fails their handshake.
    const protocol =
      choose === undefined
        ? (offered: readonly string[]) => offered[0]
        : (offered: readonly string[]) => choose(new Set(offered), request) || undefined;
    const ws = this.open(socket, upgrade, protocol, request);
    if (ws === undefined) return;
    callback(ws, request);
    beginConnection(ws, head);
  }

  /**
   * The handshake's second half. Kept apart from `handleUpgrade` so the
   * closures a connection keeps for its lifetime do not share a scope with
   * (and so pin) the upgrade request.
   */
  private open(
    socket: Socket,
    upgrade: UpgradeRequest,
    protocol: ((offered: readonly string[]) => string | undefined) | undefined,
    request: IncomingMessage,
  ): WebSocket | undefined {
    // Asking the socket for its peer costs an object per connection: only for traces.
    const name =
      this.options.trace === undefined
        ? 'server'
        : `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    const deflate = this.options.perMessageDeflate;
    const tuning = typeof deflate === 'object' ? deflate : undefined;
    const handle = nodeHandle('server', this.handleOptions, name, tuning);
    const response = handle.beginServerHandshake(upgrade, {
      ...(protocol === undefined ? {} : { protocol }),
      perMessageDeflate: negotiationOptions(deflate),
    });
    if (!socket.writable || socket.destroyed) {
      handle.delete();
      socket.destroy();
      return undefined;
    }
    socket.write(
      this.listenerCount('headers') > 0
        ? this.withHeadersEvent(response.bytes, request)
        : response.bytes,
    );
    const ws = acceptConnection(socket, handle, this.options, request.url ?? '/');
    if (this.options.clientTracking !== false) this.track(ws);
    return ws;
  }

  /** ws's `'headers'` event: listeners may change the 101's header lines before it goes out. */
  private withHeadersEvent(bytes: Uint8Array, request: IncomingMessage): Uint8Array {
    const lines = Buffer.from(bytes).toString('latin1').split('\r\n');
    // The head ends with CRLF CRLF: two empty strings after the split.
    lines.length -= 2;
    this.emit('headers', lines, request);
    return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  }

  private track(ws: WebSocket): void {
    this.clients.add(ws);
    ws.trackedBy = this.clients;
    ws.on('close', untrack);
  }

  /** Stops accepting; closes the HTTP server if this class made it. Open connections stay open, as in `ws`. */
  close(callback?: (error?: Error) => void): void {
    this.httpServer?.off('upgrade', this.onUpgrade);
    this.detachHttp2?.();
    if (this.ownsServer && this.httpServer !== undefined) {
      this.httpServer.close((error) => {
        this.emit('close');
        callback?.(error);
      });
      // A server this class made is always a node:http one.
      (this.httpServer as HttpServer).closeAllConnections();
      return;
    }
    process.nextTick(() => {
      this.emit('close');
      callback?.();
    });
  }
}

// Shared listeners (no closure per connection).
function destroyOnError(socket: Socket): void {
  socket.on('error', destroySelf);
}
function destroySelf(this: Socket): void {
  this.destroy();
}
function untrack(this: WebSocket): void {
  this.trackedBy?.delete(this);
}

function reject(socket: Duplex, status: number, headers: readonly HttpHeader[] = []): void {
  // A status an application gave that is not 4xx/5xx becomes 400 (the response must refuse).
  const refusal = Number.isInteger(status) && status >= 400 && status <= 599 ? status : 400;
  if (socket.writable) socket.end(buildRejection({ status: refusal, headers }));
  else socket.destroy();
}

/** Whether an HTTP/2 WebSocket came over TLS. */
function isSecure(request: Http2WebSocketRequest): boolean {
  return (request.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
}

function headersFrom(headers: Readonly<Record<string, string | number>> | undefined): HttpHeader[] {
  return Object.entries(headers ?? {}).map(([name, value]) => [name, String(value)]);
}

/** The negotiation half of a `perMessageDeflate` object (the tuning stays in the codec). */
function negotiationOptions(
  option: WebSocketServerOptions['perMessageDeflate'],
): boolean | PerMessageDeflateServerOptions {
  if (typeof option !== 'object') return option ?? false;
  return {
    ...(option.serverNoContextTakeover === undefined
      ? {}
      : { serverNoContextTakeover: option.serverNoContextTakeover }),
    ...(option.clientNoContextTakeover === undefined
      ? {}
      : { clientNoContextTakeover: option.clientNoContextTakeover }),
    ...(option.serverMaxWindowBits === undefined
      ? {}
      : { serverMaxWindowBits: option.serverMaxWindowBits }),
    ...(option.clientMaxWindowBits === undefined
      ? {}
      : { clientMaxWindowBits: option.clientMaxWindowBits }),
  };
}
