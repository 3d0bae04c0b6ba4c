/**
 * netrx/eap: EAP methods as state machines (seed 001, `RasEapMakeMessage`).
 *
 * A method (`EapMethod`) is RAS's EAP DLL as TypeScript: `info` is
 * `PPP_EAP_INFO` (type, name, flags), `begin(input)` makes the per-session
 * work state, `end(workState)` is always called once afterwards, and
 * `makeMessage(workState, received | null, sendCapacity, input?)` is called
 * for every received packet, every timeout and every completion. It answers
 * with an `EapOutput` (an action from the full `PPP_EAP_ACTION` set, the
 * packet for the send actions, the result code, user attributes such as the
 * MS-MPPE keys as vendor-311 attributes, an interactive-UI request) or with an
 * error: `ERROR_PPP_INVALID_PACKET` (722) discards the received packet and
 * the session goes on; any other number ends the session with it.
 *
 * A null `received` means the dialogue starts or a retransmission timer
 * expired and the last packet must be sent again; the method tells which from
 * its own state (and a completion from `input`). The method owns the
 * Identifiers. The framework owns the rest: the send buffer (a method returns
 * a packet value, which the framework checks against `sendCapacity` and
 * encodes into its own buffer), the timers and retry counts, the provider
 * call behind `authenticate` (`AuthenticationProvider`), and the UI round-trip
 * (`InteractiveUi`).
 *
 * The framework is RFC 4137's: `EapPeer` answers Identity and Notification,
 * Naks a method it lacks (Expanded Nak for an expanded Request), answers a
 * duplicate Request from its cached Response and never retransmits;
 * `EapAuthenticator` (standalone) asks for the identity, proposes methods in
 * policy order and follows Naks, retransmits its outstanding Request with the
 * same Identifier on the injected clock (3 s doubling to 20 s, 5 retries by
 * default) and discards Responses with another Identifier. Both take bytes in
 * (`receive`) and give bytes out (`send`), never throw on bad bytes (dropped,
 * counted in `stats().dropped`, traced), and write every state transition and
 * method result to the `netrx-eap` trace provider. `createMd5Method` is
 * EAP-MD5 and `createMschapV2Method` EAP-MSCHAPv2 (type 26, with MS-MPPE
 * keys) built on the contract; `StaticUserStore`, a users file
 * (`parseUsersFile`, FreeRADIUS's `Cleartext-Password`/`NT-Password` check
 * items) and `LocalAuthenticationProvider` check their answers. `createEapPair` in
 * netrx/testing joins a peer and an authenticator in memory. `md4`,
 * `ntPasswordHash`, `desEncryptBlock` and `expandDesKey` are pure-TS MD4 and
 * single DES (Node 20's OpenSSL refuses both); `generateNtResponse`,
 * `generateAuthenticatorResponse` and `mschapV2Msk` are RFC 2759/3079 over
 * the NT hash, which EAP-MSCHAPv2 and the provider use.
 * `createTlsMethod` is EAP-TLS (TLS 1.2 and 1.3) on an injected `TlsEngine`
 * (netrx/node's `createNodeTlsEngineFactory`), with the framing, bounded
 * reassembly and key derivation the TLS-based methods share; it uses the
 * netrx addition `EapOutput.pendingWork` for the engine's asynchronous answers.
 */
export {
  EapAction,
  EapActionNumber,
  EapMethodFlag,
  RasEapFlag,
  SENDING_ACTIONS,
  invalidPacket,
  isMethodError,
  methodMatches,
  methodSupports,
  type EapInput,
  type EapMakeMessageResult,
  type EapMethod,
  type EapMethodError,
  type EapMethodInfo,
  type EapOutput,
  type InteractiveUiRequest,
  type PendingWork,
} from './contract.js';
export { EapResultCode, type EapResultCodeName } from './result-codes.js';
export {
  AuthAttributeType,
  MICROSOFT_VENDOR_ID,
  MicrosoftAttributeType,
  encodeVendorSpecific,
  findAttribute,
  isVendorAttribute,
  mppeKeyAttributes,
  mppeKeyPlaintext,
  userNameAttribute,
  type AuthAttribute,
  type StandardAuthAttribute,
  type VendorAuthAttribute,
} from './attributes.js';
export {
  type AuthenticationProvider,
  type AuthenticationRequest,
  type AuthenticationResult,
  type InteractiveUi,
  type InteractiveUiResult,
} from './method-runner.js';
export { DEFAULT_SEND_CAPACITY, type EapOutcome, type EapSessionResult } from './session.js';
export { EapPeer, type EapPeerOptions, type EapPeerState, type EapPeerStats } from './peer.js';
export { EapAuthenticator } from './authenticator.js';
export {
  DEFAULT_MAX_ROUNDS,
  DEFAULT_RETRANSMIT,
  type EapAuthenticatorOptions,
  type EapAuthenticatorState,
  type EapAuthenticatorStats,
  type RetransmitOptions,
} from './authenticator-options.js';
export { EAP_PROVIDER, EapEventDescriptor, EapKeyword } from './events.js';
export {
  StaticUserStore,
  type StaticUser,
  type UserCredentials,
  type UserStore,
} from './user-store.js';
export {
  LocalAuthenticationProvider,
  constantTimeEqual,
  constantTimePasswordEqual,
  type LocalProviderOptions,
} from './local-provider.js';
export {
  MD5_CHALLENGE_LENGTH,
  createMd5Method,
  md5ChallengeResponse,
  parseMd5TypeData,
  type Md5MethodOptions,
} from './methods/md5.js';
export {
  createMschapV2Method,
  mschapUserName,
  type MschapV2MethodOptions,
} from './methods/mschapv2.js';
export {
  MSCHAPV2_CHALLENGE_LENGTH,
  MSCHAPV2_RESPONSE_LENGTH,
  MschapV2OpCode,
  formatFailureMessage,
  parseFailureMessage,
  parseSuccessMessage,
  type MschapV2Failure,
} from './methods/mschapv2-format.js';
export { UsersFileError, parseUsersFile, usersFileStore } from './users-file.js';
export {
  challengeHash,
  challengeResponse,
  desEncryptBlock,
  expandDesKey,
  generateAuthenticatorResponse,
  generateNtResponse,
  md4,
  mppeAsymmetricStartKey,
  mppeMasterKey,
  mschapV2Msk,
  ntPasswordHash,
} from './crypto/index.js';
export * from './tls/index.js';
export { createTlsMethod, type TlsMethodState } from './methods/tls.js';
export { EAP_KEY_NAME_ATTRIBUTE, type TlsMethodOptions } from './methods/tls-common.js';
export { createPeapMethod, peapProfile, type PeapMethodOptions } from './methods/peap.js';
export {
  PeapResultStatus,
  PeapTlvType,
  decodePeapInner,
  encodePeapInner,
  parseResultTlv,
  resultTlvPacket,
  type PeapInnerResult,
  type PeapResultTlv,
} from './methods/peap-format.js';
export { createTlsBasedMethod } from './methods/tls.js';
export type {
  TlsMethodProfile,
  TunnelAuthenticator,
  TunnelPeer,
  TunnelStep,
} from './methods/tls-common.js';
export {
  TTLS_KEY_LABEL,
  createTtlsMethod,
  ttlsProfile,
  type TtlsMethodOptions,
} from './methods/ttls.js';
export {
  MAX_TTLS_AVPS,
  TtlsAvpCode,
  TtlsAvpFlag,
  encodeTtlsAvp,
  encodeTtlsAvps,
  parseTtlsAvps,
  type TtlsAvp,
  type TtlsAvpsResult,
} from './methods/ttls-avp.js';
