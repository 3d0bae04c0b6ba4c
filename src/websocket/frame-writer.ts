/**
 * Builds the wire bytes of one outgoing message part: its header(s) and
 * payload, split into frames of at most `maxFramePayload` bytes.
 *
 * Unmasked (server) payloads over `MERGE_BELOW` bytes are not copied: the
 * action hands out the header and the caller's bytes as separate buffers
 * (writev). Small payloads are merged with their header into one buffer
 * carved from a slab, which costs less than a second write entry. Masked
 * (client) payloads are always copied, because masking must not touch the
 * caller's memory.
 */
import { EMPTY_BYTES } from '../wire/websocket/empty.js';
import { allocFromSlab } from '../bytes/index.js';
import type { Crypto } from '../runtime/index.js';
import {
  emitFrameHeader,
  frameHeaderLength,
  maskInPlace,
  type MaskFunction,
  type MaskIntoFunction,
} from '../wire/websocket/index.js';

const MERGE_BELOW = 1024;
/** Frames over this size get their own allocation (the slab's own limit). */
const OWN_ABOVE = 4 * 1024;

/** Fresh masking keys, drawn from a pool refilled 4 KiB at a time (one random call per 1024 frames). */
export class MaskKeySource {
  private readonly pool = new Uint8Array(4096);
  private at = this.pool.length;

  constructor(
    private readonly crypto: Crypto,
    /** How payloads are masked (a host may inject a native loop). */
    readonly mask: MaskFunction = maskInPlace,
    /** Where frames over `OWN_ABOVE` bytes come from (a host may skip zeroing). */
    readonly allocate: ((size: number) => Uint8Array) | undefined = undefined,
    /** Masks while copying the payload into the frame (one pass), when the host has one. */
    readonly maskInto: MaskIntoFunction | undefined = undefined,
  ) {}

  /** The next 4 random bytes as a big-endian number (`FrameHeader.maskKey`). */
  next(): number {
    if (this.at === this.pool.length) {
      this.crypto.fillRandom(this.pool);
      this.at = 0;
    }
    const p = this.pool;
    const i = this.at;
    this.at += 4;
    return (
      (((p[i] as number) << 24) |
        ((p[i + 1] as number) << 16) |
        ((p[i + 2] as number) << 8) |
        (p[i + 3] as number)) >>>
      0
    );
  }
}

export interface FramePart {
  /** The opcode of the first frame (continuation frames follow it). */
  readonly opcode: number;
  /** Whether the last frame ends the message. */
  readonly fin: boolean;
  /** RSV1 on the first frame (a compressed message's first frame). */
  readonly rsv1: boolean;
  readonly payload: Uint8Array;
}

/** Appends the buffers of `part` to `out`; returns the bytes appended. */
export function writeFrames(
  part: FramePart,
  maxFramePayload: number,
  masks: MaskKeySource | undefined,
  out: Uint8Array[],
): number {
  const { payload } = part;
  let total = 0;
  let offset = 0;
  let first = true;
  do {
    const length = Math.min(maxFramePayload, payload.length - offset);
    const last = offset + length === payload.length;
    const piece = length === payload.length ? payload : payload.subarray(offset, offset + length);
    total += writeFrame(
      first ? part.opcode : 0,
      last ? part.fin : false,
      first && part.rsv1,
      piece,
      masks,
      out,
    );
    offset += length;
    first = false;
  } while (offset < payload.length);
  return total;
}

function writeFrame(
  opcode: number,
  fin: boolean,
  rsv1: boolean,
  payload: Uint8Array,
  masks: MaskKeySource | undefined,
  out: Uint8Array[],
): number {
  const masked = masks !== undefined;
  const headerLength = frameHeaderLength(payload.length, masked);
  const maskKey = masks?.next();
  const init = { fin, rsv1, opcode, payloadLength: payload.length, maskKey };
  if (masked || payload.length < MERGE_BELOW) {
    const size = headerLength + payload.length;
    // Every byte is written below, so a large frame may skip zeroing.
    const frame =
      size > OWN_ABOVE && masks?.allocate !== undefined
        ? masks.allocate(size)
        : allocFromSlab(size);
    emitFrameHeader(init, frame, 0);
    if (payload.length > 0) {
      const body = frame.subarray(headerLength);
      const key = frame.subarray(headerLength - 4, headerLength);
      if (masks === undefined) body.set(payload);
      else if (masks.maskInto !== undefined) masks.maskInto(payload, body, key, 0);
      else {
        body.set(payload);
        masks.mask(body, key, 0);
      }
    }
    out.push(frame);
    return frame.length;
  }
  const header = allocFromSlab(headerLength);
  emitFrameHeader(init, header, 0);
  out.push(header, payload.length === 0 ? EMPTY_BYTES : payload);
  return headerLength + payload.length;
}

/**
 * Appends one unmasked, uncompressed frame whose payload is `pieces` as
 * they are (header, then the pieces: writev, no join); returns its bytes.
 */
export function writePiecesFrame(
  opcode: number,
  fin: boolean,
  pieces: readonly Uint8Array[],
  out: Uint8Array[],
): number {
  let length = 0;
  for (const p of pieces) length += p.length;
  const headerLength = frameHeaderLength(length, false);
  const header = allocFromSlab(headerLength);
  emitFrameHeader(
    { fin, rsv1: false, opcode, payloadLength: length, maskKey: undefined },
    header,
    0,
  );
  out.push(header);
  for (const p of pieces) if (p.length > 0) out.push(p);
  return headerLength + length;
}
