/**
 * The checks and calls behind the handle's handshake wrappers
 * (websocket.dll's Begin/End Client/Server Handshake): which handle may
 * begin which handshake, what it needs (a crypto, a deflate codec), and the
 * handshake.ts call that builds or checks the HTTP part. The handle opens
 * itself with what these return.
 */
import type { Crypto } from '../runtime/index.js';
import type { DeflateCodec } from './deflate-codec.js';
import type { HandleRole, HandleState } from './handle-types.js';
import {
  acceptUpgrade,
  buildClientRequest,
  checkServerResponse,
  type AcceptOptions,
  type ClientHandshake,
  type ClientRequest,
  type ClientRequestOptions,
  type ServerHandshake,
  type UpgradeRequest,
} from './handshake.js';
import type { HandshakeResult } from './handshake-failure.js';
import type { HttpResponseHead } from './http-head.js';
import { invalidOperation } from './send-path.js';

/** What the handshake wrappers look at on the handle. */
export interface HandshakeSide {
  readonly role: HandleRole;
  readonly state: HandleState;
  readonly crypto: Crypto | undefined;
  readonly deflateCodec: DeflateCodec | undefined;
}

/** The client's upgrade request (`begun`: one was already made). */
export function clientRequestFor(
  side: HandshakeSide,
  begun: boolean,
  options: Omit<ClientRequestOptions, 'crypto'>,
): ClientRequest {
  if (side.role !== 'client')
    throw invalidOperation('Only a client handle begins a client handshake');
  if (side.state !== 'connecting' || begun) {
    throw invalidOperation('The client handshake has already begun');
  }
  if (options.perMessageDeflate !== undefined && options.perMessageDeflate !== false) {
    if (side.deflateCodec === undefined) {
      throw new TypeError('Cannot offer permessage-deflate without a deflateCodec');
    }
  }
  const crypto = side.crypto;
  if (crypto === undefined && options.key === undefined) {
    throw new TypeError('A client handshake needs a crypto (or a key)');
  }
  return buildClientRequest({ ...options, crypto });
}

/** Checks the server's response to `request` (undefined: none was begun). */
export function checkClientResponse(
  side: HandshakeSide,
  request: ClientRequest | undefined,
  response: HttpResponseHead,
): HandshakeResult<ClientHandshake> {
  if (request === undefined || side.state !== 'connecting') {
    throw invalidOperation('endClientHandshake needs a begun client handshake');
  }
  const crypto = side.crypto;
  if (crypto === undefined) throw new TypeError('A client handshake needs a crypto');
  return checkServerResponse(request, response, crypto);
}

/** The server's 101 for `request`; permessage-deflate only with a codec. */
export function serverResponseFor(
  side: HandshakeSide,
  request: UpgradeRequest,
  options: Omit<AcceptOptions, 'crypto'>,
): ServerHandshake {
  if (side.role !== 'server')
    throw invalidOperation('Only a server handle begins a server handshake');
  if (side.state !== 'connecting') throw invalidOperation('The handle is already open');
  const crypto = side.crypto;
  if (crypto === undefined) throw new TypeError('A server handshake needs a crypto');
  const deflate = side.deflateCodec === undefined ? undefined : options.perMessageDeflate;
  return acceptUpgrade(request, { ...options, perMessageDeflate: deflate, crypto });
}
