import { MAX_CONTROL_PAYLOAD } from './frame-limits.js';
import { readMaskKey } from './frame-header.js';
import { assertMaskKey, maskInto } from './mask.js';
import { isControlOpcode } from './opcode.js';

/**
 * The send side of the codec: `emitFrameHeader` writes a header into a
 * caller's buffer (so a payload can go out beside it, unmoved) and
 * `encodeFrame` builds a whole frame. Misuse throws `RangeError`; nothing
 * here sees peer bytes.
 */

/** Fields of a header to emit; the omitted flags default to `fin: true`, RSV clear. */
export interface FrameHeaderInit {
  readonly fin?: boolean;
  readonly rsv1?: boolean;
  readonly rsv2?: boolean;
  readonly rsv3?: boolean;
  readonly opcode: number;
  readonly payloadLength: number;
  /** A 32-bit key (see `FrameHeader.maskKey`), or `undefined` for no mask. */
  readonly maskKey?: number | undefined;
}

/** The minimal header length for a payload of `payloadLength` bytes. */
export function frameHeaderLength(payloadLength: number, masked: boolean): number {
  return (payloadLength < 126 ? 2 : payloadLength < 0x10000 ? 4 : 10) + (masked ? 4 : 0);
}

function checkInit(init: FrameHeaderInit): void {
  const { opcode, payloadLength, maskKey } = init;
  if (!Number.isInteger(opcode) || opcode < 0 || opcode > 15) {
    throw new RangeError(`Opcode must be an integer from 0 to 15: got ${String(opcode)}`);
  }
  if (!Number.isSafeInteger(payloadLength) || payloadLength < 0) {
    throw new RangeError(
      `Payload length must be a non-negative safe integer: got ${String(payloadLength)}`,
    );
  }
  if (isControlOpcode(opcode)) {
    if (payloadLength > MAX_CONTROL_PAYLOAD) {
      throw new RangeError(
        `A control frame payload may hold at most 125 bytes: got ${payloadLength}`,
      );
    }
    if (init.fin === false) {
      throw new RangeError(`A control frame (opcode ${opcode}) cannot be fragmented`);
    }
  }
  if (
    maskKey !== undefined &&
    (!Number.isInteger(maskKey) || maskKey < 0 || maskKey > 0xffffffff)
  ) {
    throw new RangeError(`A masking key must be a 32-bit unsigned integer: got ${String(maskKey)}`);
  }
}

/**
 * Writes the header `init` describes into `into` at `offset`, with the
 * minimal length encoding. Returns the number of bytes written. Throws
 * `RangeError` on a header RFC 6455 forbids or when `into` is too small.
 */
export function emitFrameHeader(init: FrameHeaderInit, into: Uint8Array, offset = 0): number {
  checkInit(init);
  const { payloadLength, maskKey } = init;
  const length = frameHeaderLength(payloadLength, maskKey !== undefined);
  if (!Number.isInteger(offset) || offset < 0 || offset + length > into.length) {
    throw new RangeError(
      `Cannot write a ${length}-byte frame header at offset ${offset}: buffer has ${into.length} bytes`,
    );
  }
  into[offset] =
    (init.fin === false ? 0 : 0x80) |
    (init.rsv1 === true ? 0x40 : 0) |
    (init.rsv2 === true ? 0x20 : 0) |
    (init.rsv3 === true ? 0x10 : 0) |
    init.opcode;
  const maskBit = maskKey !== undefined ? 0x80 : 0;
  let at = offset + 2;
  if (payloadLength < 126) {
    into[offset + 1] = maskBit | payloadLength;
  } else if (payloadLength < 0x10000) {
    into[offset + 1] = maskBit | 126;
    into[at++] = payloadLength >>> 8;
    into[at++] = payloadLength & 0xff;
  } else {
    into[offset + 1] = maskBit | 127;
    const hi = Math.floor(payloadLength / 0x100000000);
    const lo = payloadLength >>> 0;
    into[at++] = hi >>> 24;
    into[at++] = (hi >>> 16) & 0xff;
    into[at++] = (hi >>> 8) & 0xff;
    into[at++] = hi & 0xff;
    into[at++] = lo >>> 24;
    into[at++] = (lo >>> 16) & 0xff;
    into[at++] = (lo >>> 8) & 0xff;
    into[at++] = lo & 0xff;
  }
  if (maskKey !== undefined) {
    into[at++] = maskKey >>> 24;
    into[at++] = (maskKey >>> 16) & 0xff;
    into[at++] = (maskKey >>> 8) & 0xff;
    into[at] = maskKey & 0xff;
  }
  return length;
}

export interface FrameInit extends Omit<FrameHeaderInit, 'payloadLength'> {
  readonly payload?: Uint8Array;
}

/**
 * One whole frame in a new buffer: header, then the payload, masked when
 * `maskKey` is given. `payload` itself is never modified (a deliberate copy:
 * use `emitFrameHeader` and `maskInPlace` to avoid it).
 */
export function encodeFrame(init: FrameInit): Uint8Array<ArrayBuffer> {
  const payload = init.payload ?? new Uint8Array(0);
  const header: FrameHeaderInit = { ...init, payloadLength: payload.length };
  checkInit(header);
  const headerLength = frameHeaderLength(payload.length, init.maskKey !== undefined);
  const out = new Uint8Array(headerLength + payload.length);
  emitFrameHeader(header, out, 0);
  if (init.maskKey === undefined) {
    out.set(payload, headerLength);
  } else {
    maskInto(payload, out.subarray(headerLength), out.subarray(headerLength - 4, headerLength));
  }
  return out;
}

/** The 32-bit masking-key number for key bytes `k` (4 bytes). */
export function maskKeyFromBytes(k: Uint8Array): number {
  assertMaskKey(k);
  return readMaskKey(k, 0);
}
