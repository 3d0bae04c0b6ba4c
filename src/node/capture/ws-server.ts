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
 * queue counts the loss, and other replies wait in the core's bounded
 * backlog (`maxPendingReplies`, then the client is cut off as a slow reader);
 * past `maxWriteBufferBytes` the send is refused and the connection failed
 * with 1008 (counted as `slowReaders`). Requests are at most 16 KiB.
 *
 * Before authentication (ws-admission.ts): one deadline, `handshakeTimeout`,
 * from TCP accept through TLS, the HTTP request head and the bearer check;
 * at most `maxConnectionsPerAddress` sockets per remote address (one more:
 * 429, or reset under TLS). After it: a ping every `keepAliveIntervalMs`,
 * and a peer whose pong does not come within `keepAliveTimeoutMs` is
 * terminated (its sessions stop, as for any dropped connection). Refusals
 * and cuts are counted in `stats()` and traced (`netrx-capture-ws`).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  CAPTURE_WS_PROVIDER,
  CaptureWsEvent,
  LREC_WS_SUBPROTOCOL,
  LrecWsCloseCode,
  LrecWsServer,
  SLOW_READER_REASON,
  MAX_REQUEST_BYTES,
  tokenFromSubprotocol,
  type LrecWsSendResult,
  type LrecWsServerStats,
  type SessionTable,
} from '../../capture/index.js';
import { NetrxError, type Clock } from '../../runtime/index.js';
import type { TraceRegistry } from '../../trace/index.js';
import { buildRejection } from '../../websocket/index.js';
import { nodeCrypto, systemClock } from '../runtime/index.js';
import { remoteAddressKey } from '../runtime/remote-address.js';
import { WebSocketServer, type SendResult, type WebSocket } from '../websocket/index.js';
import { isLoopbackAddress } from './rpc-server.js';
import { checkKeepAlive, ConnectionKeepAlive } from './ws-keepalive.js';
import {
  ConnectionAdmission,
  DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
  DEFAULT_PRE_AUTH_TIMEOUT_MS,
} from './ws-admission.js';

/** Ping interval on upgraded capture connections (ms; 0: off). */
export const DEFAULT_KEEPALIVE_INTERVAL_MS = 30_000;
/** How long a ping's pong may take before the peer is terminated (ms). */
export const DEFAULT_KEEPALIVE_TIMEOUT_MS = 10_000;

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
  /** Sockets one remote address may hold, handshakes included. Default 16. */
  readonly maxConnectionsPerAddress?: number;
  /** TCP accept to authenticated upgrade (TLS, request head, token), in ms. Default 10 s. */
  readonly handshakeTimeout?: number;
  /** Ping interval on upgraded connections in ms (0: off). Default 30 s. */
  readonly keepAliveIntervalMs?: number;
  /** A pong later than this after its ping terminates the peer (ms). Default 10 s. */
  readonly keepAliveTimeoutMs?: number;
  /** Replies held while the socket is congested before the client is cut off. Default 64. */
  readonly maxPendingReplies?: number;
  /** Timers (pre-auth deadline, keep-alive). Default the system clock. */
  readonly clock?: Clock;
  /** Refusals and cuts are traced here (`netrx-capture-ws`). */
  readonly trace?: TraceRegistry;
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
    /** Clients cut off past maxWriteBufferBytes or maxPendingReplies. */
    readonly slowReaders: number;
    /** Bytes waiting unsent in all connections now. */
    readonly bufferedBytes: number;
    /** Sockets cut for not reaching an authenticated upgrade within handshakeTimeout. */
    readonly preAuthTimeouts: number;
    /** Sockets or upgrades refused past maxConnectionsPerAddress. */
    readonly addressRefused: number;
    /** Sockets now between TCP accept and an authenticated upgrade. */
    readonly preAuth: number;
    /** Remote addresses now holding a counted socket (entries at 0 are deleted). */
    readonly addresses: number;
    /** Peers terminated for a pong that did not come in time. */
    readonly keepAliveTimeouts: number;
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
  readonly maxPendingReplies?: number;
  /**
   * Upgraded capture connections one remote address may hold (429 past it).
   * For hosts whose HTTP server serves more than capture (`netrx up`); the
   * standalone server counts sockets from accept instead (ws-admission.ts).
   */
  readonly maxConnectionsPerAddress?: number;
  readonly keepAliveIntervalMs?: number;
  readonly keepAliveTimeoutMs?: number;
  readonly clock?: Clock;
  readonly trace?: TraceRegistry;
  /** The upgrade passed the token check (the pre-auth deadline ends). */
  readonly onAuthenticated?: (socket: Duplex) => void;
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
  /**
   * New limits in place (a `netrx up` reload of `capture.ws`): the
   * per-address cap applies to upgrades from now on, a new keep-alive
   * interval re-arms every open connection. Throws as creation does on a
   * bad pair, changing nothing.
   */
  reconfigure(settings: LrecWsEndpointSettings): void;
  /** Cuts every connection (their sessions are run down). */
  close(): void;
}

/** What `reconfigure` changes; an absent key keeps its value. */
export type LrecWsEndpointSettings = Partial<
  Pick<
    LrecWsEndpointOptions,
    'maxConnectionsPerAddress' | 'keepAliveIntervalMs' | 'keepAliveTimeoutMs'
  >
>;

export function createLrecWsEndpoint(options: LrecWsEndpointOptions): LrecWsEndpoint {
  const token = options.token;
  const expected = token === undefined ? undefined : digest(token);
  const core = new LrecWsServer({
    table: options.table,
    crypto: nodeCrypto,
    ...(options.maxPendingReplies === undefined
      ? {}
      : { maxPendingReplies: options.maxPendingReplies }),
  });
  const clock = options.clock ?? systemClock;
  const trace = options.trace?.register(CAPTURE_WS_PROVIDER);
  // Read at every upgrade and every arming: `reconfigure` changes them in place.
  let keepAlive = checkKeepAlive({
    intervalMs: options.keepAliveIntervalMs ?? DEFAULT_KEEPALIVE_INTERVAL_MS,
    timeoutMs: options.keepAliveTimeoutMs ?? DEFAULT_KEEPALIVE_TIMEOUT_MS,
  });
  let cap = options.maxConnectionsPerAddress;
  const keepAlives = new Set<ConnectionKeepAlive>();
  const perAddress = new Map<string, number>();
  let unauthorized = 0;
  let slowReaders = 0;
  let addressRefused = 0;
  let keepAliveTimeouts = 0;
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
      options.onAuthenticated?.(info.req.socket);
      done(true);
    },
  });
  const sockets = new Set<WebSocket>();
  const connected = (ws: WebSocket, request: IncomingMessage) => {
    sockets.add(ws);
    const address = request.socket.remoteAddress ?? '?';
    let cutOff = false;
    const slowReader = () => {
      if (cutOff) return;
      cutOff = true;
      slowReaders++;
      trace?.emit(CaptureWsEvent.connectionDropped, { address, reason: 'slow-reader' });
    };
    const result = (sent: SendResult): LrecWsSendResult => {
      if (sent === 'sent') return 'sent';
      if (sent === 'backpressure') return 'congested';
      // Refused over maxWriteBufferBytes: the connection fails with 1008.
      if (ws.sendsRefused > 0) slowReader();
      return 'dropped';
    };
    const connection = core.connect({
      sendText: (text) => result(ws.send(text)),
      sendBinary: (bytes) => result(ws.send(bytes, { binary: true })),
      close: (code, reason) => {
        if (code === LrecWsCloseCode.policyViolation && reason === SLOW_READER_REASON) {
          // The core's reply backlog overflowed: a client that does not read
          // its replies will not read a close frame either.
          slowReader();
          ws.terminate();
          return;
        }
        ws.close(code, reason);
      },
    });
    // Keep-alive: a ping every interval; no pong within the timeout cuts the peer.
    const alive = new ConnectionKeepAlive(
      ws,
      clock,
      () => keepAlive,
      () => {
        keepAliveTimeouts++;
        trace?.emit(CaptureWsEvent.connectionDropped, { address, reason: 'keepalive-timeout' });
      },
    );
    keepAlives.add(alive);
    ws.on('pong', () => alive.pong());
    ws.on('message', (data: Buffer, isBinary: boolean) =>
      connection.message(isBinary ? data : data.toString('utf8'), isBinary),
    );
    ws.on('drain', () => connection.drained());
    ws.on('error', () => undefined);
    ws.on('close', () => {
      alive.dispose();
      keepAlives.delete(alive);
      sockets.delete(ws);
      connection.closed();
      options.onConnectionClosed?.();
    });
  };
  return {
    core,
    handleUpgrade: (request, socket, head) => {
      if (cap !== undefined) {
        const address = request.socket.remoteAddress ?? '?';
        // Counted under the shared key (all of loopback is one address); traced as it came.
        const counted = remoteAddressKey(request.socket.remoteAddress);
        const held = perAddress.get(counted) ?? 0;
        if (held >= cap) {
          addressRefused++;
          trace?.emit(CaptureWsEvent.connectionRefused, { address, reason: 'address-limit' });
          socket.on('error', () => undefined);
          socket.end(buildRejection({ status: 429, headers: [['Retry-After', '1']] }), () =>
            socket.destroy(),
          );
          return;
        }
        perAddress.set(counted, held + 1);
        socket.once('close', () => {
          const left = (perAddress.get(counted) ?? 1) - 1;
          if (left > 0) perAddress.set(counted, left);
          else perAddress.delete(counted);
        });
      }
      wss.handleUpgrade(request, socket, head, connected);
    },
    stats: () => {
      let bufferedBytes = 0;
      for (const ws of sockets) bufferedBytes += ws.bufferedAmount;
      return {
        ...core.stats(),
        unauthorized,
        slowReaders,
        bufferedBytes,
        preAuthTimeouts: 0,
        preAuth: 0,
        addresses: perAddress.size,
        addressRefused,
        keepAliveTimeouts,
      };
    },
    reconfigure: (settings) => {
      const next = checkKeepAlive({
        intervalMs: settings.keepAliveIntervalMs ?? keepAlive.intervalMs,
        timeoutMs: settings.keepAliveTimeoutMs ?? keepAlive.timeoutMs,
      });
      const rearm = next.intervalMs !== keepAlive.intervalMs;
      keepAlive = next;
      // A lower cap refuses new upgrades only; connections over it stay.
      if (settings.maxConnectionsPerAddress !== undefined) cap = settings.maxConnectionsPerAddress;
      if (rearm) for (const alive of keepAlives) alive.rearm();
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
  const timeout = options.handshakeTimeout ?? DEFAULT_PRE_AUTH_TIMEOUT_MS;
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
  const clock = options.clock ?? systemClock;
  // The whole pre-auth phase under one deadline, and the per-address cap from accept.
  const admission = new ConnectionAdmission({
    clock,
    preAuthTimeoutMs: timeout,
    maxPerAddress: options.maxConnectionsPerAddress ?? DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
    tls: options.tls !== undefined,
    ...(options.trace === undefined ? {} : { trace: options.trace }),
  });
  admission.attach(http);
  const endpoint = createLrecWsEndpoint({
    table: options.table,
    clock,
    onAuthenticated: (socket) => admission.passed(socket),
    ...(options.trace === undefined ? {} : { trace: options.trace }),
    ...(options.keepAliveIntervalMs === undefined
      ? {}
      : { keepAliveIntervalMs: options.keepAliveIntervalMs }),
    ...(options.keepAliveTimeoutMs === undefined
      ? {}
      : { keepAliveTimeoutMs: options.keepAliveTimeoutMs }),
    ...(options.maxPendingReplies === undefined
      ? {}
      : { maxPendingReplies: options.maxPendingReplies }),
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
    stats: () => ({ ...endpoint.stats(), ...admission.stats() }),
    close: () =>
      new Promise<void>((resolve) => {
        endpoint.close();
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  };
}
