import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TraceProvider } from '../../trace/index.js';
import { HostEvent } from './events.js';
import { hostHeaderAllowed } from './host-check.js';
import type { StaticAnswer } from './static-files.js';

/** A JSON GET route; returns the body to send with status 200. */
export type JsonRoute = () => unknown;
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
  /** Every request and upgrade must carry `Authorization: Bearer TOKEN`; others get 401. */
  readonly token?: string;
}

/** A constant-time check of `Authorization: Bearer …` against the configured token. */
export function bearerAllowed(header: string | undefined, token: string | undefined): boolean {
  if (token === undefined || token === '') return true;
  const match = /^Bearer +(\S+)\s*$/i.exec(header ?? '');
  if (match?.[1] === undefined) return false;
  const given = Buffer.from(match[1]);
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
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
  private readonly texts = new Map<string, TextRoute>();
  private staticLookup: StaticLookup | undefined;
  private closed: Promise<void> | undefined;
  private readonly server: Server;
  private readonly options: HttpStatusOptions;
  requests = 0;
  /** Requests refused for a Host header this server does not answer to (DNS rebinding). */
  misdirected = 0;
  /** Requests and upgrades refused for a missing or wrong bearer token. */
  unauthorized = 0;
  /** The bound address, once listening: `127.0.0.1:7340` or `[::1]:7340`. */
  private bound = '';

  constructor(options: HttpStatusOptions) {
    this.options = options;
    const limits = {
      requestTimeout: 10_000,
      headersTimeout: 5_000,
      keepAliveTimeout: 5_000,
      maxHeaderSize: 16 * 1024,
    };
    const handler = (request: IncomingMessage, response: ServerResponse) =>
      this.handle(request, response);
    this.server =
      options.tls === undefined
        ? createServer(limits, handler)
        : createHttpsServer({ ...limits, cert: options.tls.cert, key: options.tls.key }, handler);
    this.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (!hostHeaderAllowed(request.headers.host, this.options.host)) {
        this.misdirected++;
        socket.end(
          'HTTP/1.1 421 Misdirected Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
        );
        return;
      }
      if (!bearerAllowed(request.headers.authorization, this.options.token)) {
        this.unauthorized++;
        socket.end(
          'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
        );
        return;
      }
      const route = this.upgrades.get(pathOf(request));
      if (route === undefined) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      route(request, socket, head);
    });
    this.server.on('clientError', (_error, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    });
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

  upgrade(path: string, handler: UpgradeRoute): void {
    this.upgrades.set(path, handler);
  }

  /** Every path the server answers: JSON routes, then WebSocket (upgrade) paths. */
  paths(): string[] {
    const json = [...this.routes.keys(), ...this.texts.keys()];
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
  private serveFile(request: IncomingMessage, response: ServerResponse, path: string): boolean {
    const answer = this.staticLookup?.(path);
    if (answer === undefined) return false;
    response.writeHead(answer.status, {
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

  private websocketUrl(path: string): string {
    return `${this.options.tls === undefined ? 'ws' : 'wss'}://${this.bound}${path}`;
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    this.requests++;
    const path = pathOf(request);
    const route = this.routes.get(path);
    let status: number;
    let body: unknown;
    const headers: Record<string, string> = {};
    if (!hostHeaderAllowed(request.headers.host, this.options.host)) {
      this.misdirected++;
      status = 421;
      body = {
        error: 'misdirected',
        message: `this host does not answer to Host ${JSON.stringify(request.headers.host)}: use ${this.options.host}`,
      };
    } else if (!bearerAllowed(request.headers.authorization, this.options.token)) {
      this.unauthorized++;
      status = 401;
      body = { error: 'unauthorized', message: 'send Authorization: Bearer with the http.token' };
      headers['WWW-Authenticate'] = 'Bearer';
    } else if (
      path === '/' &&
      (request.method === 'GET' || request.method === 'HEAD') &&
      acceptsHtml(request) &&
      this.serveFile(request, response, path)
    ) {
      // A browser at `/` gets the dashboard; scripts and curl the JSON index.
      return;
    } else if (
      route === undefined &&
      this.texts.has(path) &&
      (request.method === 'GET' || request.method === 'HEAD')
    ) {
      try {
        const { type, body: textBody } = (this.texts.get(path) as TextRoute)();
        response.writeHead(200, {
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
    } else if (
      route === undefined &&
      !this.texts.has(path) &&
      (request.method === 'GET' || request.method === 'HEAD') &&
      this.serveFile(request, response, path)
    ) {
      return;
    } else if (route === undefined && !this.texts.has(path)) {
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
        status = 200;
        body = route();
      } catch (error) {
        status = 500;
        body = { error: 'internal', message: (error as Error).message };
      }
    }
    const text = `${JSON.stringify(body, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))}\n`;
    response.writeHead(status, {
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
