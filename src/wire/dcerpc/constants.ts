/**
 * Numbers of connection-oriented DCE/RPC (C706 chapter 12, MS-RPCE 2.2.2)
 * as ncacn_ip_tcp carries them. Names follow the specifications.
 */

export const RPC_VERSION = 5;
/** Minor versions 0 and 1 both exist in the wild; netrx sends 0 and accepts both. */
export const RPC_MINOR_VERSION = 0;
export const COMMON_HEADER_LENGTH = 16;
/** Request: header + alloc_hint u32 + p_cont_id u16 + opnum u16. */
export const REQUEST_HEADER_LENGTH = 24;
/** Response: header + alloc_hint u32 + p_cont_id u16 + cancel_count u8 + reserved u8. */
export const RESPONSE_HEADER_LENGTH = 24;
/** Fault: the response fields, then status u32 and reserved u32. */
export const FAULT_LENGTH = 32;
/** A frag_length is a u16. */
export const MAX_FRAGMENT_LENGTH = 0xffff;
/** MS-RPCE 3.3.3.5.4: both sides MUST accept fragments of at least 1432 bytes. */
export const MIN_FRAGMENT_LENGTH = 1432;

export const PacketType = {
  request: 0,
  ping: 1,
  response: 2,
  fault: 3,
  working: 4,
  nocall: 5,
  reject: 6,
  ack: 7,
  cl_cancel: 8,
  fack: 9,
  cancel_ack: 10,
  bind: 11,
  bind_ack: 12,
  bind_nak: 13,
  alter_context: 14,
  alter_context_resp: 15,
  auth3: 16,
  shutdown: 17,
  co_cancel: 18,
  orphaned: 19,
} as const;
export type PacketTypeName = keyof typeof PacketType;

export const PfcFlag = {
  FIRST_FRAG: 0x01,
  LAST_FRAG: 0x02,
  /** PENDING_CANCEL in requests; SUPPORT_HEADER_SIGN in bind/alter_context (MS-RPCE). */
  PENDING_CANCEL: 0x04,
  SUPPORT_HEADER_SIGN: 0x04,
  CONC_MPX: 0x10,
  DID_NOT_EXECUTE: 0x20,
  MAYBE: 0x40,
  OBJECT_UUID: 0x80,
} as const;

/** The little-endian, ASCII, IEEE data representation (drep `10 00 00 00`). */
export const DREP_LITTLE_ENDIAN = 0x10;

/** p_cont_def_result_t (C706 12.6.3.1, MS-RPCE 2.2.2.4). */
export const ContextResult = {
  acceptance: 0,
  user_rejection: 1,
  provider_rejection: 2,
  /** MS-RPCE: the answer to a bind-time feature negotiation context. */
  negotiate_ack: 3,
} as const;

/** p_provider_reason_t. */
export const ProviderReason = {
  reason_not_specified: 0,
  abstract_syntax_not_supported: 1,
  proposed_transfer_syntaxes_not_supported: 2,
  local_limit_exceeded: 3,
} as const;

/** p_reject_reason_t, carried by bind_nak. */
export const BindNakReason = {
  reason_not_specified: 0,
  temporary_congestion: 1,
  local_limit_exceeded: 2,
  called_paddr_unknown: 3,
  protocol_version_not_supported: 4,
  default_context_not_supported: 5,
  user_data_not_readable: 6,
  no_psap_available: 7,
  authentication_type_not_recognized: 8,
  invalid_checksum: 9,
} as const;

/** Fault statuses netrx sends (C706 appendix E, MS-RPCE 2.2.2.12 / 3.1.1.5.5). */
export const FaultStatus = {
  nca_s_op_rng_error: 0x1c010002,
  nca_s_unk_if: 0x1c010003,
  nca_s_proto_error: 0x1c01000b,
  nca_s_context_mismatch: 0x1c00001a,
  /**
   * C706 appendix E. Not 0x1c010014: that is nca_s_server_too_busy (impacket
   * and Wine agree), which a client may retry instead of giving up.
   */
  nca_s_fault_remote_no_memory: 0x1c00001b,
  /** RPC_X_BAD_STUB_DATA (winerror 1783). */
  rpc_x_bad_stub_data: 0x6f7,
  /** ERROR_ACCESS_DENIED. */
  access_denied: 5,
} as const;
export type FaultStatusName = keyof typeof FaultStatus;

/** Transfer syntax identifiers, with their versions (major only; minor is 0). */
export const NDR20_SYNTAX = { uuid: '8a885d04-1ceb-11c9-9fe8-08002b104860', version: 2 } as const;
export const NDR64_SYNTAX = { uuid: '71710533-beba-4937-8319-b5dbef9ccc36', version: 1 } as const;
/**
 * Bind-time feature negotiation (MS-RPCE 3.3.1.5.3): a transfer syntax
 * `6cb71c2c-9812-4540-XXXX-000000000000` v1 whose bytes 8–9 carry the bitmask
 * the client offers.
 */
export const BTFN_UUID_PREFIX = '6cb71c2c-9812-4540-';
export const BindTimeFeature = {
  SECURITY_CONTEXT_MULTIPLEXING: 0x0001,
  KEEP_CONNECTION_ON_ORPHAN: 0x0002,
} as const;

/** Auth trailer (sec_trailer) length before the token. */
export const AUTH_TRAILER_LENGTH = 8;
