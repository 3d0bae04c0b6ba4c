/**
 * netrx/radius: RADIUS server and client cores carrying EAP (RFC 2865,
 * 2866, 3579, 2548, 5080, 5997), sans-I/O like every core: datagrams in
 * through `receive(bytes, from)`, out through the `send` callback, time from
 * the injected `Clock`, digests and randomness from the injected `Crypto`.
 * `netrx/node` binds them to UDP sockets (`startRadiusServer`,
 * `runRadiusEapTest`), and the `netrx radius serve|test` commands use those.
 *
 * `RadiusServer` answers the clients it is told about (per address or
 * prefix, each with its own secret) and drops everything else, counted by
 * reason in `stats().dropped` and traced on `netrx-radius`: unknown
 * clients, malformed packets, a missing or bad Message-Authenticator
 * (required on every Access-Request by default, BlastRADIUS-safe; strict
 * mode also wants it first), too many Proxy-States, bad accounting
 * authenticators. It runs one `EapAuthenticator` (netrx/eap) per
 * conversation keyed by State, answers retransmissions from its duplicate
 * cache, ends idle conversations, answers Status-Server, checks PAP through
 * the same provider, and hands Accounting-Requests to a sink. Every response
 * has Message-Authenticator first and its Response Authenticator computed
 * last; MS-MPPE keys are salted (RFC 2548 §2.4.2).
 *
 * `RadiusEapClient` is the NAS side: it drives an `EapPeer` through
 * Access-Requests, retransmits unchanged, fails over between servers,
 * verifies every response and compares the Accept's MPPE keys with the
 * peer's. `RadiusEapolBackend` is netrx/eapol's `AuthenticatorBackend` as a
 * RADIUS pass-through: each supplicant's conversation relayed in verified
 * Access-Requests, with retransmission and failover.
 * The codec (`parseRadius`, `emitRadius`, EAP-Message fragmentation,
 * the signing functions) and the dictionary (standard attributes plus
 * Microsoft's vendor 311) are exported for tests and tools. Decoders never
 * throw.
 */
export {
  RADIUS_HEADER_LENGTH,
  RADIUS_MAX_LENGTH,
  RADIUS_MAX_VALUE,
  RadiusCode,
  attributeValue,
  attributeValues,
  emitRadius,
  integerBytes,
  integerValue,
  parseRadius,
  parseVendorSpecific,
  radiusLength,
  type RadiusAttribute,
  type RadiusPacket,
} from './packet.js';
export {
  AcctStatusType,
  MICROSOFT_ATTRIBUTES,
  RadiusAttributeType,
  STANDARD_ATTRIBUTES,
  VENDOR_ATTRIBUTES,
  attributeByName,
  attributeName,
  formatValue,
  type AttributeDataType,
  type AttributeDefinition,
} from './dictionary.js';
export {
  checkAccountingRequest,
  checkRequestMessageAuthenticator,
  checkResponse,
  decryptMppeKey,
  encryptMppeKey,
  hideUserPassword,
  revealUserPassword,
  signAccessRequest,
  signAccountingRequest,
  signResponse,
  type MessageAuthenticatorCheck,
} from './signing.js';
export { carriedEap, eapMessageAttributes, type EapCarried } from './eap-message.js';
export {
  RadiusClientTable,
  addressBytes,
  radiusClientEntry,
  type RadiusClientEntry,
  type RadiusClientOptions,
} from './clients.js';
export { RadiusServer } from './server.js';
export {
  CLUSTER_STATE_MARKER,
  MAX_FORWARDED_DATAGRAM,
  MAX_SERVER_ID_LENGTH,
  checkClusterToken,
  clusterOwner,
  clusterRound,
  clusterStatePrefix,
  decodeForwardedRequest,
  type ClusterRound,
  encodeForwardedRequest,
  type ForwardedRequest,
} from './cluster-route.js';
export {
  RADIUS_CLUSTER_DEFAULTS,
  RadiusCluster,
  type ClusterRequestOutcome,
  type ForwardedRequestHandler,
  type RadiusClusterLink,
  type RadiusClusterOptions,
  type RadiusClusterStats,
} from './cluster.js';
export {
  DEFAULT_FINISHED_TTL_MS,
  DEFAULT_MAX_ROUNDS_REMEMBERED,
  SharedConversations,
  conversationKey,
  type ConversationKv,
  type KvLineage,
  type KvRead,
  type KvWrite,
  type LoadOutcome,
  type SharedConversationStats,
} from './conversation-kv.js';
export {
  decodeRecord,
  encodeRecord,
  paddedRecordLength,
  type AnsweredRound,
  type ConversationRecord,
  type FinishedAnswer,
} from './conversation-record.js';
export {
  SEALED_FORMAT,
  STATE_KEY_OCTETS,
  openConversation,
  sealConversation,
  type ConversationAead,
  type OpenedConversation,
  type OpenRefusal,
  type SealedVersion,
} from './conversation-seal.js';
export {
  MAX_WORKERS,
  WORKER_STATE_MARKER,
  duplicateKeyWorker,
  routeRequest,
  stateWorker,
  workerStatePrefix,
  type WorkerRoute,
} from './worker-route.js';
export {
  RADIUS_SERVER_DEFAULTS,
  type AccountingRecord,
  type AccountingSession,
  type RadiusEndpoint,
  type RadiusServerOptions,
  type RadiusServerStats,
  type RadiusService,
} from './server-options.js';
export {
  RadiusEapClient,
  type AcceptedKeys,
  type RadiusEapClientOptions,
  type RadiusEapResult,
  type RadiusServerAddress,
} from './client.js';
export { RADIUS_PROVIDER, RadiusEventDescriptor, RadiusKeyword } from './events.js';
export {
  RadiusEapolBackend,
  type RadiusEapolBackendOptions,
  type RadiusEapolBackendStats,
} from './eapol-backend.js';
export {
  DICTIONARY_TYPES,
  DictionaryFileError,
  loadDictionary,
  type DictionaryAttribute,
  type DictionaryLoadOptions,
  type LoadedDictionary,
} from './dictionary-file.js';
export {
  TunnelMediumType,
  TunnelType,
  decryptTunnelPassword,
  encryptTunnelPassword,
  readTaggedInteger,
  taggedInteger,
  taggedString,
  vlanAttributes,
} from './tunnel.js';
export {
  RADIUS_STREAM_DEFAULTS,
  RadiusStreamFramer,
  type RadiusStreamFailure,
  type RadiusStreamFramerOptions,
} from './stream-framer.js';
export {
  RADSEC_SECRET,
  RadSecClientTable,
  type RadSecClientMatch,
  type RadSecClientOptions,
  type RadSecPeer,
} from './radsec-clients.js';
