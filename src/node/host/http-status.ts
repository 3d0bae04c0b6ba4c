import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Clock } from '../../runtime/index.js';
import type { TraceProvider } from '../../trace/index.js';
import { ConnectionAdmission, DEFAULT_PRE_AUTH_TIMEOUT_MS } from '../capture/ws-admission.js';
import { systemClock } from '../runtime/index.js';
import { HostEvent } from './events.js';
import { hostHeaderAllowed } from './host-check.js';
import {
  API_SECURITY_HEADERS,
  ConnectionGuard,
  refuseUpgrade,
  type ConnectionLimits,
} from './http-security.js';
import { DEFAULT_LOGIN_LIMITS, type LoginLimits } from './login-limiter.js';
import { reportAuthEvent, serveLogin } from './login-routes.js';
import type { HostLogger } from './logger.js';
import { SessionAuth, sameOrigin, secretEquals } from './session-auth.js';
import type { StaticAnswer } from './static-files.js';

/** A JSON GET route; returns the body to send with status 200. */
export type JsonRoute = () => unknown;

/** A JSON route's answer with a status other than 200 (`/health` degraded: 503). */
export class WithStatus {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}
/** A GET route answered with its own content type (`/metrics`: Prometheus text). */
export type TextRoute = () => { readonly type: string; readonly body: string };
/** Looks a GET path up among static files; undefined when it is not one. */
export type StaticLookup = (path: string) => StaticAnswer | undefined;
/** Takes over an HTTP upgrade request (a WebSocket endpoint, later). */
export type UpgradeRoute = (request: IncomingMessage, socket: Duplex, head: Buffer) => void;

export interface HttpStatusOptions {
  readonly host: string;
  readonly port: number;
  readonly trace: TraceProvider;
  /** Serve HTTPS (and wss:) with this certificate and key (PEM text). */
  readonly tls?: { readonly cert: string; readonly key: string };
  /**
   * Every request and upgrade must carry `Authorization: Bearer TOKEN` (an
   * upgrade may offer it as a `netrx.bearer.` subprotocol) or a login
   * session's cookie (session-auth.ts); others get 401. The page and its
   * assets are served to anyone, so a browser can show its login form.
   */
  readonly token?: string;
  /** Login session lifetime (ms). Default 12 h. */
  readonly sessionMs?: number;
  /** For session expiry and the pre-auth deadline. Default the system clock. */
  readonly clock?: Clock;
  /**
   * TCP accept to the first request, or to an authorized upgrade (TLS
   * handshake included), in ms. Default 10 s. Node's own limits leave the
   * TLS handshake to its 120 s default.
   */
  readonly preAuthTimeoutMs?: number;
  /** Guessing limits and the session table's bounds (`http.login`). */
  readonly login?: Partial<LoginLimits> & {
    readonly maxSessions?: number;
    readonly maxSessionsPerAddress?: number;
  };
  /** Bounds on slow and piled-up clients (`http.limits`). */
  readonly limits?: Partial<HttpLimits>;
  /** Logins, waits and evictions are logged here (never a token). */
  readonly logger?: HostLogger;
}

export interface HttpLimits extends ConnectionLimits {
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  headersTimeoutMs: 5000,
  requestTimeoutMs: 10_000,
  maxConnections: 1024,
  maxConnectionsPerAddress: 128,
  maxWebSockets: 256,
};

/** Upgrade routes' options. */
export interface UpgradeOptions {
  /** Refuse (403) an upgrade whose Origin is another site's, however it is authorised. */
  readonly sameOrigin?: boolean;
}

/** A constant-time check of `Authorization: Bearer …` against the configured token. */
export function bearerAllowed(header: string | undefined, token: string | undefined): boolean {
  if (token === undefined || token === '') return true;
  const match = /^Bearer +(\S+)\s*$/i.exec(header ?? '');
  if (match?.[1] === undefined) return false;
  return secretEquals(match[1], token);
}

/**
 * The host's HTTP endpoint: `GET /health` and the other JSON routes services
 * register, plus upgrade routes. Bounded like any untrusted input: slow or
 * oversized requests are timed out or refused by Node's HTTP limits set here,
 * and every answer is JSON with a status that says what went wrong.
 */
export class HttpStatusServer {
  private readonly routes = new Map<string, JsonRoute>();
  private readonly upgrades = new Map<string, UpgradeRoute>();
  private readonly sameOriginUpgrades = new Set<string>();
  private readonly downloads = new Map<string, () => StaticAnswer>();
  /** Who may use the endpoint: the token, or a login session (session-auth.ts). */
  readonly auth: SessionAuth;
  private readonly texts = new Map<string, TextRoute>();
  private staticLookup: StaticLookup | undefined;
  private closed: Promise<void> | undefined;
  private readonly server: Server;
  private readonly options: HttpStatusOptions;
  requests = 0;
  /** Requests refused for a Host header this server does not answer to (DNS rebinding). */
  misdirected = 0;
  /** Requests and upgrades refused for a missing or wrong bearer token or login. */
  unauthorized = 0;
  /** Upgrades of same-origin paths refused for another site's Origin. */
  foreignOrigins = 0;
  /** One deadline from accept to a request or an authorized upgrade (ws-admission.ts). */
  private readonly admission: ConnectionAdmission;
  /** Connections cut off for sending their request too slowly (slowloris). */
  timedOut = 0;
  /** The bound address, once listening: `127.0.0.1:7340` or `[::1]:7340`. */
  private bound = '';
  /** Connections by address, WebSockets (http-security.ts). */
  readonly connections: ConnectionGuard;

  constructor(options: HttpStatusOptions) {
    this.options = options;
    const { maxSessions, maxSessionsPerAddress, ...limits } = options.login ?? {};
    this.auth = new SessionAuth({
      token: options.token,
      clock: options.clock ?? systemClock,
      tls: options.tls !== undefined,
      sessionMs: options.sessionMs ?? 12 * 3_600_000,
      limits: { ...DEFAULT_LOGIN_LIMITS, ...limits },
      ...(maxSessions === undefined ? {} : { maxSessions }),
      ...(maxSessionsPerAddress === undefined ? {} : { maxSessionsPerAddress }),
      onEvent: (event) => reportAuthEvent(event, options.trace, options.logger),
    });
    const bounds = { ...DEFAULT_HTTP_LIMITS, ...options.limits };
    this.connections = new ConnectionGuard(bounds);
    const serverOptions = {
      requestTimeout: bounds.requestTimeoutMs,
      headersTimeout: bounds.headersTimeoutMs,
      // Node checks the two timeouts above only this often (30 s by default,
      // which lets a slowloris client hold a socket six times headersTimeout).
      connectionsCheckingInterval: Math.max(50, Math.min(1000, bounds.headersTimeoutMs / 4)),
      keepAliveTimeout: 5_000,
      maxHeaderSize: 16 * 1024,
    };
    const handler = (request: IncomingMessage, response: ServerResponse) =>
      this.handle(request, response);
    this.server =
      options.tls === undefined
        ? createServer(serverOptions, handler)
        : createHttpsServer(
            { ...serverOptions, cert: options.tls.cert, key: options.tls.key },
            handler,
          );
    // Counted on the TCP connection, before TLS or HTTP: a refused one costs nothing more.
    this.server.on('connection', (socket: Socket) => {
      this.connections.admit(socket);
    });
    this.admission = new ConnectionAdmission({
      clock: options.clock ?? systemClock,
      preAuthTimeoutMs: options.preAuthTimeoutMs ?? DEFAULT_PRE_AUTH_TIMEOUT_MS,
      tls: options.tls !== undefined,
    });
    this.admission.attach(this.server);
    // A request ends the pre-auth phase (it is answered, authorized or not;
    // keep-alive and request timeouts take over from here).
    this.server.on('request', (request: IncomingMessage) => this.admission.passed(request.socket));
    this.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (!hostHeaderAllowed(request.headers.host, this.options.host)) {
        this.misdirected++;
        socket.end(
          'HTTP/1.1 421 Misdirected Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
        );
        return;
      }
      const path = pathOf(request);
      const decision = this.auth.authorize({
        authorization: request.headers.authorization,
        cookie: request.headers.cookie,
        protocols: request.headers['sec-websocket-protocol'],
        origin: request.headers.origin,
        host: request.headers.host,
        upgrade: true,
        remote: request.socket.remoteAddress,
      });
      if (decision.ok) this.admission.passed(socket);
      if (!decision.ok) {
        this.unauthorized++;
        socket.end(
          decision.status === 401
            ? 'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'
            : decision.status === 429
              ? `HTTP/1.1 429 Too Many Requests\r\nRetry-After: ${decision.retryAfterSeconds}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`
              : 'HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
        );
        return;
      }
      const route = this.upgrades.get(path);
      if (route === undefined) {
        refuseUpgrade(
          socket,
          'HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
        );
        return;
      }
      // A page of another site may not read these (cross-site WebSocket hijacking).
      if (
        this.sameOriginUpgrades.has(path) &&
        request.headers.origin !== undefined &&
        !sameOrigin(request.headers.origin, request.headers.host, this.options.tls !== undefined)
      ) {
        this.foreignOrigins++;
        refuseUpgrade(
          socket,
          'HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
        );
        return;
      }
      if (!this.connections.admitWebSocket(socket)) {
        refuseUpgrade(
          socket,
          'HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
        );
        return;
      }
      route(request, socket, head);
    });
    this.server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
      // A client too slow with its headers or body (headersTimeoutMs,
      // requestTimeoutMs) is told so: 408, not a bad request.
      const timeout = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
      if (timeout) this.timedOut++;
      if (socket.writable)
        socket.end(
          timeout
            ? 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'
            : 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n',
        );
      else socket.destroy();
    });
  }

  /** Sockets cut for reaching no request or authorized upgrade within `preAuthTimeoutMs`. */
  get preAuthTimeouts(): number {
    return this.admission.stats().preAuthTimeouts;
  }

  /** Sockets now between accept and their first request or authorized upgrade. */
  get preAuth(): number {
    return this.admission.stats().preAuth;
  }

  route(path: string, handler: JsonRoute): void {
    this.routes.set(path, handler);
  }

  text(path: string, handler: TextRoute): void {
    this.texts.set(path, handler);
  }

  /**
   * Files answered for GET/HEAD paths no route claims (the dashboard's
   * ui/dist): the lookup returns the whole answer, headers included.
   */
  files(lookup: StaticLookup): void {
    this.staticLookup = lookup;
  }

  upgrade(path: string, handler: UpgradeRoute, options: UpgradeOptions = {}): void {
    this.upgrades.set(path, handler);
    if (options.sameOrigin === true) this.sameOriginUpgrades.add(path);
    else this.sameOriginUpgrades.delete(path);
  }

  /** A GET download (a pcapng file): like the static files, but behind the token or login. */
  download(path: string, handler: () => StaticAnswer): void {
    this.downloads.set(path, handler);
  }

  /** Every path the server answers: JSON routes, downloads, login, then WebSocket (upgrade) paths. */
  paths(): string[] {
    const json = [
      ...this.routes.keys(),
      ...this.texts.keys(),
      ...this.downloads.keys(),
      ...(this.auth.required ? ['/login', '/logout'] : []),
    ];
    return [...json, ...[...this.upgrades.keys()].filter((p) => !json.includes(p))];
  }

  /** Starts listening; resolves with the bound address, rejects with a one-line reason. */
  listen(): Promise<{ host: string; port: number; url: string }> {
    return new Promise((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) => {
        const why =
          error.code === 'EADDRINUSE'
            ? 'address already in use'
            : error.code === 'EACCES'
              ? 'permission denied'
              : error.message;
        reject(new Error(`cannot listen on ${this.options.host}:${this.options.port}: ${why}`));
      };
      this.server.once('error', onError);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', onError);
        const address = this.server.address() as AddressInfo;
        const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
        this.bound = `${host}:${address.port}`;
        resolve({
          host: address.address,
          port: address.port,
          url: `${this.options.tls === undefined ? 'http' : 'https'}://${host}:${address.port}/`,
        });
      });
    });
  }

  /**
   * The first step of a stop: no new connections (the listening socket
   * closes, so the port is free again), idle keep-alive connections closed;
   * requests in progress and upgraded connections (WebSockets) go on.
   */
  stopAccepting(): void {
    this.closed ??= new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
  }

  /** Stops accepting and cuts every connection left; resolves once the server is closed. */
  close(): Promise<void> {
    this.stopAccepting();
    this.server.closeAllConnections();
    return this.closed as Promise<void>;
  }

  /** Answers from the static files; false when `path` is not one of them. */
  private serveFile(
    request: IncomingMessage,
    response: ServerResponse,
    path: string,
    answer = this.staticLookup?.(path),
  ): boolean {
    if (answer === undefined) return false;
    // The page's own headers (its Content-Security-Policy) win over the API's.
    response.writeHead(answer.status, {
      ...API_SECURITY_HEADERS,
      ...answer.headers,
      'Content-Length': answer.body.byteLength,
    });
    response.end(request.method === 'HEAD' ? undefined : answer.body);
    request.resume();
    this.options.trace.emit(HostEvent.httpRequest, {
      method: request.method ?? '',
      path,
      status: answer.status,
    });
    return true;
  }

  private authorize(request: IncomingMessage): ReturnType<SessionAuth['authorize']> {
    return this.auth.authorize({
      authorization: request.headers.authorization,
      cookie: request.headers.cookie,
      origin: request.headers.origin,
      host: request.headers.host,
      remote: request.socket.remoteAddress,
    });
  }

  private websocketUrl(path: string): string {
    return `${this.options.tls === undefined ? 'ws' : 'wss'}://${this.bound}${path}`;
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    this.requests++;
    const path = pathOf(request);
    const route = this.routes.get(path);
    let status: number;
    let body: unknown;
    let decision: ReturnType<SessionAuth['authorize']>;
    const headers: Record<string, string> = {};
    if (!hostHeaderAllowed(request.headers.host, this.options.host)) {
      this.misdirected++;
      status = 421;
      body = {
        error: 'misdirected',
        message: `this host does not answer to Host ${JSON.stringify(request.headers.host)}: use ${this.options.host}`,
      };
    } else if ((path === '/login' || path === '/logout') && this.auth.required) {
      serveLogin(
        {
          auth: this.auth,
          trace: this.options.trace,
          tls: this.options.tls !== undefined,
          refused: () => this.unauthorized++,
        },
        request,
        response,
        path,
      );
      return;
    } else if (
      path === '/' &&
      (request.method === 'GET' || request.method === 'HEAD') &&
      acceptsHtml(request) &&
      this.serveFile(request, response, path)
    ) {
      // A browser at `/` gets the dashboard (its login form, without a
      // session); scripts and curl the JSON index.
      return;
    } else if (
      route === undefined &&
      !this.texts.has(path) &&
      !this.upgrades.has(path) &&
      !this.downloads.has(path) &&
      (request.method === 'GET' || request.method === 'HEAD') &&
      this.serveFile(request, response, path)
    ) {
      // The page's assets: public, as the page is.
      return;
    } else if (!(decision = this.authorize(request)).ok) {
      this.unauthorized++;
      status = decision.status;
      body = {
        error: decision.status === 401 ? 'unauthorized' : 'forbidden',
        message:
          decision.status === 401
            ? 'log in to the dashboard, or send Authorization: Bearer with the http.token'
            : decision.reason,
      };
      if (decision.status === 401) headers['WWW-Authenticate'] = 'Bearer';
      if (decision.status === 429) {
        headers['Retry-After'] = String(decision.retryAfterSeconds);
        body = { error: 'too-many-requests', message: decision.reason };
      }
    } else if (
      this.downloads.has(path) &&
      (request.method === 'GET' || request.method === 'HEAD') &&
      this.serveFile(request, response, path, this.downloads.get(path)?.())
    ) {
      return;
    } else if (
      route === undefined &&
      this.texts.has(path) &&
      (request.method === 'GET' || request.method === 'HEAD')
    ) {
      try {
        const { type, body: textBody } = (this.texts.get(path) as TextRoute)();
        response.writeHead(200, {
          ...API_SECURITY_HEADERS,
          'Content-Type': type,
          'Content-Length': Buffer.byteLength(textBody),
          'Cache-Control': 'no-store',
        });
        response.end(request.method === 'HEAD' ? undefined : textBody);
        request.resume();
        this.options.trace.emit(HostEvent.httpRequest, {
          method: request.method,
          path,
          status: 200,
        });
        return;
      } catch (error) {
        status = 500;
        body = { error: 'internal', message: (error as Error).message };
      }
    } else if (route === undefined && this.upgrades.has(path)) {
      // A browser or curl on a WebSocket path: say what it is, as the standalone server does.
      status = 426;
      body = {
        error: 'upgrade-required',
        message: `${path} is a WebSocket endpoint: connect to ${this.websocketUrl(path)} with a WebSocket client, not a plain HTTP request`,
      };
      headers['Upgrade'] = 'websocket';
      headers['Sec-WebSocket-Version'] = '13';
    } else if (route === undefined && !this.texts.has(path) && !this.downloads.has(path)) {
      status = 404;
      body = { error: 'not-found', message: `No route ${path}`, routes: this.paths() };
    } else if (request.method !== 'GET' && request.method !== 'HEAD') {
      status = 405;
      body = { error: 'method-not-allowed', message: `${path} answers GET and HEAD only` };
      headers['Allow'] = 'GET, HEAD';
    } else if (route === undefined) {
      status = 500;
      body = { error: 'internal', message: `No handler for ${path}` };
    } else {
      try {
        const answer = route();
        status = answer instanceof WithStatus ? answer.status : 200;
        body = answer instanceof WithStatus ? answer.body : answer;
      } catch (error) {
        status = 500;
        body = { error: 'internal', message: (error as Error).message };
      }
    }
    const text = `${JSON.stringify(body, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))}\n`;
    response.writeHead(status, {
      ...API_SECURITY_HEADERS,
      ...headers,
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(text),
      'Cache-Control': 'no-store',
    });
    response.end(request.method === 'HEAD' ? undefined : text);
    // Drain any request body so keep-alive connections stay usable.
    request.resume();
    this.options.trace.emit(HostEvent.httpRequest, { method: request.method ?? '', path, status });
  }
}

function acceptsHtml(request: IncomingMessage): boolean {
  return /\btext\/html\b/i.test(request.headers.accept ?? '');
}

function pathOf(request: IncomingMessage): string {
  const url = request.url ?? '/';
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}
