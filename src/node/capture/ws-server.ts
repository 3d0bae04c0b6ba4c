/**
 * The LREC WebSocket server: netrx's own `WebSocketServer` (netrx/node) on
 * an HTTP or HTTPS server, in front of the sans-I/O `LrecWsServer` of
 * netrx/capture, speaking `netrx.lrec.v1`.
 *
 * Authentication happens at the upgrade, before any frame: the client
 * presents the bearer token as `Authorization: Bearer TOKEN` or, where it
 * cannot set headers (browsers), as the subprotocol `netrx.bearer.` +
 * base64url(TOKEN) offered beside `netrx.lrec.v1`. Tokens are compared in
 * constant time (SHA-256 of each side, `timingSafeEqual`). A missing or
 * wrong token gets 401 with `WWW-Authenticate: Bearer` and nothing else; a
 * right token without `netrx.lrec.v1` offered gets 400. The server selects
 * `netrx.lrec.v1`, never the token protocol, so the token is not echoed.
 *
 * Start refusals: a token is required unless `insecureNoAuth` on loopback;
 * off loopback both TLS and a token are required
 * (`ERR_CAPTURE_WS_INSECURE_BIND`). Tokens have at least 16 characters.
 *
 * Bounds: past `congestionBytes` waiting unsent on a connection, the next
 * receive is held (not posted) until the socket drains, so the session's
 * queue counts the loss; past `maxWriteBufferBytes` the send is refused and
 * the connection failed with 1008 (counted as `slowReaders`). Requests are
 * at most 16 KiB; handshakes are bounded by `handshakeTimeout`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  LREC_WS_SUBPROTOCOL,
  LrecWsServer,
  MAX_REQUEST_BYTES,
  tokenFromSubprotocol,
  type LrecWsSendResult,
  type LrecWsServerStats,
  type SessionTable,
} from '../../capture/index.js';
import { NetrxError } from '../../runtime/index.js';
import { nodeCrypto } from '../runtime/index.js';
import { WebSocketServer, type SendResult, type WebSocket } from '../websocket/index.js';
import { isLoopbackAddress } from './rpc-server.js';

export const MIN_TOKEN_LENGTH = 16;
/** Where `netrx capture serve` and `tail` read a token not given on the command line. */
export const CAPTURE_TOKEN_ENV = 'NETRX_CAPTURE_TOKEN';

export interface LrecWsServerNodeOptions {
  readonly table: SessionTable;
  /** Listen address: an IP literal or `localhost`. Default 127.0.0.1. */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** The bearer token every client presents (at least 16 characters). */
  readonly token?: string;
  /** Serve without a token: loopback only. */
  readonly insecureNoAuth?: boolean;
  /** PEM certificate chain and key: serve wss:. Required off loopback. */
  readonly tls?: { readonly cert: string | Uint8Array; readonly key: string | Uint8Array };
  /** Bytes waiting unsent above which receives are held. Default 256 KiB. */
  readonly congestionBytes?: number;
  /** Bytes waiting unsent past which a client is cut off. Default 4 MiB. */
  readonly maxWriteBufferBytes?: number;
  /** Connections (including handshakes) at once. Default 256. */
  readonly maxConnections?: number;
  /** Handshake deadline in ms. Default 10 s. */
  readonly handshakeTimeout?: number;
  /** Called after a connection closed and its handles were run down. */
  readonly onConnectionClosed?: () => void;
}

export interface LrecWsNodeServer {
  readonly port: number;
  readonly host: string;
  /** `ws` or `wss`. */
  readonly scheme: 'ws' | 'wss';
  readonly core: LrecWsServer;
  stats(): LrecWsServerStats & {
    /** Upgrades refused for a missing or wrong token. */
    readonly unauthorized: number;
    /** Clients cut off past maxWriteBufferBytes. */
    readonly slowReaders: number;
    /** Bytes waiting unsent in all connections now. */
    readonly bufferedBytes: number;
  };
  close(): Promise<void>;
}

function digest(bytes: Uint8Array | string): Buffer {
  return createHash('sha256').update(bytes).digest();
}

/** The tokens a request presents: the Authorization header's and each bearer subprotocol's. */
function presented(request: IncomingMessage): Uint8Array[] {
  const found: Uint8Array[] = [];
  const authorization = request.headers.authorization;
  const match = authorization === undefined ? null : /^Bearer +(.+)$/is.exec(authorization);
  if (match?.[1] !== undefined) found.push(Buffer.from(match[1], 'utf8'));
  for (const protocol of offeredProtocols(request).slice(0, 8)) {
    const token = tokenFromSubprotocol(protocol);
    if (token !== undefined) found.push(token);
  }
  return found;
}

function offeredProtocols(request: IncomingMessage): string[] {
  const header = request.headers['sec-websocket-protocol'];
  if (header === undefined) return [];
  return header
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

export interface LrecWsEndpointOptions {
  readonly table: SessionTable;
  /** The bearer token every client presents; undefined serves without one (the caller checked it may). */
  readonly token?: string;
  readonly congestionBytes?: number;
  readonly maxWriteBufferBytes?: number;
  readonly onConnectionClosed?: () => void;
}

/**
 * The capture WebSocket endpoint without a server of its own: hand it
 * upgrade requests (`handleUpgrade`) from any HTTP server. `netrx capture
 * serve` mounts it on its own port; `netrx up` on the host's HTTP server,
 * beside the dashboard, so the page reaches it on its own origin.
 */
export interface LrecWsEndpoint {
  readonly core: LrecWsServer;
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  stats(): ReturnType<LrecWsNodeServer['stats']>;
  /** Cuts every connection (their sessions are run down). */
  close(): void;
}

export function createLrecWsEndpoint(options: LrecWsEndpointOptions): LrecWsEndpoint {
  const token = options.token;
  const expected = token === undefined ? undefined : digest(token);
  const core = new LrecWsServer({ table: options.table, crypto: nodeCrypto });
  let unauthorized = 0;
  let slowReaders = 0;
  const congestion = options.congestionBytes ?? 256 * 1024;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_REQUEST_BYTES,
    perMessageDeflate: false,
    backpressureAbove: congestion,
    maxBackpressure: options.maxWriteBufferBytes ?? 4 << 20,
    handleProtocols: (offered) => (offered.has(LREC_WS_SUBPROTOCOL) ? LREC_WS_SUBPROTOCOL : false),
    verifyClient: (info, done) => {
      if (expected !== undefined) {
        let ok = false;
        // Every candidate is compared, in constant time, whatever an earlier one gave.
        for (const candidate of presented(info.req)) {
          if (timingSafeEqual(digest(candidate), expected)) ok = true;
        }
        if (!ok) {
          unauthorized++;
          done(false, 401, 'Unauthorized', { 'WWW-Authenticate': 'Bearer realm="netrx capture"' });
          return;
        }
      }
      if (!offeredProtocols(info.req).includes(LREC_WS_SUBPROTOCOL)) {
        done(false, 400, 'Bad Request');
        return;
      }
      done(true);
    },
  });
  const sockets = new Set<WebSocket>();
  const connected = (ws: WebSocket) => {
    sockets.add(ws);
    let cutOff = false;
    const result = (sent: SendResult): LrecWsSendResult => {
      if (sent === 'sent') return 'sent';
      if (sent === 'backpressure') return 'congested';
      // Refused over maxWriteBufferBytes: the connection fails with 1008.
      if (!cutOff && ws.sendsRefused > 0) {
        cutOff = true;
        slowReaders++;
      }
      return 'dropped';
    };
    const connection = core.connect({
      sendText: (text) => result(ws.send(text)),
      sendBinary: (bytes) => result(ws.send(bytes, { binary: true })),
      close: (code, reason) => ws.close(code, reason),
    });
    ws.on('message', (data: Buffer, isBinary: boolean) =>
      connection.message(isBinary ? data : data.toString('utf8'), isBinary),
    );
    ws.on('drain', () => connection.drained());
    ws.on('error', () => undefined);
    ws.on('close', () => {
      sockets.delete(ws);
      connection.closed();
      options.onConnectionClosed?.();
    });
  };
  return {
    core,
    handleUpgrade: (request, socket, head) => wss.handleUpgrade(request, socket, head, connected),
    stats: () => {
      let bufferedBytes = 0;
      for (const ws of sockets) bufferedBytes += ws.bufferedAmount;
      return { ...core.stats(), unauthorized, slowReaders, bufferedBytes };
    },
    close: () => {
      for (const ws of sockets) ws.terminate();
      wss.close();
    },
  };
}

/** Checks the token and bind rules shared by every way of serving the endpoint; throws NetrxError. */
export function checkLrecWsSecurity(options: {
  readonly host: string;
  readonly token?: string;
  readonly insecureNoAuth?: boolean;
  readonly tls: boolean;
}): void {
  const { host, token } = options;
  if (token === undefined && options.insecureNoAuth !== true) {
    throw new NetrxError(
      'ERR_CAPTURE_WS_NO_TOKEN',
      `The capture WebSocket server needs a bearer token (--ws-token or ${CAPTURE_TOKEN_ENV}); without one only --insecure-no-auth on loopback`,
    );
  }
  if (token !== undefined && token.length < MIN_TOKEN_LENGTH) {
    throw new NetrxError(
      'ERR_CAPTURE_WS_WEAK_TOKEN',
      `The capture WebSocket token is too short: at least ${MIN_TOKEN_LENGTH} characters`,
    );
  }
  if (!isLoopbackAddress(host) && (!options.tls || token === undefined)) {
    throw new NetrxError(
      'ERR_CAPTURE_WS_INSECURE_BIND',
      `The capture WebSocket server listens on ${host}, which is not loopback: that needs TLS (--tls-cert, --tls-key) and a token`,
    );
  }
}

export async function startLrecWsServer(
  options: LrecWsServerNodeOptions,
): Promise<LrecWsNodeServer> {
  const host = options.host ?? '127.0.0.1';
  checkLrecWsSecurity({
    host,
    ...(options.token === undefined ? {} : { token: options.token }),
    ...(options.insecureNoAuth === undefined ? {} : { insecureNoAuth: options.insecureNoAuth }),
    tls: options.tls !== undefined,
  });
  const timeout = options.handshakeTimeout ?? 10_000;
  const httpOptions = {
    headersTimeout: timeout,
    requestTimeout: timeout,
    connectionsCheckingInterval: Math.min(1000, timeout),
  };
  const http: Server =
    options.tls === undefined
      ? createHttpServer(httpOptions)
      : createHttpsServer({
          ...httpOptions,
          cert: Buffer.from(options.tls.cert),
          key: Buffer.from(options.tls.key),
        });
  http.maxConnections = options.maxConnections ?? 256;
  http.on('request', (_request, response) => {
    response.writeHead(426, { 'Content-Type': 'text/plain', Upgrade: 'websocket' });
    response.end('Upgrade Required\n');
  });
  // A TLS handshake that fails is the client's problem: do not let it reach 'error'.
  http.on('tlsClientError', (_error, socket: Socket) => socket.destroy());
  const endpoint = createLrecWsEndpoint({
    table: options.table,
    ...(options.token === undefined ? {} : { token: options.token }),
    ...(options.congestionBytes === undefined ? {} : { congestionBytes: options.congestionBytes }),
    ...(options.maxWriteBufferBytes === undefined
      ? {}
      : { maxWriteBufferBytes: options.maxWriteBufferBytes }),
    ...(options.onConnectionClosed === undefined
      ? {}
      : { onConnectionClosed: options.onConnectionClosed }),
  });
  http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) =>
    endpoint.handleUpgrade(request, socket, head),
  );
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  http.on('error', () => undefined);
  return {
    port: (http.address() as AddressInfo).port,
    host,
    scheme: options.tls === undefined ? 'ws' : 'wss',
    core: endpoint.core,
    stats: () => endpoint.stats(),
    close: () =>
      new Promise<void>((resolve) => {
        endpoint.close();
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  };
}
