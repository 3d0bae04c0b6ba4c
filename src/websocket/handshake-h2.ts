/**
 * WebSockets over HTTP/2 (RFC 8441): the extended CONNECT that opens a
 * WebSocket as one stream of an HTTP/2 connection, both sides, without I/O.
 *
 * The request is `:method CONNECT` with `:protocol websocket`, `:scheme`,
 * `:path` and `:authority`, and `sec-websocket-version: 13`; there is no
 * Sec-WebSocket-Key or Accept (the stream, not a key, proves both ends
 * meant it), no Upgrade and no Connection (HTTP/2 forbids
 * connection-specific fields, RFC 9113 §8.2.2). Subprotocol and extension
 * negotiation are RFC 6455's (§5: "the same semantics"), shared with
 * HTTP/1.1 in handshake-negotiate.ts. Success is a 2xx; the stream then
 * carries the frames.
 *
 * Refusals: a method other than CONNECT 405 (`allow: CONNECT`), a missing
 * or malformed pseudo-header 400, a `:protocol` other than websocket 501
 * (RFC 8441 §4 "SHOULD"), a missing or other version 400 with
 * `sec-websocket-version: 13`. RFC 6455 §4.4 names 426 only as an example,
 * and 426 needs an `Upgrade` header, which HTTP/2 cannot carry, so 400 it
 * is. Header names in HTTP/2 are lowercase; so are the ones written here.
 */
import type { Extension, PerMessageDeflateOffer, PerMessageDeflateParams } from './extensions.js';
import {
  handshakeFailed,
  type HandshakeFailure,
  type HandshakeResult,
  type HttpHeader,
} from './handshake-failure.js';
import { WEBSOCKET_VERSION } from './handshake-keys.js';
import {
  checkAgreement,
  clientOffers,
  negotiate,
  readOffers,
  type ClientHandshake,
  type NegotiationOptions,
  type Offers,
} from './handshake-negotiate.js';
import { checkVersion } from './handshake-server.js';
import { headerValues } from './http-head.js';

/** The `:protocol` of a WebSocket extended CONNECT (RFC 8441 §4, the upgrade token). */
export const WEBSOCKET_CONNECT_PROTOCOL = 'websocket';

/** The request pseudo-headers RFC 9113 §8.3.1 and RFC 8441 §4 define. */
const REQUEST_PSEUDO_HEADERS: ReadonlySet<string> = new Set([
  ':method',
  ':scheme',
  ':authority',
  ':path',
  ':protocol',
]);

/** Fields HTTP/2 forbids (RFC 9113 §8.2.2): their presence makes a request malformed. */
const CONNECTION_SPECIFIC: ReadonlySet<string> = new Set([
  'connection',
  'upgrade',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
]);

export interface ExtendedConnectRequest extends Offers {
  /** `:path`: the request target (path and query). */
  readonly target: string;
  /** `:authority`. */
  readonly authority: string;
  /** `:scheme`, `http` or `https`. */
  readonly scheme: string;
  readonly origin: string | undefined;
  /** Every field as received, pseudo-headers included. */
  readonly headers: readonly HttpHeader[];
}

function badPseudoHeader(message: string): ReturnType<typeof handshakeFailed> {
  return handshakeFailed('handshake-pseudo-header-invalid', message, 400);
}

/** The one value of pseudo-header `name` (undefined if absent; repeats were refused before). */
function pseudo(headers: readonly HttpHeader[], name: string): string | undefined {
  for (const [field, value] of headers) if (field === name) return value;
  return undefined;
}

/**
 * Checks an HTTP/2 request is a WebSocket extended CONNECT (RFC 8441 §4-5).
 * On failure, `status` and `headers` say what to answer (see the essay).
 * Never throws, whatever the fields.
 */
export function validateExtendedConnect(
  headers: readonly HttpHeader[],
): HandshakeResult<ExtendedConnectRequest> {
  const seen = new Set<string>();
  for (const [name] of headers) {
    if (!name.startsWith(':')) continue;
    if (!REQUEST_PSEUDO_HEADERS.has(name)) {
      return badPseudoHeader(`Unknown request pseudo-header ${JSON.stringify(name)}`);
    }
    if (seen.has(name)) return badPseudoHeader(`Pseudo-header ${name} appears more than once`);
    seen.add(name);
  }
  const method = pseudo(headers, ':method');
  if (method === undefined) return badPseudoHeader('The request lacks :method');
  if (method !== 'CONNECT') {
    return handshakeFailed(
      'handshake-method-invalid',
      `A WebSocket over HTTP/2 must use CONNECT: got ${method}`,
      405,
      [['allow', 'CONNECT']],
    );
  }
  const protocol = pseudo(headers, ':protocol');
  if (protocol === undefined) {
    return badPseudoHeader('The CONNECT lacks :protocol (a plain CONNECT is not a WebSocket)');
  }
  // An upgrade token, compared as HTTP/1.1's Upgrade tokens are: case-insensitively.
  if (protocol.toLowerCase() !== WEBSOCKET_CONNECT_PROTOCOL) {
    return handshakeFailed(
      'handshake-connect-protocol-unsupported',
      `:protocol ${JSON.stringify(protocol)} is not supported; only websocket is`,
      501,
    );
  }
  const scheme = pseudo(headers, ':scheme');
  if (scheme !== 'http' && scheme !== 'https') {
    return badPseudoHeader(
      scheme === undefined
        ? 'The request lacks :scheme'
        : `:scheme must be http or https: got ${JSON.stringify(scheme)}`,
    );
  }
  const target = pseudo(headers, ':path');
  if (target === undefined || !/^\/[\x21-\x7e]*$/.test(target)) {
    return badPseudoHeader(
      target === undefined
        ? 'The request lacks :path'
        : `:path must be an absolute path of visible ASCII: got ${JSON.stringify(target)}`,
    );
  }
  const authority = pseudo(headers, ':authority');
  if (authority === undefined || authority === '') {
    return badPseudoHeader('The request lacks :authority');
  }
  for (const [name] of headers) {
    if (CONNECTION_SPECIFIC.has(name.toLowerCase())) {
      return handshakeFailed(
        'handshake-connection-header-invalid',
        `HTTP/2 forbids the connection-specific field ${name}`,
        400,
      );
    }
  }
  const version = checkVersion(headers, 400);
  if (version !== undefined) return lowercased(version.failure);
  const offers = readOffers(headers);
  if (!offers.ok) return offers;
  const origins = headerValues(headers, 'origin');
  return {
    ok: true,
    value: {
      target,
      authority,
      scheme,
      origin: origins.length === 0 ? undefined : origins.join(', '),
      protocols: offers.value.protocols,
      extensions: offers.value.extensions,
      headers,
    },
  };
}

/** A failure whose answer headers are written lowercase, as HTTP/2 needs. */
function lowercased(failure: HandshakeFailure): ReturnType<typeof handshakeFailed> {
  return handshakeFailed(
    failure.code,
    failure.message,
    failure.status,
    failure.headers?.map(([name, value]) => [name.toLowerCase(), value] as const),
  );
}

export interface ExtendedConnectResponse {
  readonly protocol: string | undefined;
  readonly extensions: readonly Extension[];
  readonly perMessageDeflate: PerMessageDeflateParams | undefined;
  /** `:status 200` and the negotiation fields, lowercase, ready for `stream.respond`. */
  readonly headers: readonly HttpHeader[];
}

/**
 * The server's 200 for a validated extended CONNECT: chooses the
 * subprotocol and permessage-deflate as over HTTP/1.1. Throws `TypeError` if
 * a protocol function picks one the client did not offer.
 */
export function acceptExtendedConnect(
  request: ExtendedConnectRequest,
  options: NegotiationOptions = {},
): ExtendedConnectResponse {
  const agreed = negotiate(request, options);
  const headers: HttpHeader[] = [[':status', '200']];
  for (const [name, value] of [...agreed.headers, ...(options.headers ?? [])]) {
    headers.push([name.toLowerCase(), value]);
  }
  return {
    protocol: agreed.protocol,
    extensions: agreed.extensions,
    perMessageDeflate: agreed.perMessageDeflate,
    headers,
  };
}

/** The answer to a refused extended CONNECT: `:status` and the failure's fields. */
export function extendedConnectRejection(
  failure: Pick<HandshakeFailure, 'status' | 'headers'>,
): HttpHeader[] {
  const status = failure.status ?? 400;
  if (!Number.isInteger(status) || status < 400 || status > 599) {
    throw new RangeError(`A rejection needs a 4xx or 5xx status: got ${status}`);
  }
  return [
    [':status', String(status)],
    ...(failure.headers ?? []).map(([name, value]) => [name.toLowerCase(), value] as const),
  ];
}

export interface ExtendedConnectOptions {
  /** `:authority`: host, and port if not the default. */
  readonly authority: string;
  /** `:scheme`: `https` for wss:, `http` for ws: (default `https`). */
  readonly scheme?: 'http' | 'https';
  /** `:path`. Default `/`. */
  readonly path?: string;
  readonly protocols?: readonly string[];
  readonly perMessageDeflate?: boolean | PerMessageDeflateOffer;
  readonly extensions?: readonly Extension[];
  readonly origin?: string;
  /** Extra fields (names are lowercased). */
  readonly headers?: readonly HttpHeader[];
}

export interface ExtendedConnectClientRequest extends Offers {
  readonly path: string;
  readonly perMessageDeflate: PerMessageDeflateOffer | undefined;
  /** Pseudo-headers first, then the fields, lowercase, ready for `session.request`. */
  readonly headers: readonly HttpHeader[];
}

/**
 * The client's extended CONNECT. Throws `SyntaxError` on a bad or repeated
 * protocol name (as over HTTP/1.1) and `TypeError` on a bad path or
 * authority.
 */
export function buildExtendedConnect(
  options: ExtendedConnectOptions,
): ExtendedConnectClientRequest {
  const path = options.path ?? '/';
  if (!/^\/[\x21-\x7e]*$/.test(path)) {
    throw new TypeError(
      `:path must be an absolute path of visible ASCII: got ${JSON.stringify(path)}`,
    );
  }
  if (!/^[\x21-\x7e]+$/.test(options.authority)) {
    throw new TypeError(
      `:authority must be visible ASCII: got ${JSON.stringify(options.authority)}`,
    );
  }
  const offers = clientOffers(options);
  const headers: HttpHeader[] = [
    [':method', 'CONNECT'],
    [':protocol', WEBSOCKET_CONNECT_PROTOCOL],
    [':scheme', options.scheme ?? 'https'],
    [':authority', options.authority],
    [':path', path],
    ['sec-websocket-version', WEBSOCKET_VERSION],
  ];
  if (options.origin !== undefined) headers.push(['origin', options.origin]);
  for (const [name, value] of [...offers.headers, ...(options.headers ?? [])]) {
    headers.push([name.toLowerCase(), value]);
  }
  return {
    path,
    protocols: offers.protocols,
    extensions: offers.extensions,
    perMessageDeflate: offers.perMessageDeflate,
    headers,
  };
}

/**
 * Checks the server's answer to an extended CONNECT: a 2xx (CONNECT's
 * success, RFC 9110 §9.3.6) and a subprotocol and extensions that answer
 * the offers. On failure the client resets the stream.
 */
export function checkExtendedConnectResponse(
  request: Offers,
  status: number,
  headers: readonly HttpHeader[],
): HandshakeResult<ClientHandshake> {
  if (!Number.isInteger(status) || status < 200 || status > 299) {
    return handshakeFailed(
      'handshake-unexpected-status',
      `The server answered the extended CONNECT with ${status}, not 2xx`,
    );
  }
  return checkAgreement(request, headers);
}
