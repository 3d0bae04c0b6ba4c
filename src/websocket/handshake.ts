import { decodeBase64, toBase64 } from '../bytes/base64.js';
import type { Crypto } from '../runtime/index.js';
import {
  PERMESSAGE_DEFLATE,
  acceptPerMessageDeflate,
  checkPerMessageDeflateResponse,
  formatExtensions,
  parseExtensions,
  parsePerMessageDeflateOffer,
  perMessageDeflateOffer,
  type Extension,
  type PerMessageDeflateOffer,
  type PerMessageDeflateParams,
  type PerMessageDeflateServerOptions,
} from './extensions.js';
import {
  handshakeFailed,
  type HandshakeFailure,
  type HandshakeResult,
  type HttpHeader,
} from './handshake-failure.js';
import {
  encodeHead,
  headerList,
  headerValue,
  headerValues,
  isToken,
  type HttpRequestHead,
  type HttpResponseHead,
} from './http-head.js';

/**
 * The WebSocket opening handshake (RFC 6455 §4), both sides, without I/O.
 *
 * After websocket.dll's `WebSocketBeginClientHandshake` /
 * `WebSocketEndClientHandshake` and `WebSocketBeginServerHandshake`: the
 * client builds its request (`buildClientRequest`) and checks the server's
 * response (`checkServerResponse`); the server validates a parsed request
 * (`validateUpgradeRequest`) and builds its 101 (`acceptUpgrade`) or an
 * error answer (`buildRejection`). Bytes in and out are read with
 * `HttpHeadParser` and written with `encodeHead`. The SHA-1 and the random
 * key come from the injected `Crypto`; base64 is done here.
 *
 * Peer mistakes come back as a `HandshakeFailure` with a stable code (and,
 * for a server, the HTTP status to answer); API misuse throws `TypeError` or
 * `RangeError`.
 */

/** RFC 6455 §1.3: appended to the key before hashing. */
export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** The only protocol version RFC 6455 defines (§4.1, §11.6). */
export const WEBSOCKET_VERSION = '13';

const KEY_SHAPE = /^[A-Za-z0-9+/]{22}==$/;

function ascii(text: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

/** `Sec-WebSocket-Accept` for `key`: base64(SHA-1(key + GUID)) (RFC 6455 §4.2.2). */
export function computeAccept(key: string, crypto: Crypto): string {
  return toBase64(crypto.digest('sha1', ascii(key + WEBSOCKET_GUID)));
}

/** A fresh `Sec-WebSocket-Key`: 16 random bytes, base64 (RFC 6455 §4.1). */
export function generateKey(crypto: Crypto): string {
  return toBase64(crypto.randomBytes(16));
}

/** Whether `key` is the base64 of exactly 16 bytes. */
export function isValidKey(key: string): boolean {
  return KEY_SHAPE.test(key) && decodeBase64(key)?.length === 16;
}

/** Whether the comma-separated tokens of header `name` include `token` (case-insensitive). */
function hasToken(headers: readonly HttpHeader[], name: string, token: string): boolean {
  return headerList(headers, name).some((t) => t.toLowerCase() === token);
}

function parseProtocolList(value: string | undefined): string[] | undefined {
  if (value === undefined) return [];
  const out: string[] = [];
  for (const part of value.split(',')) {
    const item = part.trim();
    if (item === '') continue;
    if (!isToken(item) || out.includes(item)) return undefined;
    out.push(item);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Client

export interface ClientRequestOptions {
  /** The `Host` header value (host, and port if not the default). */
  readonly host: string;
  /** The request target. Default `/`. */
  readonly path?: string;
  /** Subprotocols to offer, in order of preference. */
  readonly protocols?: readonly string[];
  /** Offer permessage-deflate: `true` for `client_max_window_bits` only, or an explicit offer. */
  readonly perMessageDeflate?: boolean | PerMessageDeflateOffer;
  /** Other extension offers, sent after permessage-deflate's. */
  readonly extensions?: readonly Extension[];
  readonly origin?: string;
  /** Extra header fields, appended as given. */
  readonly headers?: readonly HttpHeader[];
  /** The key to send; generated from `crypto` when absent (tests pass one). */
  readonly key?: string;
  /** Needed unless `key` is given. */
  readonly crypto?: Crypto;
}

export interface ClientRequest {
  readonly key: string;
  readonly path: string;
  readonly protocols: readonly string[];
  /** Every extension offered, permessage-deflate's first. */
  readonly extensions: readonly Extension[];
  /** The permessage-deflate offer, if one was made. */
  readonly perMessageDeflate: PerMessageDeflateOffer | undefined;
  readonly headers: readonly HttpHeader[];
  /** The whole request head, ready to write. */
  readonly bytes: Uint8Array<ArrayBuffer>;
}

/**
 * The client's upgrade request: `GET <path> HTTP/1.1` with Host, Upgrade,
 * Connection, Sec-WebSocket-Key, Sec-WebSocket-Version: 13 and the optional
 * offers. Throws `SyntaxError` on a bad or repeated protocol name (as ws and
 * WHATWG), `TypeError` on a bad key or header, and when
 * neither `key` nor `crypto` is given.
 */
export function buildClientRequest(options: ClientRequestOptions): ClientRequest {
  const path = options.path ?? '/';
  if (!/^[\x21-\x7e]+$/.test(path)) {
    throw new TypeError(
      `Request path must be visible ASCII without spaces: got ${JSON.stringify(path)}`,
    );
  }
  let key = options.key;
  if (key === undefined) {
    if (options.crypto === undefined) {
      throw new TypeError('Cannot build a client request: pass a key or a crypto to make one');
    }
    key = generateKey(options.crypto);
  } else if (!isValidKey(key)) {
    throw new TypeError(
      `Sec-WebSocket-Key must be the base64 of 16 bytes: got ${JSON.stringify(key)}`,
    );
  }
  const protocols = [...(options.protocols ?? [])];
  for (const p of protocols) {
    // SyntaxError, as ws and WHATWG (a `SyntaxError` DOMException) throw: `catch (e) { if (e instanceof SyntaxError) … }`.
    if (!isToken(p)) throw new SyntaxError(`Subprotocol must be a token: got ${JSON.stringify(p)}`);
  }
  if (new Set(protocols).size !== protocols.length) {
    throw new SyntaxError(`Subprotocols must be distinct: got ${protocols.join(', ')}`);
  }
  const deflate =
    options.perMessageDeflate === true
      ? { clientMaxWindowBits: true as const }
      : options.perMessageDeflate === false || options.perMessageDeflate === undefined
        ? undefined
        : options.perMessageDeflate;
  const extensions = [
    ...(deflate === undefined ? [] : [perMessageDeflateOffer(deflate)]),
    ...(options.extensions ?? []),
  ];
  const headers: HttpHeader[] = [
    ['Host', options.host],
    ['Upgrade', 'websocket'],
    ['Connection', 'Upgrade'],
    ['Sec-WebSocket-Key', key],
    ['Sec-WebSocket-Version', WEBSOCKET_VERSION],
  ];
  if (options.origin !== undefined) headers.push(['Origin', options.origin]);
  if (protocols.length > 0) headers.push(['Sec-WebSocket-Protocol', protocols.join(', ')]);
  if (extensions.length > 0)
    headers.push(['Sec-WebSocket-Extensions', formatExtensions(extensions)]);
  headers.push(...(options.headers ?? []));
  return {
    key,
    path,
    protocols,
    extensions,
    perMessageDeflate: deflate,
    headers,
    bytes: encodeHead(`GET ${path} HTTP/1.1`, headers),
  };
}

export interface ClientHandshake {
  /** The subprotocol the server chose, if any. */
  readonly protocol: string | undefined;
  /** The extensions the server accepted, as it wrote them. */
  readonly extensions: readonly Extension[];
  /** The agreed permessage-deflate parameters, if it was accepted. */
  readonly perMessageDeflate: PerMessageDeflateParams | undefined;
}

/**
 * Checks the server's answer to `request` (RFC 6455 §4.1, RFC 7692 §7.1).
 * Any failure means the client must fail the connection without sending a
 * close frame.
 */
export function checkServerResponse(
  request: ClientRequest,
  response: HttpResponseHead,
  crypto: Crypto,
): HandshakeResult<ClientHandshake> {
  const { headers } = response;
  if (response.status !== 101) {
    return handshakeFailed(
      'handshake-unexpected-status',
      `The server answered ${response.status} ${response.reason}, not 101`.trimEnd(),
    );
  }
  if (!hasToken(headers, 'upgrade', 'websocket')) {
    return handshakeFailed('handshake-upgrade-invalid', 'The response lacks Upgrade: websocket');
  }
  if (!hasToken(headers, 'connection', 'upgrade')) {
    return handshakeFailed(
      'handshake-connection-invalid',
      'The response lacks Connection: Upgrade',
    );
  }
  const accept = headerValues(headers, 'sec-websocket-accept');
  if (accept.length !== 1 || accept[0] !== computeAccept(request.key, crypto)) {
    return handshakeFailed(
      'handshake-accept-invalid',
      accept.length === 0
        ? 'The response lacks Sec-WebSocket-Accept'
        : `Sec-WebSocket-Accept does not match the key: got ${JSON.stringify(accept.join(', '))}`,
    );
  }

  let protocol: string | undefined;
  const protocolValues = headerValues(headers, 'sec-websocket-protocol');
  if (protocolValues.length > 0) {
    const chosen = protocolValues.join(', ');
    if (protocolValues.length > 1 || !request.protocols.includes(chosen)) {
      return handshakeFailed(
        'handshake-protocol-invalid',
        `The server chose subprotocol ${JSON.stringify(chosen)}, which was not offered`,
      );
    }
    protocol = chosen;
  }

  let extensions: Extension[] = [];
  let perMessageDeflate: PerMessageDeflateParams | undefined;
  const extensionValue = headerValue(headers, 'sec-websocket-extensions');
  if (extensionValue !== undefined) {
    const parsed = parseExtensions(extensionValue);
    if (!parsed.ok) {
      return handshakeFailed('handshake-extensions-invalid', parsed.failure.message);
    }
    extensions = parsed.value;
    const seen = new Set<string>();
    for (const ext of extensions) {
      const name = ext.name.toLowerCase();
      if (seen.has(name) || !request.extensions.some((o) => o.name.toLowerCase() === name)) {
        return handshakeFailed(
          'handshake-extension-unexpected',
          seen.has(name)
            ? `The server accepted extension ${ext.name} twice`
            : `The server accepted extension ${ext.name}, which was not offered`,
        );
      }
      seen.add(name);
      if (name === PERMESSAGE_DEFLATE) {
        const checked = checkDeflateAgainstOffers(request, ext);
        if (!checked.ok) return checked;
        perMessageDeflate = checked.value;
      }
    }
  }
  return { ok: true, value: { protocol, extensions, perMessageDeflate } };
}

/** A deflate response is valid if it answers any of the deflate offers made. */
function checkDeflateAgainstOffers(
  request: ClientRequest,
  response: Extension,
): HandshakeResult<PerMessageDeflateParams> {
  let first: HandshakeResult<PerMessageDeflateParams> | undefined;
  for (const offered of request.extensions) {
    if (offered.name.toLowerCase() !== PERMESSAGE_DEFLATE) continue;
    const offer = parsePerMessageDeflateOffer(offered);
    if (typeof offer === 'string') continue;
    const result = checkPerMessageDeflateResponse(offer, response);
    if (result.ok) return result;
    first ??= result;
  }
  return (
    first ??
    handshakeFailed('extension-params-invalid', 'No valid permessage-deflate offer was made')
  );
}

// ---------------------------------------------------------------------------
// Server

export interface UpgradeRequest {
  /** The request target (path and query). */
  readonly target: string;
  readonly host: string;
  readonly origin: string | undefined;
  readonly key: string;
  /** Subprotocols offered, in the client's order of preference. */
  readonly protocols: readonly string[];
  /** Extensions offered, in order. */
  readonly extensions: readonly Extension[];
  readonly headers: readonly HttpHeader[];
}

// Shared by every 426 answer: frozen, the header pair too.
const VERSION_HEADERS: readonly HttpHeader[] = Object.freeze([
  Object.freeze<HttpHeader>(['Sec-WebSocket-Version', WEBSOCKET_VERSION]),
]);

/**
 * Checks a parsed request is a valid WebSocket upgrade (RFC 6455 §4.2.1).
 * On failure, `status` is what to answer: 405 for a method other than GET,
 * 426 (with `Sec-WebSocket-Version: 13`) for a missing or other version,
 * 400 for everything else.
 */
export function validateUpgradeRequest(head: HttpRequestHead): HandshakeResult<UpgradeRequest> {
  const { headers } = head;
  if (head.method !== 'GET') {
    return handshakeFailed(
      'handshake-method-invalid',
      `A WebSocket upgrade must use GET: got ${head.method}`,
      405,
      [['Allow', 'GET']],
    );
  }
  if (head.minorVersion < 1) {
    return handshakeFailed(
      'handshake-http-version-invalid',
      `A WebSocket upgrade needs HTTP/1.1 or later: got HTTP/1.${head.minorVersion}`,
      400,
    );
  }
  const hosts = headerValues(headers, 'host');
  if (hosts.length !== 1 || hosts[0] === '') {
    return handshakeFailed(
      'handshake-host-invalid',
      hosts.length === 0 ? 'The request lacks Host' : 'The request has more than one Host',
      400,
    );
  }
  if (!hasToken(headers, 'upgrade', 'websocket')) {
    return handshakeFailed(
      'handshake-upgrade-invalid',
      'The request lacks Upgrade: websocket',
      400,
    );
  }
  if (!hasToken(headers, 'connection', 'upgrade')) {
    return handshakeFailed(
      'handshake-connection-invalid',
      'The request lacks Connection: Upgrade',
      400,
    );
  }
  const versions = headerValues(headers, 'sec-websocket-version');
  if (versions.length !== 1 || versions[0] !== WEBSOCKET_VERSION) {
    return handshakeFailed(
      'handshake-version-unsupported',
      versions.length === 0
        ? 'The request lacks Sec-WebSocket-Version'
        : `Sec-WebSocket-Version ${JSON.stringify(versions.join(', '))} is not supported; only 13 is`,
      426,
      VERSION_HEADERS,
    );
  }
  const keys = headerValues(headers, 'sec-websocket-key');
  if (keys.length !== 1 || !isValidKey(keys[0] as string)) {
    return handshakeFailed(
      'handshake-key-invalid',
      keys.length === 0
        ? 'The request lacks Sec-WebSocket-Key'
        : `Sec-WebSocket-Key must be the base64 of 16 bytes: got ${JSON.stringify(keys.join(', '))}`,
      400,
    );
  }
  const protocols = parseProtocolList(headerValue(headers, 'sec-websocket-protocol'));
  if (protocols === undefined) {
    return handshakeFailed(
      'handshake-protocol-invalid',
      'Sec-WebSocket-Protocol must be a list of distinct tokens',
      400,
    );
  }
  let extensions: Extension[] = [];
  const extensionValue = headerValue(headers, 'sec-websocket-extensions');
  if (extensionValue !== undefined) {
    const parsed = parseExtensions(extensionValue);
    if (!parsed.ok)
      return handshakeFailed('handshake-extensions-invalid', parsed.failure.message, 400);
    extensions = parsed.value;
  }
  const origins = headerValues(headers, 'origin');
  return {
    ok: true,
    value: {
      target: head.target,
      host: hosts[0] as string,
      origin: origins.length === 0 ? undefined : origins.join(', '),
      key: keys[0] as string,
      protocols,
      extensions,
      headers,
    },
  };
}

export interface AcceptOptions {
  readonly crypto: Crypto;
  /**
   * The subprotocol to choose: a list of those the server speaks (the first
   * the client offered that is in it wins, in the client's order), or a
   * function of the offered list. Nothing chosen means no header.
   */
  readonly protocol?: readonly string[] | ((offered: readonly string[]) => string | undefined);
  /** Accept permessage-deflate: `true` for the defaults, or server options. Default: no. */
  readonly perMessageDeflate?: boolean | PerMessageDeflateServerOptions;
  /** Extra header fields for the 101, appended as given. */
  readonly headers?: readonly HttpHeader[];
}

export interface ServerHandshake {
  readonly protocol: string | undefined;
  /** The extensions accepted, as written in the response. */
  readonly extensions: readonly Extension[];
  readonly perMessageDeflate: PerMessageDeflateParams | undefined;
  readonly headers: readonly HttpHeader[];
  /** The whole 101 response head, ready to write. */
  readonly bytes: Uint8Array<ArrayBuffer>;
}

/**
 * The server's 101 Switching Protocols for a validated request: chooses the
 * subprotocol and the extensions (permessage-deflate only; other offers are
 * declined by leaving them out) and computes Sec-WebSocket-Accept. Throws
 * `TypeError` if a protocol function picks one the client did not offer.
 */
export function acceptUpgrade(request: UpgradeRequest, options: AcceptOptions): ServerHandshake {
  let protocol: string | undefined;
  const choose = options.protocol;
  if (typeof choose === 'function') {
    protocol = choose(request.protocols);
    if (protocol !== undefined && !request.protocols.includes(protocol)) {
      throw new TypeError(
        `Cannot choose subprotocol ${JSON.stringify(protocol)}: the client did not offer it`,
      );
    }
  } else if (choose !== undefined) {
    protocol = request.protocols.find((p) => choose.includes(p));
  }
  const extensions: Extension[] = [];
  let perMessageDeflate: PerMessageDeflateParams | undefined;
  if (options.perMessageDeflate !== undefined && options.perMessageDeflate !== false) {
    const accepted = acceptPerMessageDeflate(
      request.extensions,
      options.perMessageDeflate === true ? {} : options.perMessageDeflate,
    );
    if (accepted !== undefined) {
      extensions.push(accepted.response);
      perMessageDeflate = accepted.params;
    }
  }
  const headers: HttpHeader[] = [
    ['Upgrade', 'websocket'],
    ['Connection', 'Upgrade'],
    ['Sec-WebSocket-Accept', computeAccept(request.key, options.crypto)],
  ];
  if (protocol !== undefined) headers.push(['Sec-WebSocket-Protocol', protocol]);
  if (extensions.length > 0)
    headers.push(['Sec-WebSocket-Extensions', formatExtensions(extensions)]);
  headers.push(...(options.headers ?? []));
  return {
    protocol,
    extensions,
    perMessageDeflate,
    headers,
    bytes: encodeHead('HTTP/1.1 101 Switching Protocols', headers),
  };
}

// Every 4xx/5xx status registered by RFC 9110 §15.5-15.6 (and 428/429/431/
// 511 of RFC 6585): an application's verifyClient may answer any of them, and
// clients and logs show the phrase. One outside the registry gets its class's.
const REASONS: Readonly<Record<number, string>> = Object.freeze({
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  411: 'Length Required',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  417: 'Expectation Failed',
  421: 'Misdirected Request',
  422: 'Unprocessable Content',
  426: 'Upgrade Required',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
  511: 'Network Authentication Required',
});

/** The reason phrase netrx writes for a 4xx/5xx status. */
export function reasonPhrase(status: number): string {
  return REASONS[status] ?? (status < 500 ? 'Client Error' : 'Server Error');
}

/**
 * An error response that ends the exchange: the failure's status (400 if it
 * has none) and headers, `Connection: close` and an empty body.
 */
export function buildRejection(
  failure: Pick<HandshakeFailure, 'status' | 'headers'>,
  extraHeaders: readonly HttpHeader[] = [],
): Uint8Array<ArrayBuffer> {
  const status = failure.status ?? 400;
  if (!Number.isInteger(status) || status < 400 || status > 599) {
    throw new RangeError(`A rejection needs a 4xx or 5xx status: got ${status}`);
  }
  return encodeHead(`HTTP/1.1 ${status} ${reasonPhrase(status)}`, [
    ...(failure.headers ?? []),
    ...extraHeaders,
    ['Connection', 'close'],
    ['Content-Length', '0'],
  ]);
}
