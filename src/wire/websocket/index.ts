/**
 * netrx/wire/websocket: the RFC 6455 codec the WebSocket engine stands on.
 *
 * Everything here is sans-I/O and allocation-shy. `FrameDecoder` takes the
 * byte stream in whatever chunks the transport produced and returns header
 * and payload events, payloads as unmasked views into those chunks; header
 * emit and `encodeFrame` build frames. `maskInPlace`/`maskInto` XOR a word at
 * a time and carry the mask phase across chunks. `Utf8Validator` checks text
 * incrementally and fails at the first bad byte, whatever the fragmentation.
 * `parseClosePayload`/`emitClosePayload` read and write close bodies.
 *
 * Peer violations are never thrown: they come back as a `WebSocketFailure`
 * with a stable `code` and the `closeCode` to fail the connection with
 * (1002, 1007 or 1009). Misuse of the API throws `TypeError`, `RangeError`
 * or a coded `NetrxError`.
 */
export type { WebSocketFailure, WebSocketResult } from './failure.js';
export {
  Opcode,
  ReservedBit,
  isControlOpcode,
  isKnownOpcode,
  type KnownOpcode,
  type OpcodeName,
} from './opcode.js';
export {
  DEFAULT_MAX_FRAME_PAYLOAD,
  MAX_CONTROL_PAYLOAD,
  MAX_FRAME_PAYLOAD,
  type FrameLimits,
} from './frame-limits.js';
export { parseFrameHeader, type FrameHeader, type ParsedFrameHeader } from './frame-header.js';
export {
  emitFrameHeader,
  encodeFrame,
  frameHeaderLength,
  maskKeyFromBytes,
  type FrameHeaderInit,
  type FrameInit,
} from './frame-emit.js';
export { FrameDecoder, type FrameEvent } from './frame-decoder.js';
export { maskInPlace, maskInto, type MaskFunction, type MaskIntoFunction } from './mask.js';
export {
  CloseCode,
  MAX_CLOSE_REASON_BYTES,
  emitClosePayload,
  isValidWireCloseCode,
  parseClosePayload,
  type CloseCodeName,
  type ClosePayload,
} from './close.js';
export { Utf8Validator, isValidUtf8 } from './utf8.js';
