import { NetrxError } from '../../runtime/index.js';
import { EMPTY_BYTES } from './empty.js';
import type { WebSocketFailed, WebSocketFailure } from './failure.js';
import {
  checkFirstTwo,
  checkLengthEarly,
  headerLengthFor,
  makeHeader,
  readLength,
  readMaskKey,
  type FrameHeader,
} from './frame-header.js';
import {
  maskersFor,
  sharedLimits,
  type FrameLimits,
  type Maskers,
  type ResolvedLimits,
} from './frame-limits.js';
import { maskInPlace } from './mask.js';

/**
 * The receive side of the codec: a state machine (header, empty payload,
 * data payload, control payload, failed) that `FrameDecoder` runs over the
 * chunks a transport delivers, with the header checks of `frame-header.ts`
 * applied as soon as the bytes that decide them arrive.
 */

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

  private fail(result: WebSocketFailed): FrameEvent {
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
