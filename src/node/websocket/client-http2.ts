/**
 * The client half of RFC 8441: `new WebSocket(url, { http2 })` opens the
 * WebSocket as one stream of an HTTP/2 session, its own (`http2: true`,
 * `https://` for wss:, h2c for ws:, closed with the WebSocket) or the
 * caller's `ClientHttp2Session` (left open: many WebSockets and requests
 * share it).
 *
 * The extended CONNECT goes out only once the server's SETTINGS advertise
 * `SETTINGS_ENABLE_CONNECT_PROTOCOL`. A server sends SETTINGS as its first
 * frame, so the answer to a PING proves they have arrived: a session whose
 * settings already say yes goes at once; otherwise we wait for the first
 * SETTINGS or a PING's answer, whichever comes first. A server that does
 * not advertise it fails the attempt with `ERR_WS_HTTP2_UNSUPPORTED`, or,
 * with `http2Fallback: true` on a session of our own, tries HTTP/1.1 (a TLS
 * server that does not offer h2 in ALPN counts as not advertising).
 *
 * Through an `Http2WebSocketAgent`, a CONNECT the server did not process
 * (reset with `REFUSED_STREAM`, or above the last-stream-id of a GOAWAY:
 * RFC 9113 §8.7 says such a request may be retried) is retried once on
 * another session, a new one if none has room, as browsers do. Other
 * errors, and a second refusal, fail the attempt.
 */
import {
  connect as http2Connect,
  constants,
  type ClientHttp2Session,
  type Http2Stream,
} from 'node:http2';
import type { IncomingHttpHeaders } from 'node:http2';
import { NetrxError } from '../../runtime/index.js';
import {
  buildExtendedConnect,
  checkExtendedConnectResponse,
  negotiation,
  type HttpHeader,
  type PerMessageDeflateOffer,
} from '../../websocket/index.js';
import { nodeHandle } from './handles.js';
import { Http2WebSocketAgent } from './http2-agent.js';
import type { ClientOptions, ClientSink } from './client.js';

/** What the HTTP/2 path needs from client.ts (passed in: client.ts imports this file). */
export interface Http2ClientParts {
  readonly offer: PerMessageDeflateOffer | false;
  readonly headers: readonly HttpHeader[];
  readonly tls: Record<string, unknown>;
  /** Tries HTTP/1.1 instead (`http2Fallback`). */
  readonly fallback: () => void;
}

const EMPTY = new Uint8Array(0);

function ignore(): void {}

function unsupported(message: string): NetrxError {
  return new NetrxError('ERR_WS_HTTP2_UNSUPPORTED', message);
}

function handshakeError(message: string): NetrxError {
  return new NetrxError('ERR_WS_HANDSHAKE', message);
}

/** Starts an RFC 8441 attempt; returns a function that abandons it. */
export function openHttp2Client(
  url: URL,
  protocols: readonly string[],
  options: ClientOptions,
  sink: ClientSink,
  parts: Http2ClientParts,
): () => void {
  const agent = options.http2 instanceof Http2WebSocketAgent ? options.http2 : undefined;
  const given =
    options.http2 instanceof Http2WebSocketAgent || typeof options.http2 !== 'object'
      ? undefined
      : options.http2;
  const secure = url.protocol === 'wss:';
  const origin = `${secure ? 'https' : 'http'}://${url.host}`;
  const connectOptions = {
    ...(secure ? parts.tls : {}),
    ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
    ...(options.family === undefined ? {} : { family: options.family }),
    ...(options.lookup === undefined ? {} : { lookup: options.lookup }),
  };
  let session =
    agent?.acquire(origin, connectOptions) ??
    given ??
    http2Connect(origin, connectOptions as Parameters<typeof http2Connect>[1]);
  // A session of its own: closed with the WebSocket (an agent's or the caller's is not).
  const owned = given === undefined && agent === undefined;
  let reserved = agent !== undefined;
  /** Our reservation counts against the server's stream limit (`agent.admit`). */
  let admitted = false;
  let settled = false;
  /** The one retry of a refused CONNECT is used up. */
  let retried = false;
  let stream: ReturnType<ClientHttp2Session['request']> | undefined;
  /** The last-stream-id of a GOAWAY this attempt's session received, if any. */
  let goawayLastStreamId: number | undefined;
  const onGoaway = (_code: number, lastStreamId: number): void => {
    goawayLastStreamId = lastStreamId;
  };
  const timer = setTimeout(
    () => fail(handshakeError(`Opening handshake with ${url.href} timed out`)),
    options.handshakeTimeout ?? 30_000,
  );

  function fail(error: Error | undefined, closeSession = owned): void {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    session.off('error', onSessionError);
    session.off('goaway', onGoaway);
    stream?.close(constants.NGHTTP2_CANCEL);
    if (closeSession) session.destroy();
    if (reserved) agent?.release(session, admitted);
    reserved = false;
    sink.failed(error);
  }

  function notAdvertised(why: string): void {
    if (owned && options.http2Fallback === true) {
      settled = true;
      clearTimeout(timer);
      session.off('error', onSessionError);
      session.destroy();
      parts.fallback();
      return;
    }
    fail(unsupported(`${url.host} does not accept WebSockets over HTTP/2: ${why}`));
  }

  // A session of our own that fails before the CONNECT: a server that does not speak h2.
  function onSessionError(error: Error): void {
    notAdvertised(error.message);
  }
  if (owned) session.on('error', onSessionError);
  if (owned) {
    session.once('connect', () => {
      const alpn = (session.socket as { alpnProtocol?: string | false } | undefined)?.alpnProtocol;
      if (secure && alpn !== 'h2') notAdvertised('its TLS did not offer h2 (ALPN)');
    });
  }

  function onSettingsKnown(gone: boolean): void {
    if (settled) return;
    if (gone) {
      fail(handshakeError(`The HTTP/2 session to ${url.host} closed before the CONNECT`));
      return;
    }
    if (session.remoteSettings.enableConnectProtocol !== true) {
      notAdvertised('its SETTINGS lack SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441)');
      return;
    }
    if (agent !== undefined && !agent.admit(session)) {
      // Reserved before the server's SETTINGS said how many streams it takes,
      // and past that number: move to a session with room (a new one if none).
      agent.release(session);
      if (session.remoteSettings.maxConcurrentStreams === 0) {
        reserved = false;
        fail(handshakeError(`The HTTP/2 server ${url.host} allows no streams`));
        return;
      }
      session = agent.acquire(origin, connectOptions);
      whenSettingsKnown(session, onSettingsKnown);
      return;
    }
    admitted = agent !== undefined;
    request();
  }
  whenSettingsKnown(session, onSettingsKnown);

  function request(): void {
    const built = buildExtendedConnect({
      authority: url.host,
      scheme: secure ? 'https' : 'http',
      path: `${url.pathname}${url.search}`,
      protocols,
      perMessageDeflate: parts.offer,
      headers: parts.headers,
      ...(options.origin === undefined ? {} : { origin: options.origin }),
    });
    const fields: Record<string, string> = {};
    for (const [name, value] of built.headers) fields[name] = value;
    const made = session.request(fields, { endStream: false });
    stream = made;
    goawayLastStreamId = undefined;
    session.on('goaway', onGoaway);
    made.on('error', (error: Error) => {
      if (stream === made && !retryIfRefused()) fail(error);
    });
    // Closed before its response without an error (RST_STREAM NO_ERROR, say): nothing will come.
    made.once('close', () => {
      // The session's 'goaway' is emitted after the streams it closed: decide a turn later.
      setImmediate(() => {
        if (stream !== made || settled || retryIfRefused()) return;
        fail(handshakeError(`The server closed the CONNECT stream to ${url.host} unanswered`));
      });
    });
    made.on('response', (headers: IncomingHttpHeaders) => {
      if (settled || stream !== made) return;
      session.off('goaway', onGoaway);
      const status = Number(headers[':status']);
      const list: HttpHeader[] = [];
      for (const [name, value] of Object.entries(headers)) {
        if (name.startsWith(':') || value === undefined) continue;
        for (const v of Array.isArray(value) ? value : [value]) list.push([name, String(v)]);
      }
      const result = checkExtendedConnectResponse(built, status, list);
      if (!result.ok) {
        fail(handshakeError(`WebSocket handshake refused: ${result.failure.message}`));
        return;
      }
      const handle = nodeHandle(
        'client',
        options,
        url.host,
        typeof options.perMessageDeflate === 'object' ? options.perMessageDeflate : undefined,
      );
      handle.open(negotiation(result.value));
      settled = true;
      clearTimeout(timer);
      if (owned) {
        // Its errors now reach the WebSocket through its stream (closed: 1006).
        session.off('error', onSessionError);
        session.on('error', ignore);
        // Our own session lives as long as its one WebSocket.
        made.once('close', () => session.close());
      }
      if (reserved) agent?.bind(session, made);
      reserved = false;
      sink.opened(made, handle, EMPTY);
    });
  }

  /**
   * The server did not process our CONNECT: once, through an agent, start
   * over on another session. Returns whether it did.
   */
  function retryIfRefused(): boolean {
    const made = stream;
    if (settled || retried || agent === undefined || made === undefined) return false;
    if (!unprocessed(made, goawayLastStreamId)) return false;
    retried = true;
    session.off('goaway', onGoaway);
    stream = undefined;
    const refusedOn = session;
    agent.release(refusedOn, admitted);
    admitted = false;
    session = agent.acquire(origin, connectOptions, refusedOn);
    whenSettingsKnown(session, onSettingsKnown);
    return true;
  }

  return () => fail(handshakeError('WebSocket was closed before the connection was established'));
}

/**
 * Whether the server left `stream` unprocessed (RFC 9113 §8.7): it reset it
 * with REFUSED_STREAM, or a GOAWAY's last-stream-id is below it (a stream
 * that never got an id never left us).
 */
function unprocessed(stream: Http2Stream, goawayLastStreamId: number | undefined): boolean {
  if (stream.rstCode === constants.NGHTTP2_REFUSED_STREAM) return true;
  if (goawayLastStreamId === undefined) return false;
  return stream.id === undefined || stream.id > goawayLastStreamId;
}

/** Sessions whose SETTINGS we are waiting for, with who waits (one set of listeners each). */
const waiting = new WeakMap<ClientHttp2Session, ((gone: boolean) => void)[]>();

/**
 * Calls `then(false)` once the server's SETTINGS are known (see the essay),
 * or `then(true)` if the session closes first. Concurrent attempts on one
 * session share one listener set.
 */
function whenSettingsKnown(session: ClientHttp2Session, then: (gone: boolean) => void): void {
  if (session.remoteSettings.enableConnectProtocol === true) {
    then(false);
    return;
  }
  const queued = waiting.get(session);
  if (queued !== undefined) {
    queued.push(then);
    return;
  }
  const waiters = [then];
  waiting.set(session, waiters);
  const settle = (gone: boolean): void => {
    if (waiting.get(session) !== waiters) return;
    waiting.delete(session);
    session.off('remoteSettings', known);
    session.off('close', closed);
    for (const waiter of waiters) waiter(gone);
  };
  const known = (): void => settle(false);
  const closed = (): void => settle(true);
  session.once('remoteSettings', known);
  session.once('close', closed);
  const ping = (): void => {
    if (session.destroyed || session.closed) return;
    session.ping((error) => {
      if (error === null) settle(false);
    });
  };
  if (session.connecting) session.once('connect', ping);
  else ping();
}
