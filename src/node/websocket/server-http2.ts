/**
 * RFC 8441 on `WebSocketServer`: a WebSocket as one stream of an HTTP/2
 * connection. The `node:http2` server (TLS or h2c) must advertise
 * `SETTINGS_ENABLE_CONNECT_PROTOCOL` (`settings: { enableConnectProtocol:
 * true }`); `attachHttp2` turns it on with `updateSettings` too, for
 * sessions that start later, since without it no client sends the
 * extended CONNECT.
 *
 * Which streams are ours: an extended CONNECT whose `:protocol` is
 * `websocket` (case-insensitive). Every other stream (the page a browser
 * loads first, say) is left to the application's own `'stream'` or
 * `'request'` handler, which must likewise leave those alone. A plain
 * CONNECT (a proxy tunnel) or another `:protocol` (connect-udp,
 * connect-ip, WebTransport) is someone else's too: we are a library on the
 * application's server, not the whole server. We answer it (400 and 501,
 * RFC 8441 §4) only when no `'stream'` listener other than WebSocketServers'
 * exists, counted when the stream arrives (every listener is registered by
 * then, even those added after ours), and only at the end of that turn, if
 * no one answered it by then: a listener the application put on the
 * session (`'session'` → `session.on('stream')`) runs after the server's
 * emit and is not counted, so it must answer in the same turn. That way a
 * CONNECT does not hang unanswered on a server that serves nothing but
 * WebSockets. The request is checked by
 * `validateExtendedConnect` (netrx/websocket) and refused with the status
 * it names (`stream.respond` then end: a reason, not a bare RST_STREAM);
 * accepted, the answer is `:status 200` with the negotiated fields and the
 * same handle and transport as HTTP/1.1 run over the stream, whose flow
 * control is the backpressure (`writableLength`, `'drain'`).
 */
import type {
  Http2SecureServer,
  Http2Server,
  Http2ServerRequest,
  Http2ServerResponse,
  IncomingHttpHeaders,
  OutgoingHttpHeaders,
  ServerHttp2Stream,
} from 'node:http2';
import { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { NetrxError } from '../../runtime/index.js';
import {
  acceptExtendedConnect,
  extendedConnectRejection,
  negotiation,
  validateExtendedConnect,
  type ExtendedConnectRequest,
  type HttpHeader,
  type PerMessageDeflateServerOptions,
} from '../../websocket/index.js';
import { nodeHandle, type NodeHandleOptions } from './handles.js';
import type { ConnectionOptions } from './options.js';
import { acceptConnection, beginConnection, type WebSocket } from './websocket.js';

/**
 * What `'connection'`, `verifyClient` and `handleProtocols` get for an
 * HTTP/2 WebSocket: a real `IncomingMessage` (so handlers written for
 * HTTP/1.1 work unchanged) with `httpVersion` `'2.0'`, `method`
 * `'CONNECT'`, `url` the `:path`, the fields as received (pseudo-headers
 * included), `socket` the session's TCP or TLS socket, and the `stream`.
 */
export type Http2WebSocketRequest = IncomingMessage & { readonly stream: ServerHttp2Stream };

export type VerifyResult = boolean | { ok: boolean; code?: number };

/** What the server gives the HTTP/2 half (server.ts builds it). */
export interface Http2Host {
  readonly options: ConnectionOptions &
    NodeHandleOptions & {
      readonly trace?: unknown;
      readonly path?: string;
    };
  /** The negotiation half of `perMessageDeflate`, and its codec tuning. */
  readonly deflate: boolean | PerMessageDeflateServerOptions;
  readonly tuning: Parameters<typeof nodeHandle>[3];
  shouldHandle(url: string): boolean;
  chooseProtocol(offered: readonly string[], request: Http2WebSocketRequest): string | undefined;
  /** Runs `verifyClient` (sync or async); `done` gets the verdict. */
  verify(
    request: Http2WebSocketRequest,
    origin: string | undefined,
    done: (ok: boolean, code?: number, headers?: readonly HttpHeader[]) => void,
  ): void;
  /** Reports a refused request to `'wsClientError'` listeners; true when someone listened. */
  clientError(
    error: NetrxError,
    stream: ServerHttp2Stream,
    request: Http2WebSocketRequest,
  ): boolean;
  opened(ws: WebSocket, request: Http2WebSocketRequest): void;
}

/** Listens for extended CONNECT streams; returns the function that stops it. */
export function attachHttp2(server: Http2Server | Http2SecureServer, host: Http2Host): () => void {
  const onStream = (
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    _flags: number,
    rawHeaders?: string[],
  ): void => {
    const protocol = headers[':protocol'];
    if (isWebSocketProtocol(protocol)) {
      handleStream(host, stream, headers, rawHeaders ?? flatten(headers));
      return;
    }
    if (protocol === undefined && headers[':method'] !== 'CONNECT') return;
    if (server.listenerCount('stream') > (ownListeners.get(server)?.size ?? 0)) return;
    // No other server listener; but listeners added on the session (in 'session') run after
    // this emit, in the same turn (verify15 NEW-2). Refuse at the end of it, if none answered.
    refuseLater(stream, protocol === undefined ? 400 : 501);
  };
  // A server made with a compatibility request handler (`http2.createServer(options, app)`)
  // answers every CONNECT itself with 405 unless a 'connect' listener exists, and that
  // answer goes out before our 'stream' listener runs. Listen, so our streams stay ours;
  // other CONNECTs get Node's 405 (at the end of the turn) unless the application listens
  // for them too, on the server's 'connect' or the session's 'stream'.
  const onConnect = (request: Http2ServerRequest, response: Http2ServerResponse): void => {
    if (isWebSocketProtocol(request.headers[':protocol'])) return;
    if (server.listenerCount('connect') > (ownConnectListeners.get(server)?.size ?? 0)) return;
    if (ownConnectListeners.get(server)?.values().next().value !== onConnect) return;
    // As in onStream: a per-session 'stream' listener has yet to run; its answer wins.
    setImmediate(answerMethodNotAllowed, response);
  };
  const ours = ownListeners.get(server) ?? new Set();
  ownListeners.set(server, ours);
  ours.add(onStream);
  server.on('stream', onStream);
  const oursConnect = ownConnectListeners.get(server) ?? new Set();
  ownConnectListeners.set(server, oursConnect);
  oursConnect.add(onConnect);
  server.on('connect', onConnect);
  // A server made without the setting: advertise it to the sessions that start from now on.
  server.updateSettings?.({ enableConnectProtocol: true });
  return () => {
    ours.delete(onStream);
    server.off('stream', onStream);
    oursConnect.delete(onConnect);
    server.off('connect', onConnect);
  };
}

function isWebSocketProtocol(protocol: unknown): boolean {
  return typeof protocol === 'string' && protocol.toLowerCase() === 'websocket';
}

/** The `'connect'` listeners WebSocketServers put on each HTTP/2 server (see `attachHttp2`). */
const ownConnectListeners = new WeakMap<Http2Server | Http2SecureServer, Set<unknown>>();

/** The `'stream'` listeners WebSocketServers put on each HTTP/2 server (theirs are not "another listener"). */
const ownListeners = new WeakMap<Http2Server | Http2SecureServer, Set<unknown>>();

function http2Request(
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  rawHeaders: readonly string[],
): Http2WebSocketRequest {
  // The session's socket: what `req.socket` is over HTTP/1.1 (addresses, `encrypted`).
  const request = new IncomingMessage(stream.session?.socket as Socket);
  request.httpVersion = '2.0';
  request.httpVersionMajor = 2;
  request.httpVersionMinor = 0;
  request.method = 'CONNECT';
  request.url = typeof headers[':path'] === 'string' ? headers[':path'] : '/';
  request.headers = headers;
  request.rawHeaders = [...rawHeaders];
  return Object.assign(request, { stream });
}

function flatten(headers: IncomingHttpHeaders): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) out.push(name, String(v));
  }
  return out;
}

function handleStream(
  host: Http2Host,
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  rawHeaders: readonly string[],
): void {
  // Answered already (another 'stream' or 'connect' listener ran first): not ours to open.
  if (stream.headersSent) return;
  // A stream reset while we decide must not become an uncaught 'error'.
  stream.on('error', destroySelf);
  const list: HttpHeader[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    list.push([rawHeaders[i] as string, rawHeaders[i + 1] as string]);
  }
  const request = http2Request(stream, headers, rawHeaders);
  const path = headers[':path'];
  if (typeof path === 'string' && !host.shouldHandle(path)) {
    // Another WebSocketServer on this HTTP/2 server may serve that path
    // (its listener runs after ours, in the same turn): refuse only if none did.
    setImmediate(refuseUnclaimed, stream);
    return;
  }
  (stream as ClaimedStream)[CLAIMED] = true;
  const validated = validateExtendedConnect(list);
  if (!validated.ok) {
    const error = new NetrxError('ERR_WS_BAD_UPGRADE', validated.failure.message);
    if (host.clientError(error, stream, request)) return;
    refuse(stream, validated.failure.status ?? 400, validated.failure.headers);
    return;
  }
  const connect = validated.value;
  host.verify(request, connect.origin, (ok, code, extra) => {
    if (!ok) {
      refuse(stream, code ?? 401, extra);
      return;
    }
    open(host, stream, connect, request);
  });
}

/** The handshake's second half, apart so the connection's closures do not pin the request. */
function open(
  host: Http2Host,
  stream: ServerHttp2Stream,
  connect: ExtendedConnectRequest,
  request: Http2WebSocketRequest,
): void {
  // Answered while an async verifyClient ran (another listener): responding would throw.
  if (stream.destroyed || stream.closed || stream.headersSent) return;
  const name =
    host.options.trace === undefined
      ? 'server'
      : `${request.socket.remoteAddress ?? '?'}:${request.socket.remotePort ?? 0}/${stream.id ?? 0}`;
  const handle = nodeHandle('server', host.options, name, host.tuning);
  const response = acceptExtendedConnect(connect, {
    protocol: (offered) => host.chooseProtocol(offered, request),
    perMessageDeflate: host.deflate,
  });
  handle.open(negotiation(response));
  stream.respond(headersObject(response.headers));
  stream.off('error', destroySelf);
  const ws = acceptConnection(stream, handle, host.options, connect.target);
  host.opened(ws, request);
  beginConnection(ws, undefined);
}

function headersObject(list: readonly HttpHeader[]): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of list) out[name] = value;
  return out;
}

function refuse(
  stream: ServerHttp2Stream,
  status: number,
  headers: readonly HttpHeader[] = [],
): void {
  if (stream.destroyed || stream.closed || stream.headersSent) return;
  // A status an application gave that is not 4xx/5xx becomes 400 (the answer must refuse).
  const refusal = Number.isInteger(status) && status >= 400 && status <= 599 ? status : 400;
  stream.respond(headersObject(extendedConnectRejection({ status: refusal, headers })), {
    endStream: true,
  });
}

const CLAIMED: unique symbol = Symbol('netrx.websocket.claimed');
type ClaimedStream = ServerHttp2Stream & { [CLAIMED]?: true };

const REFUSAL_PENDING: unique symbol = Symbol('netrx.websocket.refusalPending');
type PendingStream = ServerHttp2Stream & { [REFUSAL_PENDING]?: true };

/** Refuses a foreign CONNECT at the end of the turn unless someone answered it by then. */
function refuseLater(stream: ServerHttp2Stream, status: number): void {
  // Several WebSocketServers on one HTTP/2 server: one pending refusal is enough.
  if ((stream as PendingStream)[REFUSAL_PENDING] === true) return;
  (stream as PendingStream)[REFUSAL_PENDING] = true;
  // A reset while it waits must not become an uncaught 'error' (no one else may listen).
  stream.on('error', destroySelf);
  setImmediate(() => {
    stream.off('error', destroySelf);
    refuse(stream, status);
  });
}

function answerMethodNotAllowed(response: Http2ServerResponse): void {
  if (response.headersSent || response.stream.destroyed || response.stream.closed) return;
  response.statusCode = 405;
  response.end();
}

function refuseUnclaimed(stream: ServerHttp2Stream): void {
  if ((stream as ClaimedStream)[CLAIMED] === true) return;
  stream.off('error', destroySelf);
  refuse(stream, 400);
}

function destroySelf(this: ServerHttp2Stream): void {
  this.destroy();
}
