/**
 * The host's HTTP endpoint: `GET /health` and the other JSON routes services
 * register (http-routes.ts), text routes, downloads, the dashboard's static
 * files, login (login-routes.ts) and upgrade routes (http-upgrade.ts).
 * Bounded like any untrusted input: slow or oversized requests are timed
 * out or refused by Node's HTTP limits (http-listen.ts), connections are
 * counted by address (http-security.ts), and every answer is JSON with a
 * status that says what went wrong (http-answers.ts).
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Clock } from '../../runtime/index.js';
import type { TraceProvider } from '../../trace/index.js';
import { ConnectionAdmission, DEFAULT_PRE_AUTH_TIMEOUT_MS } from '../capture/ws-admission.js';
import { systemClock } from '../runtime/index.js';
import { hostHeaderAllowed } from './host-check.js';
import { refusal, sendJson, sendPrepared, sendText, type JsonAnswer } from './http-answers.js';
import { createHostServer, listenOn } from './http-listen.js';
import {
  RouteTable,
  WithStatus,
  acceptsHtml,
  isGetOrHead,
  pathOf,
  type JsonRoute,
  type StaticLookup,
  type TextRoute,
  type UpgradeOptions,
  type UpgradeRoute,
} from './http-routes.js';
import { ConnectionGuard, type ConnectionLimits } from './http-security.js';
import type { TlsPems } from './http-tls.js';
import { handleUpgrade } from './http-upgrade.js';
import { DEFAULT_LOGIN_LIMITS, type LoginLimits } from './login-limiter.js';
import { reportAuthEvent, serveLogin } from './login-routes.js';
import type { HostLogger } from './logger.js';
import { SessionAuth, secretEquals } from './session-auth.js';
import type { StaticAnswer } from './static-files.js';

export {
  WithStatus,
  type JsonRoute,
  type StaticLookup,
  type TextRoute,
  type UpgradeOptions,
  type UpgradeRoute,
} from './http-routes.js';

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

/** A constant-time check of `Authorization: Bearer …` against the configured token. */
export function bearerAllowed(header: string | undefined, token: string | undefined): boolean {
  if (token === undefined || token === '') return true;
  const match = /^Bearer +(\S+)\s*$/i.exec(header ?? '');
  if (match?.[1] === undefined) return false;
  return secretEquals(match[1], token);
}

export class HttpStatusServer {
  private readonly routes = new RouteTable();
  /** Who may use the endpoint: the token, or a login session (session-auth.ts). */
  readonly auth: SessionAuth;
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
    this.server = createHostServer(
      bounds,
      options.tls,
      (request, response) => this.handle(request, response),
      () => this.timedOut++,
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
    this.server.on('request', (request: IncomingMessage) => {
      this.admission.passed(request.socket);
      this.connections.passed(request.socket);
    });
    const upgradeHost = {
      host: options.host,
      tls: options.tls !== undefined,
      auth: this.auth,
      admission: this.admission,
      routes: this.routes,
      connections: this.connections,
      count: (refusal: 'misdirected' | 'unauthorized' | 'foreignOrigins') => this[refusal]++,
    };
    this.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) =>
      handleUpgrade(upgradeHost, request, socket, head),
    );
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
    this.routes.json.set(path, handler);
  }

  text(path: string, handler: TextRoute): void {
    this.routes.texts.set(path, handler);
  }

  /**
   * Files answered for GET/HEAD paths no route claims (the dashboard's
   * ui/dist): the lookup returns the whole answer, headers included.
   */
  files(lookup: StaticLookup): void {
    this.routes.staticLookup = lookup;
  }

  upgrade(path: string, handler: UpgradeRoute, options: UpgradeOptions = {}): void {
    this.routes.upgrade(path, handler, options);
  }

  /** A GET download (a pcapng file): like the static files, but behind the token or login. */
  download(path: string, handler: () => StaticAnswer): void {
    this.routes.downloads.set(path, handler);
  }

  /** Every path the server answers: JSON routes, downloads, login, then WebSocket (upgrade) paths. */
  paths(): string[] {
    return this.routes.paths(this.auth.required ? ['/login', '/logout'] : []);
  }

  /** Starts listening; resolves with the bound address, rejects with a one-line reason. */
  async listen(): Promise<{ host: string; port: number; url: string }> {
    const { host, port, url, bound } = await listenOn(
      this.server,
      this.options.host,
      this.options.port,
      this.options.tls !== undefined,
    );
    this.bound = bound;
    return { host, port, url };
  }

  /**
   * Serves new TLS handshakes with `pems` (a renewed certificate); the
   * listening socket and open connections keep theirs. Throws, keeping the
   * running certificate, when OpenSSL refuses them or the server is plain HTTP.
   */
  renewTls(pems: TlsPems): void {
    if (this.options.tls === undefined) throw new Error('http.tls: the endpoint serves plain HTTP');
    (this.server as HttpsServer).setSecureContext({ cert: pems.cert, key: pems.key });
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

  /** Answers from a static file or download; false when there is none for `path`. */
  private serveFile(
    request: IncomingMessage,
    response: ServerResponse,
    path: string,
    answer = this.routes.staticLookup?.(path),
  ): boolean {
    if (answer === undefined) return false;
    sendPrepared(this.options.trace, request, response, path, answer);
    return true;
  }

  private websocketUrl(path: string): string {
    return `${this.options.tls === undefined ? 'ws' : 'wss'}://${this.bound}${path}`;
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    this.requests++;
    const path = pathOf(request);
    const trace = this.options.trace;
    if (!hostHeaderAllowed(request.headers.host, this.options.host)) {
      this.misdirected++;
      sendJson(trace, request, response, path, {
        status: 421,
        body: {
          error: 'misdirected',
          message: `this host does not answer to Host ${JSON.stringify(request.headers.host)}: use ${this.options.host}`,
        },
      });
      return;
    }
    if ((path === '/login' || path === '/logout') && this.auth.required) {
      const tls = this.options.tls !== undefined;
      const refused = () => this.unauthorized++;
      serveLogin({ auth: this.auth, trace, tls, refused }, request, response, path);
      return;
    }
    // A browser at `/` gets the dashboard (its login form, without a
    // session); scripts and curl the JSON index.
    if (path === '/' && isGetOrHead(request) && acceptsHtml(request))
      if (this.serveFile(request, response, path)) return;
    // The page's assets: public, as the page is.
    if (!this.routes.claims(path) && isGetOrHead(request))
      if (this.serveFile(request, response, path)) return;
    const decision = this.auth.authorize({
      authorization: request.headers.authorization,
      cookie: request.headers.cookie,
      origin: request.headers.origin,
      host: request.headers.host,
      remote: request.socket.remoteAddress,
    });
    if (!decision.ok) {
      this.unauthorized++;
      sendJson(trace, request, response, path, refusal(decision));
      return;
    }
    const download = this.routes.downloads.get(path);
    if (download !== undefined && isGetOrHead(request))
      if (this.serveFile(request, response, path, download())) return;
    const text = this.routes.texts.get(path);
    if (!this.routes.json.has(path) && text !== undefined && isGetOrHead(request)) {
      let answer: ReturnType<TextRoute>;
      try {
        answer = text();
      } catch (error) {
        const body = { error: 'internal', message: (error as Error).message };
        sendJson(trace, request, response, path, { status: 500, body });
        return;
      }
      sendText(trace, request, response, path, answer);
      return;
    }
    sendJson(trace, request, response, path, this.jsonAnswer(request, path));
  }

  /** The answer of a JSON route, or the error that says why there is none. */
  private jsonAnswer(request: IncomingMessage, path: string): JsonAnswer {
    const route = this.routes.json.get(path);
    if (route === undefined && this.routes.upgrades.has(path))
      // A browser or curl on a WebSocket path: say what it is, as the standalone server does.
      return {
        status: 426,
        body: {
          error: 'upgrade-required',
          message: `${path} is a WebSocket endpoint: connect to ${this.websocketUrl(path)} with a WebSocket client, not a plain HTTP request`,
        },
        headers: { Upgrade: 'websocket', 'Sec-WebSocket-Version': '13' },
      };
    if (route === undefined && !this.routes.texts.has(path) && !this.routes.downloads.has(path))
      return {
        status: 404,
        body: { error: 'not-found', message: `No route ${path}`, routes: this.paths() },
      };
    if (!isGetOrHead(request))
      return {
        status: 405,
        body: { error: 'method-not-allowed', message: `${path} answers GET and HEAD only` },
        headers: { Allow: 'GET, HEAD' },
      };
    if (route === undefined)
      return { status: 500, body: { error: 'internal', message: `No handler for ${path}` } };
    try {
      const answer = route();
      return answer instanceof WithStatus
        ? { status: answer.status, body: answer.body }
        : { status: 200, body: answer };
    } catch (error) {
      return { status: 500, body: { error: 'internal', message: (error as Error).message } };
    }
  }
}
