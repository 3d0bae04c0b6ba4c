/**
 * Connection-oriented DCE/RPC (C706 chapter 12, MS-RPCE 2.2.2) as
 * ncacn_ip_tcp carries it: sans-I/O codecs for bind, bind_ack, bind_nak,
 * alter_context(_resp), request, response and fault, a bounded stream framer
 * and a bounded stub reassembler. Decoders never throw (`Decoded` results,
 * codes in docs/errors.md); encoders fragment at a given size, copying the
 * stub once into one buffer of back-to-back fragments. Only little-endian
 * ASCII data representation is decoded (`unsupported-drep` otherwise). NDR
 * marshalling of a particular interface's stubs belongs to its server.
 */
export {
  AUTH_TRAILER_LENGTH,
  BTFN_UUID_PREFIX,
  BindNakReason,
  BindTimeFeature,
  COMMON_HEADER_LENGTH,
  ContextResult,
  DREP_LITTLE_ENDIAN,
  FAULT_LENGTH,
  FaultStatus,
  MAX_FRAGMENT_LENGTH,
  MIN_FRAGMENT_LENGTH,
  NDR20_SYNTAX,
  NDR64_SYNTAX,
  PacketType,
  PfcFlag,
  ProviderReason,
  REQUEST_HEADER_LENGTH,
  RESPONSE_HEADER_LENGTH,
  RPC_MINOR_VERSION,
  RPC_VERSION,
  type FaultStatusName,
  type PacketTypeName,
} from './constants.js';
export {
  parsePdu,
  parsePduHeader,
  peekFragLength,
  peekCall,
  isBigEndianDrep,
  type AuthTrailer,
  type ContextResultEntry,
  type Pdu,
  type PduHeader,
  type PresentationContext,
  type SyntaxId,
} from './parse.js';
export {
  encodeBind,
  encodeBindAck,
  encodeBindNak,
  encodeFault,
  encodeRequest,
  encodeResponse,
  type BindAckInit,
  type BindInit,
  type FaultInit,
  type RequestInit,
  type ResponseInit,
} from './emit.js';
export { PduFramer, StubAssembler, type AssembleResult, type FramerOutput } from './framer.js';
export { btfnFeatures, btfnSyntax, isNdr20, isNdr64 } from './syntax.js';
