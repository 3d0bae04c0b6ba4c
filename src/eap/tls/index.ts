/**
 * The parts the TLS-based EAP methods share: the EAP-TLS framing (flags,
 * TLS Message Length, ACKs), bounded reassembly and fragmentation, the TLS
 * engine seam, and the RFC 5216/9190 key derivation.
 */
export {
  TLS_FRAMING_MAX_OVERHEAD,
  TLS_VERSION_MASK,
  TlsFlag,
  encodeTlsTypeData,
  isTlsAck,
  parseTlsTypeData,
  type TlsTypeData,
  type TlsTypeDataResult,
} from './framing.js';
export {
  DEFAULT_MAX_TLS_FRAGMENTS,
  DEFAULT_MAX_TLS_MESSAGE_LENGTH,
  TlsFragmenter,
  TlsReassembler,
  type TlsFragmenterOptions,
  type TlsReassemblerOptions,
  type TlsReassemblyResult,
} from './reassembly.js';
export type {
  TlsEngine,
  TlsEngineError,
  TlsEngineFactory,
  TlsEngineState,
  TlsPeerCertificate,
  TlsRole,
} from './engine.js';
export {
  EAP_TLS_12_LABEL,
  EAP_TLS_13_KEY_LABEL,
  EAP_TLS_13_METHOD_ID_LABEL,
  eapTlsKeys,
  helloRandom,
  type EapTlsKeys,
} from './keys.js';
