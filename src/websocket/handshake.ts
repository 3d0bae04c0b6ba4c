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
 *
 * This file is the handshake's whole surface; the parts live beside it:
 * keys (handshake-keys.ts), the negotiation both HTTP versions share
 * (handshake-negotiate.ts), each side over HTTP/1.1 (handshake-client.ts,
 * handshake-server.ts), RFC 8441 extended CONNECT over HTTP/2
 * (handshake-h2.ts) and refusals (http-status.ts).
 */
export {
  WEBSOCKET_GUID,
  WEBSOCKET_VERSION,
  computeAccept,
  generateKey,
  isValidKey,
} from './handshake-keys.js';
export {
  checkAgreement,
  clientOffers,
  negotiate,
  parseProtocolList,
  readOffers,
  type Agreement,
  type ClientHandshake,
  type ClientOffers,
  type NegotiationOptions,
  type Offers,
} from './handshake-negotiate.js';
export {
  buildClientRequest,
  checkServerResponse,
  type ClientRequest,
  type ClientRequestOptions,
} from './handshake-client.js';
export {
  acceptUpgrade,
  validateUpgradeRequest,
  type AcceptOptions,
  type ServerHandshake,
  type UpgradeRequest,
} from './handshake-server.js';
export { buildRejection, reasonPhrase } from './http-status.js';
export {
  WEBSOCKET_CONNECT_PROTOCOL,
  acceptExtendedConnect,
  buildExtendedConnect,
  checkExtendedConnectResponse,
  extendedConnectRejection,
  validateExtendedConnect,
  type ExtendedConnectClientRequest,
  type ExtendedConnectOptions,
  type ExtendedConnectRequest,
  type ExtendedConnectResponse,
} from './handshake-h2.js';
