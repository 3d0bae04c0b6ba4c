import { CloseCode } from './close.js';
import { wsFailed, type WebSocketFailed, type WebSocketResult } from './failure.js';
import {
  MAX_CONTROL_PAYLOAD,
  resolveLimits,
  type FrameLimits,
  type ResolvedLimits,
} from './frame-limits.js';
import { isKnownOpcode } from './opcode.js';

/**
 * WebSocket frames (RFC 6455 §5.2):
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-------+-+-------------+-------------------------------+
 * |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
 * |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
 * |N|V|V|V|       |S|             |   (if payload len==126/127)   |
 * | |1|2|3|       |K|             |                               |
 * +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
 * |     Extended payload length continued, if payload len == 127  |
 * + - - - - - - - - - - - - - - - +-------------------------------+
 * |                               | Masking-key, if MASK set to 1 |
 * +-------------------------------+-------------------------------+
 * | Masking-key (continued)       |          Payload Data         |
 * +-------------------------------- - - - - - - - - - - - - - - - +
 * ```
 *
 * This file reads headers: the checks the first two bytes decide, the
 * length forms, the masking key, and the stateless `parseFrameHeader`. The
 * stream parser (`frame-decoder.ts`) calls the same checks as bytes arrive;
 * the send side is `frame-emit.ts`. Every violation is returned as data with
 * a stable code and the close code to send; nothing here throws on peer
 * bytes.
 */

export interface FrameHeader {
  readonly fin: boolean;
  readonly rsv1: boolean;
  readonly rsv2: boolean;
  readonly rsv3: boolean;
  /** 0-15; unknown values are preserved. */
  readonly opcode: number;
  readonly payloadLength: number;
  /**
   * The masking key as a 32-bit unsigned number, read big-endian (key bytes
   * `37 fa 21 3d` are `0x37fa213d`), or `undefined` for an unmasked frame.
   */
  readonly maskKey: number | undefined;
}

/**
 * Checks what the first two header bytes alone decide. `inMessage` is whether
 * a fragmented data message is open (`undefined`: not tracked).
 */
export function checkFirstTwo(
  b0: number,
  b1: number,
  limits: ResolvedLimits,
  inMessage: boolean | undefined,
  offset: number,
): WebSocketFailed | undefined {
  const opcode = b0 & 0x0f;
  const control = (opcode & 0x8) !== 0;
  if (!limits.allowUnknownOpcodes && !isKnownOpcode(opcode)) {
    return wsFailed('unknown-opcode', CloseCode.ProtocolError, `Unknown opcode ${opcode}`, offset);
  }
  const rsv = (b0 >>> 4) & 7;
  if (rsv !== 0) {
    const allowedHere = control || opcode === 0 ? 0 : limits.reservedBits;
    if ((rsv & ~allowedHere) !== 0) {
      return wsFailed(
        'reserved-bits',
        CloseCode.ProtocolError,
        `Reserved bits 0x${(rsv << 4).toString(16)} set on a frame with opcode ${opcode} without a negotiated extension allowing them there`,
        offset,
      );
    }
  }
  if (control) {
    if ((b0 & 0x80) === 0) {
      return wsFailed(
        'control-frame-fragmented',
        CloseCode.ProtocolError,
        `Control frame (opcode ${opcode}) without FIN`,
        offset,
      );
    }
    if ((b1 & 0x7f) > MAX_CONTROL_PAYLOAD) {
      return wsFailed(
        'control-frame-too-long',
        CloseCode.ProtocolError,
        `Control frame (opcode ${opcode}) with a payload over 125 bytes`,
        offset,
      );
    }
  } else if (inMessage !== undefined) {
    if (opcode === 0 && !inMessage) {
      return wsFailed(
        'unexpected-continuation',
        CloseCode.ProtocolError,
        'Continuation frame with no fragmented message in progress',
        offset,
      );
    }
    if (opcode !== 0 && inMessage) {
      return wsFailed(
        'expected-continuation',
        CloseCode.ProtocolError,
        `New data frame (opcode ${opcode}) while a fragmented message is in progress`,
        offset,
      );
    }
  }
  const masked = (b1 & 0x80) !== 0;
  if (limits.expectMasked !== undefined && masked !== limits.expectMasked) {
    return masked
      ? wsFailed('frame-masked', CloseCode.ProtocolError, 'Masked frame from a server', offset)
      : wsFailed(
          'frame-not-masked',
          CloseCode.ProtocolError,
          'Unmasked frame from a client',
          offset,
        );
  }
  return undefined;
}

/** Header length implied by the second header byte: 2, 4 or 10, plus 4 when masked. */
export function headerLengthFor(b1: number): number {
  const len7 = b1 & 0x7f;
  return (len7 < 126 ? 2 : len7 === 126 ? 4 : 10) + ((b1 & 0x80) !== 0 ? 4 : 0);
}

/**
 * Reads the payload length at `b[at..]` (header complete) and checks it.
 * Returns the length, or a failure.
 */
export function readLength(
  b: Uint8Array,
  at: number,
  limits: ResolvedLimits,
  offset: number,
): number | WebSocketFailed {
  const len7 = (b[at + 1] as number) & 0x7f;
  let length: number;
  if (len7 < 126) {
    length = len7;
  } else if (len7 === 126) {
    length = ((b[at + 2] as number) << 8) | (b[at + 3] as number);
  } else {
    const hi =
      (((b[at + 2] as number) << 24) |
        ((b[at + 3] as number) << 16) |
        ((b[at + 4] as number) << 8) |
        (b[at + 5] as number)) >>>
      0;
    const lo =
      (((b[at + 6] as number) << 24) |
        ((b[at + 7] as number) << 16) |
        ((b[at + 8] as number) << 8) |
        (b[at + 9] as number)) >>>
      0;
    if (hi >= 0x80000000) {
      return wsFailed(
        'frame-length-invalid',
        CloseCode.ProtocolError,
        'The 64-bit payload length has its most significant bit set',
        offset,
      );
    }
    if (hi > 0x1fffff) {
      return wsFailed(
        'frame-too-big',
        CloseCode.MessageTooBig,
        `Frame payload of 0x${hi.toString(16)}${lo.toString(16).padStart(8, '0')} bytes is over 2^53-1`,
        offset,
      );
    }
    length = hi * 0x100000000 + lo;
  }
  if (length > limits.maxPayloadLength) {
    return wsFailed(
      'frame-too-big',
      CloseCode.MessageTooBig,
      `Frame payload of ${length} bytes is over the limit of ${limits.maxPayloadLength}`,
      offset,
    );
  }
  return length;
}

/**
 * With the length field in but the mask key still to come, checks the
 * length already, so an oversized frame fails before its mask arrives.
 */
export function checkLengthEarly(
  b: Uint8Array,
  at: number,
  available: number,
  limits: ResolvedLimits,
  offset: number,
): WebSocketFailed | undefined {
  const len7 = (b[at + 1] as number) & 0x7f;
  const lengthEnd = len7 < 126 ? 2 : len7 === 126 ? 4 : 10;
  if (available < lengthEnd) return undefined;
  const length = readLength(b, at, limits, offset);
  return typeof length === 'number' ? undefined : length;
}

export function readMaskKey(b: Uint8Array, at: number): number {
  return (
    (((b[at] as number) << 24) |
      ((b[at + 1] as number) << 16) |
      ((b[at + 2] as number) << 8) |
      (b[at + 3] as number)) >>>
    0
  );
}

export function makeHeader(
  b0: number,
  b1: number,
  payloadLength: number,
  maskKey: number | undefined,
): FrameHeader {
  return {
    fin: (b0 & 0x80) !== 0,
    rsv1: (b0 & 0x40) !== 0,
    rsv2: (b0 & 0x20) !== 0,
    rsv3: (b0 & 0x10) !== 0,
    opcode: b0 & 0x0f,
    payloadLength,
    maskKey: (b1 & 0x80) !== 0 ? maskKey : undefined,
  };
}

export interface ParsedFrameHeader {
  readonly header: FrameHeader;
  /** Bytes the header took: 2 to 14. The payload starts there. */
  readonly headerLength: number;
}

/**
 * Parses one frame header at the start of `bytes`. Returns `undefined` when
 * `bytes` stops before the header ends (a failure the first two bytes already
 * show is reported even then), a failure for a header that breaks RFC 6455 or
 * `limits`, and otherwise the header and its length. Stateless, so it cannot
 * check continuation order; `FrameDecoder` does.
 */
export function parseFrameHeader(
  bytes: Uint8Array,
  limits: FrameLimits = {},
): WebSocketResult<ParsedFrameHeader> | undefined {
  if (bytes.length < 2) return undefined;
  const resolved = resolveLimits(limits);
  const b0 = bytes[0] as number;
  const b1 = bytes[1] as number;
  const bad = checkFirstTwo(b0, b1, resolved, undefined, 0);
  if (bad !== undefined) return bad;
  const headerLength = headerLengthFor(b1);
  if (bytes.length < headerLength) return undefined;
  const length = readLength(bytes, 0, resolved, 0);
  if (typeof length !== 'number') return length;
  const maskKey = (b1 & 0x80) !== 0 ? readMaskKey(bytes, headerLength - 4) : undefined;
  return { ok: true, value: { header: makeHeader(b0, b1, length, maskKey), headerLength } };
}
