/**
 * The client's HTTP/1.1 opening handshake (RFC 6455 §4.1): the upgrade
 * request and the check of the server's 101. The negotiation half is
 * shared with HTTP/2 (handshake-negotiate.ts).
 */
import type { Crypto } from '../runtime/index.js';
import type { Extension, PerMessageDeflateOffer } from './extensions.js';
import { handshakeFailed, type HandshakeResult, type HttpHeader } from './handshake-failure.js';
import { WEBSOCKET_VERSION, computeAccept, generateKey, isValidKey } from './handshake-keys.js';
import {
  checkAgreement,
  clientOffers,
  hasToken,
  type ClientHandshake,
} from './handshake-negotiate.js';
import { encodeHead, headerValues, type HttpResponseHead } from './http-head.js';

export type { ClientHandshake } from './handshake-negotiate.js';

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

/** Throws `TypeError` unless `path` is visible ASCII without spaces. */
export function checkRequestPath(path: string): void {
  if (!/^[\x21-\x7e]+$/.test(path)) {
    throw new TypeError(
      `Request path must be visible ASCII without spaces: got ${JSON.stringify(path)}`,
    );
  }
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
  checkRequestPath(path);
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
  const offers = clientOffers(options);
  const headers: HttpHeader[] = [
    ['Host', options.host],
    ['Upgrade', 'websocket'],
    ['Connection', 'Upgrade'],
    ['Sec-WebSocket-Key', key],
    ['Sec-WebSocket-Version', WEBSOCKET_VERSION],
  ];
  if (options.origin !== undefined) headers.push(['Origin', options.origin]);
  headers.push(...offers.headers, ...(options.headers ?? []));
  return {
    key,
    path,
    protocols: offers.protocols,
    extensions: offers.extensions,
    perMessageDeflate: offers.perMessageDeflate,
    headers,
    bytes: encodeHead(`GET ${path} HTTP/1.1`, headers),
  };
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
  return checkAgreement(request, headers);
}
