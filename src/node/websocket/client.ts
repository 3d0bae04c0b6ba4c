/**
 * The client's opening handshake, through `http.request`/`https.request`
 * as `ws` does it, so an `agent` (an HTTP CONNECT proxy agent, say), TLS
 * options, user-info auth and redirects work the Node way: write the
 * upgrade request the handle builds, let the handle check the 101 response,
 * and hand the open socket over. Bounded by `handshakeTimeout`.
 */
import {
  request as httpRequest,
  type Agent,
  type ClientRequest,
  type IncomingMessage,
} from 'node:http';
import { request as httpsRequest, type RequestOptions as HttpsRequestOptions } from 'node:https';
import type { ClientHttp2Session } from 'node:http2';
import type { Duplex } from 'node:stream';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { NetrxError } from '../../runtime/index.js';
import type { HttpHeader, PerMessageDeflateOffer, WebSocketHandle } from '../../websocket/index.js';
import { checkDeflateTuning } from './deflate-tuning.js';
import { nodeHandle, type DeflateTuning, type NodeHandleOptions } from './handles.js';
import { openHttp2Client } from './client-http2.js';
import type { Http2WebSocketAgent } from './http2-agent.js';
import type { ConnectionOptions } from './options.js';

/** `perMessageDeflate` as `ws` takes it on a client: the offer plus local tuning. */
export interface ClientPerMessageDeflate extends DeflateTuning {
  readonly serverNoContextTakeover?: boolean;
  readonly clientNoContextTakeover?: boolean;
  readonly serverMaxWindowBits?: number;
  /** `true` (default): offer `client_max_window_bits` without a value. */
  readonly clientMaxWindowBits?: number | true;
}

/** TLS options `ws` takes at the top level of the client options (passed to `https.request`). */
const TLS_OPTION_NAMES = Object.freeze([
  'ca',
  'cert',
  'key',
  'pfx',
  'passphrase',
  'rejectUnauthorized',
  'servername',
  'ciphers',
  'ecdhCurve',
  'minVersion',
  'maxVersion',
  'secureContext',
  'checkServerIdentity',
  'crl',
  'ALPNProtocols',
] as const);

export interface ClientOptions
  extends
    ConnectionOptions,
    NodeHandleOptions,
    Pick<TlsOptions, (typeof TLS_OPTION_NAMES)[number]> {
  /** Offer permessage-deflate (default true, as `ws` and browsers do). */
  readonly perMessageDeflate?: boolean | ClientPerMessageDeflate;
  /** Extra request headers. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly origin?: string;
  /** Give up when the handshake has not finished in this many ms (default 30 s). */
  readonly handshakeTimeout?: number;
  /** The HTTP agent for the upgrade request (an HTTP CONNECT proxy agent, say). */
  readonly agent?: Agent;
  /** Follow 3xx redirects (default false, as in `ws`). */
  readonly followRedirects?: boolean;
  /** At most this many redirects (default 10). */
  readonly maxRedirects?: number;
  /** `http.request` pass-throughs. */
  readonly family?: number;
  readonly localAddress?: string;
  readonly lookup?: HttpsRequestOptions['lookup'];
  /** TLS options for wss: as one object (netrx's older form; the top-level ones win). */
  readonly tls?: TlsOptions;
  /**
   * Open the WebSocket over HTTP/2 (RFC 8441): `true` for a session of its
   * own (h2 over TLS for wss:, h2c for ws:), an open `ClientHttp2Session`
   * to add a stream to, or an `Http2WebSocketAgent` that shares one session
   * per origin among many WebSockets. `agent`, `followRedirects` and
   * user-info auth are HTTP/1.1's and do not apply.
   */
  readonly http2?: boolean | ClientHttp2Session | Http2WebSocketAgent;
  /** With `http2: true`: use HTTP/1.1 when the server does not accept RFC 8441 (default false: fail). */
  readonly http2Fallback?: boolean;
}

export interface ClientSink {
  redirected(location: URL, request: ClientRequest): void;
  upgraded(response: IncomingMessage): void;
  /** Emits `'unexpected-response'`; true when someone listened (then no error is reported). */
  unexpectedResponse(request: ClientRequest, response: IncomingMessage): boolean;
  /** The connection is open (the connection makes itself the handle's `owner`). */
  opened(socket: Duplex, handle: WebSocketHandle, rest: Uint8Array): void;
  /** The attempt ended without a connection (no error: the application saw the response). */
  failed(error: Error | undefined): void;
}

/** Checks a ws:/wss: URL (http:/https: are accepted and mapped, as WHATWG does). */
export function parseWebSocketUrl(input: string | URL): URL {
  const url = new URL(typeof input === 'string' ? input : input.href);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new SyntaxError(`A WebSocket URL must use ws: or wss:, got ${url.protocol}`);
  }
  if (url.hash !== '') throw new SyntaxError('A WebSocket URL must not have a fragment');
  return url;
}

const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set(['authorization', 'cookie']);

function handshakeError(message: string): NetrxError {
  return new NetrxError('ERR_WS_HANDSHAKE', message);
}

function offerFrom(option: ClientOptions['perMessageDeflate']): PerMessageDeflateOffer | false {
  if (option === false) return false;
  if (option === undefined || option === true) return { clientMaxWindowBits: true };
  return {
    ...(option.serverNoContextTakeover === true ? { serverNoContextTakeover: true } : {}),
    ...(option.clientNoContextTakeover === true ? { clientNoContextTakeover: true } : {}),
    ...(option.serverMaxWindowBits === undefined
      ? {}
      : { serverMaxWindowBits: option.serverMaxWindowBits }),
    clientMaxWindowBits: option.clientMaxWindowBits ?? true,
  };
}

/** Starts connecting; returns a function that abandons the attempt. */
export function openClient(
  url: URL,
  protocols: readonly string[],
  options: ClientOptions,
  sink: ClientSink,
): () => void {
  if (typeof options.perMessageDeflate === 'object') {
    checkDeflateTuning(options.perMessageDeflate, 'client');
  }
  if (options.http2 !== undefined && options.http2 !== false) {
    return openHttp2(url, protocols, options, sink);
  }
  const deadline = options.handshakeTimeout ?? 30_000;
  let settled = false;
  let current: ClientRequest | undefined;
  let handle: WebSocketHandle | undefined;
  const timer = setTimeout(
    () => fail(handshakeError(`Opening handshake with ${url.href} timed out`)),
    deadline,
  );

  function fail(error: Error | undefined): void {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    current?.destroy();
    handle?.delete();
    sink.failed(error);
  }

  function attempt(target: URL, redirects: number): void {
    handle?.delete();
    const deflate =
      typeof options.perMessageDeflate === 'object' ? options.perMessageDeflate : undefined;
    const made = nodeHandle('client', options, target.host, deflate);
    handle = made;
    const offer = offerFrom(options.perMessageDeflate);
    // As ws does: credentials do not follow a redirect to another host.
    const foreign = target.host !== url.host;
    const extraHeaders: HttpHeader[] = Object.entries(options.headers ?? {}).filter(
      ([name]) => !foreign || !CREDENTIAL_HEADERS.has(name.toLowerCase()),
    );
    const built = made.beginClientHandshake({
      host: target.host,
      path: `${target.pathname}${target.search}`,
      protocols,
      perMessageDeflate: offer,
      headers: extraHeaders,
      ...(options.origin === undefined ? {} : { origin: options.origin }),
    });
    const headers: Record<string, string> = {};
    for (const [name, value] of built.headers) headers[name] = value;
    const secure = target.protocol === 'wss:';
    const tls: Record<string, unknown> = { ...options.tls };
    for (const name of TLS_OPTION_NAMES) {
      if (options[name] !== undefined) tls[name] = options[name];
    }
    const requestOptions: HttpsRequestOptions = {
      ...(secure ? tls : {}),
      host: target.hostname.replace(/^\[|\]$/g, ''),
      port: target.port === '' ? (secure ? 443 : 80) : Number(target.port),
      path: built.path,
      method: 'GET',
      headers,
      ...(options.agent === undefined ? {} : { agent: options.agent }),
      ...(options.family === undefined ? {} : { family: options.family }),
      ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
      ...(options.lookup === undefined ? {} : { lookup: options.lookup }),
      // A redirect's URL carries user info only if its Location gave it (or, relative, kept ours).
      ...(target.username === '' && target.password === ''
        ? {}
        : {
            auth: `${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`,
          }),
    };
    const request = (secure ? httpsRequest : httpRequest)(requestOptions);
    current = request;
    request.on('error', (error) => fail(error));
    request.on('response', (response) => {
      const location = response.headers.location;
      const status = response.statusCode ?? 0;
      if (options.followRedirects === true && status >= 300 && status < 400 && location) {
        response.resume();
        if (redirects >= (options.maxRedirects ?? 10)) {
          fail(handshakeError(`Too many redirects (maxRedirects ${options.maxRedirects ?? 10})`));
          return;
        }
        let next: URL;
        try {
          next = parseWebSocketUrl(new URL(location, target.href.replace(/^ws/, 'http')));
        } catch (error) {
          fail(error as Error);
          return;
        }
        request.destroy();
        sink.redirected(next, request);
        attempt(next, redirects + 1);
        return;
      }
      if (sink.unexpectedResponse(request, response)) {
        // The application reads the response; the attempt ends when it does.
        response.once('close', () => fail(undefined));
        request.once('close', () => fail(undefined));
        return;
      }
      response.resume();
      fail(handshakeError(`Unexpected server response: ${status}`));
    });
    request.on('upgrade', (response: IncomingMessage, socket: Duplex, rest: Buffer) => {
      if (settled) {
        socket.destroy();
        return;
      }
      const raw = response.rawHeaders;
      const responseHeaders: HttpHeader[] = [];
      for (let i = 0; i + 1 < raw.length; i += 2) {
        responseHeaders.push([raw[i] as string, raw[i + 1] as string]);
      }
      const result = made.endClientHandshake({
        kind: 'response',
        minorVersion: response.httpVersionMinor,
        status: response.statusCode ?? 0,
        reason: response.statusMessage ?? '',
        headers: responseHeaders,
      });
      if (!result.ok) {
        socket.destroy();
        fail(handshakeError(`WebSocket handshake refused: ${result.failure.message}`));
        return;
      }
      settled = true;
      clearTimeout(timer);
      sink.upgraded(response);
      sink.opened(socket, made, rest);
    });
    request.end();
  }

  attempt(url, 0);
  return () => fail(handshakeError('WebSocket was closed before the connection was established'));
}

/** The RFC 8441 attempt, with what it shares with HTTP/1.1: the offer, the headers, TLS. */
function openHttp2(
  url: URL,
  protocols: readonly string[],
  options: ClientOptions,
  sink: ClientSink,
): () => void {
  const tls: Record<string, unknown> = { ...options.tls };
  for (const name of TLS_OPTION_NAMES) {
    if (options[name] !== undefined) tls[name] = options[name];
  }
  let abandon: (() => void) | undefined;
  abandon = openHttp2Client(url, protocols, options, sink, {
    offer: offerFrom(options.perMessageDeflate),
    headers: Object.entries(options.headers ?? {}),
    tls,
    fallback: () => {
      abandon = openClient(url, protocols, { ...options, http2: false }, sink);
    },
  });
  return () => abandon?.();
}
