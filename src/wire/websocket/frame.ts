import { NetrxError } from '../../runtime/index.js';
import { EMPTY_BYTES } from './empty.js';
import { CloseCode } from './close.js';
import { wsFailed, type WebSocketFailure, type WebSocketResult } from './failure.js';
import {
  assertMaskKey,
  maskInPlace,
  maskInto,
  type MaskFunction,
  type MaskIntoFunction,
} from './mask.js';

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
 * Receive side: `FrameDecoder` is fed chunks as they come off the transport
 * and hands back header and payload events, payloads as views into those
 * chunks. Every violation is returned as data with a stable code and the
 * close code to send; nothing here throws on peer bytes. Send side:
 * `emitFrameHeader` writes a header into a caller's buffer (so a payload can
 * go out beside it, unmoved) and `encodeFrame` builds a whole frame.
 */

/** Opcodes (RFC 6455 §5.2, §11.8). Unknown opcodes are kept as plain numbers. */
export const Opcode = Object.freeze({
  Continuation: 0x0,
  Text: 0x1,
  Binary: 0x2,
  Close: 0x8,
  Ping: 0x9,
  Pong: 0xa,
} as const);
export type OpcodeName = keyof typeof Opcode;
export type KnownOpcode = (typeof Opcode)[OpcodeName];

/** Control frames have the top opcode bit set (0x8-0xF). */
export function isControlOpcode(opcode: number): boolean {
  return (opcode & 0x8) !== 0;
}

/** Whether `opcode` is one RFC 6455 defines (0, 1, 2, 8, 9, 10). */
export function isKnownOpcode(opcode: number): opcode is KnownOpcode {
  return opcode <= 2 || (opcode >= 8 && opcode <= 10);
}

/** The RSV bits as a 3-bit mask, in `reservedBits` options: RSV1 is 4 (0x40 on the wire). */
export const ReservedBit = Object.freeze({ Rsv1: 4, Rsv2: 2, Rsv3: 1 } as const);

/** Largest payload the limit check allows on the wire: `Number.MAX_SAFE_INTEGER`. */
export const MAX_FRAME_PAYLOAD = Number.MAX_SAFE_INTEGER;
/** Control frame payloads are at most 125 bytes (RFC 6455 §5.5). */
export const MAX_CONTROL_PAYLOAD = 125;
/** Default `maxPayloadLength`: 16 MiB, the least Autobahn group 9 needs. */
export const DEFAULT_MAX_FRAME_PAYLOAD = 16 * 1024 * 1024;

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

export interface FrameLimits {
  /** Largest payload accepted, in bytes (inclusive). Default 16 MiB. Over it: `frame-too-big`, 1009. */
  readonly maxPayloadLength?: number;
  /**
   * RSV bits an extension has negotiated (`ReservedBit` mask; default 0).
   * They are allowed only on the first frame of a data message, as RFC 7692
   * §6.1 requires of RSV1; anywhere else they are `reserved-bits`, 1002.
   */
  readonly reservedBits?: number;
  /**
   * `true` on a server (client frames must be masked, §5.1), `false` on a
   * client (server frames must not be), `undefined` to accept both, as
   * websocket.dll's `DISABLE_MASKING` does.
   */
  readonly expectMasked?: boolean;
  /** Accept opcodes 3-7 and 11-15 instead of failing with `unknown-opcode`. Default false. */
  readonly allowUnknownOpcodes?: boolean;
  /** Unmasks payloads; default `maskInPlace` (a host may inject a native one). */
  readonly mask?: MaskFunction;
  /**
   * Unmasks a payload while copying it into `next(into)`'s buffer; default
   * `maskInto` (a copy, then `mask` in place). A host may inject a one-pass
   * loop.
   */
  readonly maskInto?: MaskIntoFunction;
}

interface ResolvedLimits {
  readonly maxPayloadLength: number;
  readonly reservedBits: number;
  readonly expectMasked: boolean | undefined;
  readonly allowUnknownOpcodes: boolean;
}

/** The masking functions a decoder uses (one shared object per pair: a field per connection adds up). */
export interface Maskers {
  readonly mask: MaskFunction;
  readonly maskInto: MaskIntoFunction | undefined;
}

const DEFAULT_MASKERS: Maskers = Object.freeze({ mask: maskInPlace, maskInto: undefined });
const sharedMaskers = new Map<MaskFunction, Map<MaskIntoFunction | undefined, Maskers>>();

/** The shared `Maskers` for this pair (hosts inject a few module-level functions). */
export function maskersFor(
  mask: MaskFunction | undefined,
  into: MaskIntoFunction | undefined,
): Maskers {
  if (mask === undefined && into === undefined) return DEFAULT_MASKERS;
  const m = mask ?? maskInPlace;
  let byInto = sharedMaskers.get(m);
  if (byInto === undefined) {
    if (sharedMaskers.size >= 64) sharedMaskers.clear();
    byInto = new Map();
    sharedMaskers.set(m, byInto);
  }
  let known = byInto.get(into);
  if (known === undefined) {
    if (byInto.size >= 64) byInto.clear();
    known = Object.freeze({ mask: m, maskInto: into });
    byInto.set(into, known);
  }
  return known;
}

/** Decoders with the same limits share one resolved object (one per connection adds up). */
const sharedResolved = new Map<string, ResolvedLimits>();

function sharedLimits(limits: FrameLimits): ResolvedLimits {
  const resolved = resolveLimits(limits);
  const key = `${resolved.maxPayloadLength},${resolved.reservedBits},${String(resolved.expectMasked)},${resolved.allowUnknownOpcodes}`;
  const known = sharedResolved.get(key);
  if (known !== undefined) return known;
  if (sharedResolved.size >= 64) sharedResolved.clear();
  sharedResolved.set(key, resolved);
  return resolved;
}

function resolveLimits(limits: FrameLimits): ResolvedLimits {
  const maxPayloadLength = limits.maxPayloadLength ?? DEFAULT_MAX_FRAME_PAYLOAD;
  if (!Number.isSafeInteger(maxPayloadLength) || maxPayloadLength < 0) {
    throw new RangeError(
      `maxPayloadLength must be a non-negative safe integer: got ${String(maxPayloadLength)}`,
    );
  }
  const reservedBits = limits.reservedBits ?? 0;
  if (!Number.isInteger(reservedBits) || reservedBits < 0 || reservedBits > 7) {
    throw new RangeError(
      `reservedBits must be a 3-bit mask from 0 to 7: got ${String(reservedBits)}`,
    );
  }
  return {
    maxPayloadLength,
    reservedBits,
    expectMasked: limits.expectMasked,
    allowUnknownOpcodes: limits.allowUnknownOpcodes ?? false,
  };
}

type Failed = { readonly ok: false; readonly failure: WebSocketFailure };

/**
 * Checks what the first two header bytes alone decide. `inMessage` is whether
 * a fragmented data message is open (`undefined`: not tracked).
 */
function checkFirstTwo(
  b0: number,
  b1: number,
  limits: ResolvedLimits,
  inMessage: boolean | undefined,
  offset: number,
): Failed | undefined {
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
function headerLengthFor(b1: number): number {
  const len7 = b1 & 0x7f;
  return (len7 < 126 ? 2 : len7 === 126 ? 4 : 10) + ((b1 & 0x80) !== 0 ? 4 : 0);
}

/**
 * Reads the payload length at `b[at..]` (header complete) and checks it.
 * Returns the length, or a failure.
 */
function readLength(
  b: Uint8Array,
  at: number,
  limits: ResolvedLimits,
  offset: number,
): number | Failed {
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
function checkLengthEarly(
  b: Uint8Array,
  at: number,
  available: number,
  limits: ResolvedLimits,
  offset: number,
): Failed | undefined {
  const len7 = (b[at + 1] as number) & 0x7f;
  const lengthEnd = len7 < 126 ? 2 : len7 === 126 ? 4 : 10;
  if (available < lengthEnd) return undefined;
  const length = readLength(b, at, limits, offset);
  return typeof length === 'number' ? undefined : length;
}

function readMaskKey(b: Uint8Array, at: number): number {
  return (
    (((b[at] as number) << 24) |
      ((b[at + 1] as number) << 16) |
      ((b[at + 2] as number) << 8) |
      (b[at + 3] as number)) >>>
    0
  );
}

function makeHeader(
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

// ---------------------------------------------------------------------------
// Incremental decoder

export type FrameEvent =
  /** A frame header; its payload follows in one or more `payload` events. */
  | { readonly type: 'header'; readonly header: FrameHeader }
  /**
   * Unmasked payload bytes. Every frame ends with exactly one `last: true`
   * event (an empty one for an empty payload). A control frame's payload
   * always comes whole, in a single event.
   */
  | { readonly type: 'payload'; readonly data: Uint8Array; readonly last: boolean }
  /** The peer broke the protocol; the decoder stops here for good. */
  | { readonly type: 'error'; readonly failure: WebSocketFailure };

const S_HEADER = 0;
const S_EMPTY = 1;
const S_DATA = 2;
const S_CONTROL = 3;
const S_FAILED = 4;

/**
 * The key as bytes, in one scratch array all decoders share: masking is
 * synchronous, and a 4-byte array of its own would cost each (idle)
 * connection about 180 bytes.
 */
const KEY = new Uint8Array(4);
function keyBytes(word: number): Uint8Array {
  KEY[0] = word >>> 24;
  KEY[1] = (word >>> 16) & 0xff;
  KEY[2] = (word >>> 8) & 0xff;
  KEY[3] = word & 0xff;
  return KEY;
}

/**
 * Turns a byte stream into frame events without doing any I/O. Feed it
 * whatever the transport delivered with `push(chunk)`, then call `next()`
 * until it returns `undefined`, then push the next chunk.
 *
 * Zero-copy: payload events are views into the pushed chunks, unmasked in
 * place, so the decoder writes into the chunks you give it and the views stay
 * valid as long as the chunk's memory does. Pass a buffer to `next(into)` to
 * have data payload bytes unmasked into it instead (the chunk is then left
 * as it was). Bytes are copied only for a header split across chunks (at most
 * 14 bytes) and for a control payload split across chunks (at most 125).
 *
 * Limits are checked as soon as the bytes that decide them arrive, so a
 * 64-bit length over the limit fails before its mask or payload, and nothing
 * is ever allocated from a peer-supplied length beyond 125 bytes.
 *
 * @example
 * const decoder = new FrameDecoder({ expectMasked: true });
 * decoder.push(chunk);
 * for (let e = decoder.next(); e !== undefined; e = decoder.next()) {
 *   if (e.type === 'error') fail(e.failure.closeCode);
 * }
 */
export class FrameDecoder {
  private readonly limits: ResolvedLimits;
  private readonly maskers: Maskers;
  private state = S_HEADER;
  private chunk: Uint8Array = EMPTY_BYTES;
  private pos = 0;
  /** Stream offset of `chunk[0]`. */
  private chunkStart = 0;
  /** Header bytes split across chunks. */
  /** Header bytes split across chunks; made the first time a header splits. */
  private spillBytes: Uint8Array | undefined;
  private spillLength = 0;
  private header: FrameHeader | undefined;
  private remaining = 0;
  /** The current frame's masking key, as `FrameHeader.maskKey` has it. */
  private keyWord = 0;
  private masked = false;
  private phase = 0;
  private control: Uint8Array = EMPTY_BYTES;
  private controlHave = 0;
  private inMessageFlag = false;
  private failureValue: WebSocketFailure | undefined;

  constructor(limits: FrameLimits = {}) {
    this.limits = sharedLimits(limits);
    this.maskers = maskersFor(limits.mask, limits.maskInto);
    // A double from the start: a stream offset that began as a small integer
    // would change representation at 2^31 bytes, deoptimising the decoder
    // (and every caller it is inlined into) in the middle of a long transfer.
    this.chunkStart = 0.5;
    this.chunkStart = 0;
  }

  /**
   * Hands the decoder the next bytes of the stream. The previous chunk must
   * have been drained (`next()` returned `undefined`): the decoder holds at
   * most one chunk, and throws `ERR_WS_DECODER_NOT_DRAINED` otherwise. After
   * a failure, pushed bytes are ignored.
   */
  push(chunk: Uint8Array): void {
    if (this.state === S_FAILED) return;
    if (this.pos < this.chunk.length) {
      throw new NetrxError(
        'ERR_WS_DECODER_NOT_DRAINED',
        `Cannot push more bytes: ${this.chunk.length - this.pos} bytes of the previous chunk are still undecoded; call next() until it returns undefined`,
      );
    }
    this.chunkStart += this.chunk.length;
    this.chunk = chunk;
    this.pos = 0;
  }

  /** The failure that stopped the decoder, if any. */
  get failure(): WebSocketFailure | undefined {
    return this.failureValue;
  }

  /** Whether the decoder stands between frames with nothing partial held (a clean place for EOF). */
  get idle(): boolean {
    return this.state === S_HEADER && this.spillLength === 0;
  }

  /** Whether a fragmented data message has begun and its final frame has not. */
  get inMessage(): boolean {
    return this.inMessageFlag;
  }

  /** The header of the frame whose payload is being decoded, if any. */
  get currentHeader(): FrameHeader | undefined {
    return this.state === S_HEADER || this.state === S_FAILED ? undefined : this.header;
  }

  /** Bytes of the current chunk not decoded yet. */
  get pendingBytes(): number {
    return this.chunk.length - this.pos;
  }

  /** Total stream bytes consumed so far. */
  get consumed(): number {
    return this.chunkStart + this.pos;
  }

  /**
   * The next event, or `undefined` when the current chunk is used up. `into`
   * (optional, non-empty) receives the next data payload bytes instead of
   * the chunk being unmasked in place; the event's `data` is then a view of
   * `into`, as long as what was available (at most `into.length`).
   */
  next(into?: Uint8Array): FrameEvent | undefined {
    const event = this.step(into);
    if (event === undefined && this.chunk !== EMPTY_BYTES) {
      // Used up: let go of the chunk, so an idle connection pins no read buffer.
      this.chunkStart += this.chunk.length;
      this.chunk = EMPTY_BYTES;
      this.pos = 0;
    }
    return event;
  }

  private step(into: Uint8Array | undefined): FrameEvent | undefined {
    switch (this.state) {
      case S_HEADER:
        return this.readHeader();
      case S_EMPTY:
        this.state = S_HEADER;
        return { type: 'payload', data: EMPTY_BYTES, last: true };
      case S_DATA:
        return this.readData(into);
      case S_CONTROL:
        return this.readControl();
      default:
        return undefined;
    }
  }

  private fail(result: Failed): FrameEvent {
    this.state = S_FAILED;
    this.failureValue = result.failure;
    this.chunk = EMPTY_BYTES;
    this.pos = 0;
    return { type: 'error', failure: result.failure };
  }

  private get spill(): Uint8Array {
    return (this.spillBytes ??= new Uint8Array(14));
  }

  private readHeader(): FrameEvent | undefined {
    const chunk = this.chunk;
    let src: Uint8Array;
    let at: number;
    let frameOffset: number;
    if (this.spillLength === 0) {
      const available = chunk.length - this.pos;
      if (available === 0) return undefined;
      frameOffset = this.chunkStart + this.pos;
      if (available < 2 || available < headerLengthFor(chunk[this.pos + 1] as number)) {
        // Split header: check what we can now, keep the bytes for later.
        if (available >= 2) {
          const bad = checkFirstTwo(
            chunk[this.pos] as number,
            chunk[this.pos + 1] as number,
            this.limits,
            this.inMessageFlag,
            frameOffset,
          );
          if (bad !== undefined) return this.fail(bad);
          const early = checkLengthEarly(chunk, this.pos, available, this.limits, frameOffset);
          if (early !== undefined) return this.fail(early);
        }
        this.spill.set(chunk.subarray(this.pos), 0);
        this.spillLength = available;
        this.pos = chunk.length;
        return undefined;
      }
      src = chunk;
      at = this.pos;
    } else {
      frameOffset = this.chunkStart - this.spillLength;
      // Fill the spill to two bytes, then to the whole header.
      if (this.spillLength < 2) {
        if (this.pos >= chunk.length) return undefined;
        this.spill[this.spillLength++] = chunk[this.pos++] as number;
        if (this.spillLength < 2) return undefined;
      }
      const need = headerLengthFor(this.spill[1] as number);
      const take = Math.min(need - this.spillLength, chunk.length - this.pos);
      if (take > 0) {
        this.spill.set(chunk.subarray(this.pos, this.pos + take), this.spillLength);
        this.spillLength += take;
        this.pos += take;
      }
      if (this.spillLength < need) {
        const bad = checkFirstTwo(
          this.spill[0] as number,
          this.spill[1] as number,
          this.limits,
          this.inMessageFlag,
          frameOffset,
        );
        if (bad !== undefined) return this.fail(bad);
        const early = checkLengthEarly(this.spill, 0, this.spillLength, this.limits, frameOffset);
        return early === undefined ? undefined : this.fail(early);
      }
      src = this.spill;
      at = 0;
    }

    const b0 = src[at] as number;
    const b1 = src[at + 1] as number;
    const bad = checkFirstTwo(b0, b1, this.limits, this.inMessageFlag, frameOffset);
    if (bad !== undefined) return this.fail(bad);
    const length = readLength(src, at, this.limits, frameOffset);
    if (typeof length !== 'number') return this.fail(length);
    const headerLength = headerLengthFor(b1);
    let maskKey: number | undefined;
    this.masked = (b1 & 0x80) !== 0;
    if (this.masked) {
      maskKey = readMaskKey(src, at + headerLength - 4);
      this.keyWord = maskKey;
    }
    if (src === chunk) this.pos += headerLength;
    else this.spillLength = 0;

    const header = makeHeader(b0, b1, length, maskKey);
    this.header = header;
    this.remaining = length;
    this.phase = 0;
    const opcode = b0 & 0x0f;
    const control = (opcode & 0x8) !== 0;
    if (!control) this.inMessageFlag = (b0 & 0x80) === 0;
    if (length === 0) {
      this.state = S_EMPTY;
    } else if (control) {
      this.state = S_CONTROL;
      this.controlHave = 0;
    } else {
      this.state = S_DATA;
    }
    return { type: 'header', header };
  }

  private readData(into: Uint8Array | undefined): FrameEvent | undefined {
    const available = this.chunk.length - this.pos;
    if (available === 0) return undefined;
    let n = available < this.remaining ? available : this.remaining;
    let data: Uint8Array;
    if (into === undefined) {
      data = this.chunk.subarray(this.pos, this.pos + n);
      if (this.masked) this.phase = this.maskers.mask(data, keyBytes(this.keyWord), this.phase);
    } else {
      if (into.length === 0) throw new RangeError('Cannot decode into an empty buffer');
      if (into.length < n) n = into.length;
      const source = this.chunk.subarray(this.pos, this.pos + n);
      data = into.length === n ? into : into.subarray(0, n);
      if (!this.masked) data.set(source);
      else {
        const { mask, maskInto: into } = this.maskers;
        if (into !== undefined) {
          // One pass: read the masked bytes, write them unmasked.
          this.phase = into(source, data, keyBytes(this.keyWord), this.phase);
        } else {
          data.set(source);
          this.phase = mask(data, keyBytes(this.keyWord), this.phase);
        }
      }
    }
    this.pos += n;
    this.remaining -= n;
    const last = this.remaining === 0;
    if (last) this.state = S_HEADER;
    return { type: 'payload', data, last };
  }

  private readControl(): FrameEvent | undefined {
    const available = this.chunk.length - this.pos;
    if (available === 0) return undefined;
    const length = this.remaining + this.controlHave;
    let data: Uint8Array;
    if (this.controlHave === 0 && available >= length) {
      // Whole payload in this chunk: a view, unmasked in place.
      data = this.chunk.subarray(this.pos, this.pos + length);
      this.pos += length;
    } else {
      // Split across chunks: gather (≤ 125 bytes, a deliberate copy).
      if (this.controlHave === 0) this.control = new Uint8Array(length);
      const n = Math.min(available, this.remaining);
      this.control.set(this.chunk.subarray(this.pos, this.pos + n), this.controlHave);
      this.controlHave += n;
      this.remaining -= n;
      this.pos += n;
      if (this.remaining > 0) return undefined;
      data = this.control;
      this.control = EMPTY_BYTES;
      this.controlHave = 0;
    }
    this.remaining = 0;
    if (this.masked) maskInPlace(data, keyBytes(this.keyWord), 0);
    this.state = S_HEADER;
    return { type: 'payload', data, last: true };
  }
}
