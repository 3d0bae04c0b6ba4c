/**
 * `WebSocketServer`: accepts upgrades on an `http`/`https` server, close
 * enough to the `ws` package that switching is quick: the same options
 * (`port`/`host`, `server`, `noServer`, `path`, `maxPayload`,
 * `perMessageDeflate`, `handleProtocols`, `verifyClient`), `handleUpgrade`,
 * `shouldHandle`, `'connection' (ws, request)`, `'listening'`, `'error'`,
 * `clients`, `address()` and `close()`.
 *
 * The handshake is checked by netrx/websocket (RFC 6455 §4.2): a request
 * that is not a valid upgrade gets the status the check names (400, 405,
 * 426 with `Sec-WebSocket-Version: 13`) and the socket is closed. A server
 * this class creates itself bounds slow handshakes (`handshakeTimeout`).
 */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  buildRejection,
  validateUpgradeRequest,
  type HttpHeader,
  type PerMessageDeflateServerOptions,
  type UpgradeRequest,
} from '../../websocket/index.js';
import { nodeHandle, type NodeHandleOptions } from './handles.js';
import type { ConnectionOptions } from './options.js';
import { WebSocket } from './websocket.js';

export interface WebSocketServerOptions extends ConnectionOptions, NodeHandleOptions {
  /** Listen on this port (0 picks one), creating an HTTP server that answers 426 to plain requests. */
  readonly port?: number;
  readonly host?: string;
  /** Attach to an existing HTTP(S) server's `upgrade` event. */
  readonly server?: HttpServer | HttpsServer;
  /** Create nothing: call `handleUpgrade` yourself. */
  readonly noServer?: boolean;
  /** Accept upgrades for this path only (others get 400). */
  readonly path?: string;
  /** Accept permessage-deflate offers (default false, as in `ws`). */
  readonly perMessageDeflate?: boolean | PerMessageDeflateServerOptions;
  /** Choose a subprotocol from those offered (`undefined` for none). */
  readonly handleProtocols?: (
    offered: ReadonlySet<string>,
    request: IncomingMessage,
  ) => string | false | undefined;
  /** Accept or refuse a request before the handshake (refused: 401, or the code given). */
  readonly verifyClient?: (info: {
    req: IncomingMessage;
    origin: string | undefined;
    secure: boolean;
  }) => boolean | { ok: boolean; code?: number };
  /** Track connections in `clients` (default true). */
  readonly clientTracking?: boolean;
  /** For a server created here: close connections whose handshake takes longer (default 10 s). */
  readonly handshakeTimeout?: number;
}

export class WebSocketServer extends EventEmitter {
  readonly clients = new Set<WebSocket>();
  readonly options: WebSocketServerOptions;
  private readonly httpServer: HttpServer | HttpsServer | undefined;
  private readonly ownsServer: boolean;
  private readonly onUpgrade: (request: IncomingMessage, socket: Duplex, head: Buffer) => void;

  constructor(options: WebSocketServerOptions, onListening?: () => void) {
    super();
    this.options = options;
    const ways = [
      options.port !== undefined,
      options.server !== undefined,
      options.noServer === true,
    ];
    if (ways.filter(Boolean).length !== 1) {
      throw new TypeError('Give exactly one of port, server and noServer');
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
  }

  address(): AddressInfo | string | null {
    if (this.httpServer === undefined) throw new Error('The server is in noServer mode');
    return this.httpServer.address();
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
      reject(socket, validated.failure.status ?? 400, validated.failure.headers);
      return;
    }
    const verify = this.options.verifyClient;
    if (verify !== undefined) {
      const verdict = verify({
        req: request,
        origin: validated.value.origin,
        secure: (socket as { encrypted?: boolean }).encrypted === true,
      });
      const ok = typeof verdict === 'boolean' ? verdict : verdict.ok;
      if (!ok) {
        reject(socket, typeof verdict === 'boolean' ? 401 : (verdict.code ?? 401));
        return;
      }
    }
    const choose = this.options.handleProtocols;
    const protocol =
      choose === undefined
        ? undefined
        : (offered: readonly string[]) => choose(new Set(offered), request) || undefined;
    const ws = this.open(socket, validated.value, protocol, request.url ?? '/');
    if (ws === undefined) return;
    callback(ws, request);
    ws.begin(head);
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
    url: string,
  ): WebSocket | undefined {
    // Asking the socket for its peer costs an object per connection: only for traces.
    const name =
      this.options.trace === undefined
        ? 'server'
        : `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    const handle = nodeHandle('server', this.options, name);
    const response = handle.beginServerHandshake(upgrade, {
      ...(protocol === undefined ? {} : { protocol }),
      perMessageDeflate: this.options.perMessageDeflate ?? false,
    });
    if (!socket.writable || socket.destroyed) {
      handle.delete();
      socket.destroy();
      return undefined;
    }
    socket.write(response.bytes);
    const ws = WebSocket.accept(socket, handle, this.options, url);
    handle.owner = ws;
    if (this.options.clientTracking !== false) this.track(ws);
    return ws;
  }

  private track(ws: WebSocket): void {
    this.clients.add(ws);
    ws.trackedBy = this.clients;
    ws.on('close', untrack);
  }

  /** Stops accepting; closes the HTTP server if this class made it. Open connections stay open, as in `ws`. */
  close(callback?: (error?: Error) => void): void {
    this.httpServer?.off('upgrade', this.onUpgrade);
    if (this.ownsServer && this.httpServer !== undefined) {
      this.httpServer.close((error) => {
        this.emit('close');
        callback?.(error);
      });
      this.httpServer.closeAllConnections?.();
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
  if (socket.writable) socket.end(buildRejection({ status, headers }));
  else socket.destroy();
}
