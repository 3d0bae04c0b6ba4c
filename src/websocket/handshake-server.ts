/**
 * The server's HTTP/1.1 opening handshake (RFC 6455 §4.2): validating the
 * upgrade request and building the 101. The negotiation half is shared
 * with HTTP/2 (handshake-negotiate.ts); refusals are in http-status.ts.
 */
import type { Crypto } from '../runtime/index.js';
import type { Extension, PerMessageDeflateParams } from './extensions.js';
import { handshakeFailed, type HandshakeResult, type HttpHeader } from './handshake-failure.js';
import { WEBSOCKET_VERSION, computeAccept, isValidKey } from './handshake-keys.js';
import { hasToken, negotiate, readOffers, type NegotiationOptions } from './handshake-negotiate.js';
import { encodeHead, headerValues, type HttpRequestHead } from './http-head.js';

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

// Shared by every 426 answer (and HTTP/2's 400 for a version): frozen, the header pair too.
export const VERSION_HEADERS: readonly HttpHeader[] = Object.freeze([
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
  const version = checkVersion(headers, 426);
  if (version !== undefined) return version;
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
  const offers = readOffers(headers);
  if (!offers.ok) return offers;
  const origins = headerValues(headers, 'origin');
  return {
    ok: true,
    value: {
      target: head.target,
      host: hosts[0] as string,
      origin: origins.length === 0 ? undefined : origins.join(', '),
      key: keys[0] as string,
      protocols: offers.value.protocols,
      extensions: offers.value.extensions,
      headers,
    },
  };
}

/**
 * A failure unless the request carries exactly `Sec-WebSocket-Version: 13`.
 * The answer carries the version we speak (RFC 6455 §4.4); its status is
 * 426 over HTTP/1.1 and 400 over HTTP/2, where 426 cannot be used
 * (docs/websocket.md, "HTTP/2").
 */
export function checkVersion(
  headers: readonly HttpHeader[],
  status: number,
): ReturnType<typeof handshakeFailed> | undefined {
  const versions = headerValues(headers, 'sec-websocket-version');
  if (versions.length === 1 && versions[0] === WEBSOCKET_VERSION) return undefined;
  return handshakeFailed(
    'handshake-version-unsupported',
    versions.length === 0
      ? 'The request lacks Sec-WebSocket-Version'
      : `Sec-WebSocket-Version ${JSON.stringify(versions.join(', '))} is not supported; only 13 is`,
    status,
    VERSION_HEADERS,
  );
}

export interface AcceptOptions extends NegotiationOptions {
  readonly crypto: Crypto;
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
  const agreed = negotiate(request, options);
  const headers: HttpHeader[] = [
    ['Upgrade', 'websocket'],
    ['Connection', 'Upgrade'],
    ['Sec-WebSocket-Accept', computeAccept(request.key, options.crypto)],
    ...agreed.headers,
    ...(options.headers ?? []),
  ];
  return {
    protocol: agreed.protocol,
    extensions: agreed.extensions,
    perMessageDeflate: agreed.perMessageDeflate,
    headers,
    bytes: encodeHead('HTTP/1.1 101 Switching Protocols', headers),
  };
}
