/**
 * `GET /login?code=…` (the printed one-time link), `POST /login` (the
 * page's form: `token=…`) and `POST /logout`. Each answers 303 to the page,
 * a URL without the code, so the code leaves neither the address bar nor
 * the history, and with `Referrer-Policy: no-referrer`: with a session
 * cookie, a cleared one, or `?login=failed`. A POST that is not from a page
 * of this host is refused (403, http-security.ts), `Origin: null` included.
 * A client that must wait (login-limiter.ts) gets 429 with Retry-After. A
 * HEAD of the link (a link preview) answers like a GET but spends nothing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TraceProvider } from '../../trace/index.js';
import { HostEvent } from './events.js';
import { API_SECURITY_HEADERS, postFromOwnPage } from './http-security.js';
import type { HostLogger } from './logger.js';
import type { AuthEvent, LoginResult, SessionAuth } from './session-auth.js';

/** The largest `POST /login` body read. */
const MAX_LOGIN_BODY = 4096;

export interface LoginHost {
  readonly auth: SessionAuth;
  readonly trace: TraceProvider;
  readonly tls: boolean;
  /** Counts a refusal in `http.unauthorized`. */
  readonly refused: () => void;
}

export function serveLogin(
  host: LoginHost,
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
): void {
  const finish = (
    status: number,
    location: string | undefined,
    extra: Readonly<Record<string, string>> = {},
    body = '',
  ) => {
    response.writeHead(status, {
      ...API_SECURITY_HEADERS,
      ...(location === undefined ? {} : { Location: location }),
      ...extra,
      'Cache-Control': 'no-store',
      ...(body === '' ? {} : { 'Content-Type': 'text/plain; charset=utf-8' }),
      'Content-Length': Buffer.byteLength(body),
    });
    response.end(request.method === 'HEAD' ? undefined : body);
    // The query (a login code) is left out of the trace, as any secret is.
    host.trace.emit(HostEvent.httpRequest, { method: request.method ?? '', path, status });
  };
  const remote = request.socket.remoteAddress;
  if (request.method === 'POST' && !postFromOwnPage(request, host.tls)) {
    host.refused();
    request.resume();
    finish(403, undefined, {}, 'refused: this form posts from a page of this host only\n');
    return;
  }
  if (path === '/logout') {
    request.resume();
    if (request.method !== 'POST') return finish(405, undefined, { Allow: 'POST' });
    finish(303, './', { 'Set-Cookie': host.auth.logout(request.headers.cookie) });
    return;
  }
  const loggedIn = (result: LoginResult) => {
    if (result.ok) return finish(303, './', { 'Set-Cookie': result.cookie });
    host.refused();
    if (result.status === 429)
      return finish(
        429,
        undefined,
        { 'Retry-After': String(result.retryAfterSeconds) },
        `too many wrong tokens: try again in ${result.retryAfterSeconds} s\n`,
      );
    finish(303, './?login=failed');
  };
  if (request.method === 'GET' || request.method === 'HEAD') {
    request.resume();
    const code = new URL(request.url ?? '/', 'http://host').searchParams.get('code');
    if (code === null || request.method === 'HEAD') return finish(303, './');
    loggedIn(host.auth.attempt(code, 'code', remote));
    return;
  }
  if (request.method !== 'POST') {
    request.resume();
    return finish(405, undefined, { Allow: 'GET, HEAD, POST' });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let refused = false;
  request.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_LOGIN_BODY) refused = true;
    else chunks.push(chunk);
  });
  request.on('end', () => {
    if (refused) return finish(413, undefined);
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    loggedIn(host.auth.attempt(form.get('token') ?? '', 'token', remote));
  });
  request.on('error', () => undefined);
}

/** A login, a wait or an eviction: traced, and logged without any secret. */
export function reportAuthEvent(
  event: AuthEvent,
  trace: TraceProvider,
  logger: HostLogger | undefined,
): void {
  if (event.kind === 'login') {
    trace.emit(HostEvent.login, { result: event.result, via: event.via, address: event.address });
    // Refusals while an address waits are counted, not logged one by one:
    // the 'blocked' line said it once.
    if (event.result === 'ok')
      logger?.info({ event: 'login', via: event.via, address: event.address }, 'dashboard login');
    else if (event.result === 'bad-token')
      logger?.warn(
        { event: 'login-failed', via: event.via, address: event.address },
        `wrong ${event.via === 'code' ? 'login code' : 'token'} from ${event.address || 'a local socket'}`,
      );
  } else if (event.kind === 'blocked') {
    trace.emit(HostEvent.loginBlocked, {
      scope: event.scope,
      address: event.address,
      retryAfterMs: Math.min(event.retryAfterMs, 0xffffffff),
    });
    logger?.warn(
      {
        event: 'login-blocked',
        scope: event.scope,
        address: event.address,
        retryAfterMs: event.retryAfterMs,
      },
      event.scope === 'address'
        ? `too many wrong tokens from ${event.address || 'a local socket'}: refused for ${Math.ceil(event.retryAfterMs / 1000)} s`
        : `too many wrong tokens from everywhere: every login waits ${Math.ceil(event.retryAfterMs / 1000)} s`,
    );
  } else {
    trace.emit(HostEvent.sessionEvicted, { reason: event.reason, address: event.address });
    logger?.info(
      { event: 'session-evicted', reason: event.reason, address: event.address },
      `a dashboard session of ${event.address || 'a local socket'} ended for a new login (${event.reason})`,
    );
  }
}
