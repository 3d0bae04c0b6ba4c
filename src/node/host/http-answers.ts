/**
 * How the host's HTTP endpoint writes its answers: JSON (every API answer,
 * errors included, with a status that says what went wrong), text
 * (`/metrics`) and whole prepared answers (static files, downloads). Each
 * carries the API's security headers, is never cached, drains the request
 * body so keep-alive connections stay usable, and is traced (path and
 * status, never the query).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TraceProvider } from '../../trace/index.js';
import { HostEvent } from './events.js';
import { API_SECURITY_HEADERS } from './http-security.js';
import type { AuthDecision } from './session-auth.js';
import type { StaticAnswer } from './static-files.js';

/** A JSON answer not yet written: status, body and extra headers. */
export interface JsonAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export function sendJson(
  trace: TraceProvider,
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  answer: JsonAnswer,
): void {
  const text = `${JSON.stringify(answer.body, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))}\n`;
  response.writeHead(answer.status, {
    ...API_SECURITY_HEADERS,
    ...answer.headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  finish(trace, request, response, path, answer.status, text);
}

export function sendText(
  trace: TraceProvider,
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  answer: { readonly type: string; readonly body: string },
): void {
  response.writeHead(200, {
    ...API_SECURITY_HEADERS,
    'Content-Type': answer.type,
    'Content-Length': Buffer.byteLength(answer.body),
    'Cache-Control': 'no-store',
  });
  finish(trace, request, response, path, 200, answer.body);
}

/** A static file or download, with its own headers (the page's Content-Security-Policy wins). */
export function sendPrepared(
  trace: TraceProvider,
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  answer: StaticAnswer,
): void {
  response.writeHead(answer.status, {
    ...API_SECURITY_HEADERS,
    ...answer.headers,
    'Content-Length': answer.body.byteLength,
  });
  finish(trace, request, response, path, answer.status, answer.body);
}

function finish(
  trace: TraceProvider,
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  status: number,
  body: string | Uint8Array,
): void {
  response.end(request.method === 'HEAD' ? undefined : body);
  request.resume();
  trace.emit(HostEvent.httpRequest, { method: request.method ?? '', path, status });
}

/** The JSON answer to a request that is not authorized (401, 403 or 429). */
export function refusal(decision: Extract<AuthDecision, { ok: false }>): JsonAnswer {
  if (decision.status === 429)
    return {
      status: 429,
      body: { error: 'too-many-requests', message: decision.reason },
      headers: { 'Retry-After': String(decision.retryAfterSeconds) },
    };
  if (decision.status === 401)
    return {
      status: 401,
      body: {
        error: 'unauthorized',
        message: 'log in to the dashboard, or send Authorization: Bearer with the http.token',
      },
      headers: { 'WWW-Authenticate': 'Bearer' },
    };
  return { status: decision.status, body: { error: 'forbidden', message: decision.reason } };
}
