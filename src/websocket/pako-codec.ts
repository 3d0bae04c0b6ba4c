import {
  Z_BUF_ERROR,
  Z_DEFAULT_STRATEGY,
  Z_OK,
  Z_STREAM_END,
  Z_SYNC_FLUSH,
  ZStream,
  zlibDeflate,
  zlibDeflateEnd,
  zlibDeflateInit2,
  zlibDeflateReset,
  zlibInflate,
  zlibInflateEnd,
  zlibInflateInit2,
  zlibInflateReset,
} from 'pako';
import { concat } from '../bytes/index.js';
import type {
  DeflateCodec,
  Deflater,
  DeflaterOptions,
  InflateResult,
  Inflater,
  InflaterOptions,
} from './deflate-codec.js';

/**
 * The `DeflateCodec` in pure JavaScript, for runtimes without `node:zlib`
 * (Deno, Bun, browsers, workers), over pako 3.
 *
 * Why pako, and why its zlib layer. permessage-deflate needs a synchronous
 * codec that keeps its LZ77 window across messages (context takeover),
 * flushes with `Z_SYNC_FLUSH`, and honours the negotiated window bits (8-15)
 * in both directions. pako is a line-by-line port of zlib, so it does all of
 * that with zlib's semantics; fflate's streaming API has no window-bits
 * setting for deflate (always 32 KiB, which breaks a negotiated
 * `*_max_window_bits` below 15) and no way to bound one call's output. We
 * drive pako's `ZStream` directly (`next_in`/`avail_in`, `output`/
 * `next_out`/`avail_out`) rather than its `Inflate` class, exactly as the
 * zlib codec drives Node's handle: output goes straight into memory we
 * choose, never more than the caller's limit + 1 bytes (zip-bomb bound),
 * and errors come back as status codes, never as throws.
 *
 * The end-of-message check (issue 8) is the zlib codec's: after a final
 * block only the RFC 7692 tail may follow; otherwise a probe of empty stored
 * blocks must be read whole with no output, proving a block boundary.
 */

export interface PakoDeflateCodecOptions {
  /** Compression level 0-9 when a deflater does not say. Default 6 (zlib's). */
  readonly level?: number;
  /** memLevel 1-9 when a deflater does not say. Default 8 (zlib's). */
  readonly memLevel?: number;
  /** Size of the output slabs, bytes (a call that fills one gets bigger ones, to 1 MiB). Default 16 KiB. */
  readonly outputChunkSize?: number;
}

const MAX_SLAB = 1024 * 1024;
const MIN_ROOM = 256;
const Z_DEFLATED = 8;

/**
 * Output memory shared by one codec's inflaters and deflaters: carved and
 * never written again, so views handed out stay valid (`stableOutput`).
 * Safe to share because every call is synchronous.
 */
class OutputSlab {
  bytes = new Uint8Array(0);
  offset = 0;

  constructor(private readonly baseSize: number) {}

  /** Room at `offset` for the next output (at most `limit`); a new slab when under `wanted`. */
  reserve(limit: number, wanted: number, grow: boolean): number {
    if (this.bytes.length - this.offset < Math.min(limit, wanted, this.baseSize)) {
      const size = grow ? Math.min(this.bytes.length * 2, MAX_SLAB) : this.baseSize;
      this.bytes = new Uint8Array(Math.max(size, this.baseSize));
      this.offset = 0;
    }
    return Math.min(this.bytes.length - this.offset, limit);
  }

  /** Drops a grown slab so a small output cannot pin it (see the zlib codec). */
  finish(): void {
    if (this.bytes.length > this.baseSize) {
      this.bytes = new Uint8Array(0);
      this.offset = 0;
    }
  }

  commit(length: number): Uint8Array {
    const view = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return view;
  }
}

const NOTHING: InflateResult = Object.freeze({ ok: true, chunks: Object.freeze([]), length: 0 });

/** 64 empty stored blocks: read whole with no output only at a block boundary (see zlib-codec.ts). */
const BOUNDARY_PROBE = new Uint8Array(64 * 5).map((_, i) => (i % 5 < 3 ? 0x00 : 0xff));
const AFTER_FINAL_TAIL = Uint8Array.of(0x00, 0x00, 0xff, 0xff);
const AFTER_FINAL_OCTET_TAIL = Uint8Array.of(0x00, 0x00, 0x00, 0xff, 0xff);
const EMPTY_SYNC_FLUSH = [0x00, 0x00, 0x00, 0xff, 0xff] as const;

function corrupt(message: string): InflateResult {
  return { ok: false, reason: 'corrupt', message: `Invalid DEFLATE data: ${message}` };
}

function sameBytes(bytes: readonly number[], expected: Uint8Array): boolean {
  return bytes.length === expected.length && bytes.every((b, i) => b === expected[i]);
}

function checkWindowBits(bits: number): void {
  if (!Number.isInteger(bits) || bits < 8 || bits > 15) {
    throw new RangeError(`windowBits must be an integer from 8 to 15: got ${String(bits)}`);
  }
}

/** Points the stream at input and output; pako reads `input[next_in..]`, writes `output[next_out..]`. */
function aim(strm: ZStream, input: Uint8Array, from: number, slab: OutputSlab, room: number): void {
  strm.input = input;
  strm.next_in = from;
  strm.avail_in = input.byteLength - from;
  strm.output = slab.bytes;
  strm.next_out = slab.offset;
  strm.avail_out = room;
}

class PakoInflater implements Inflater {
  private strm: ZStream | undefined = new ZStream();
  /** Bytes seen after a final block in the current message (at most 5 allowed). */
  private afterFinal: number[] | undefined;

  constructor(
    options: InflaterOptions,
    private readonly slab: OutputSlab,
  ) {
    checkWindowBits(options.windowBits);
    // A negative windowBits asks zlib (and pako) for raw DEFLATE.
    if (zlibInflateInit2(this.open('create an inflater'), -options.windowBits) !== Z_OK) {
      throw new RangeError(`pako refused inflate windowBits ${options.windowBits}`);
    }
  }

  private open(what: string): ZStream {
    if (this.strm === undefined) throw new Error(`Cannot ${what}: it was closed`);
    return this.strm;
  }

  inflate(data: Uint8Array, maxOutputLength: number, endOfMessage = false): InflateResult {
    if (!(maxOutputLength >= 0)) {
      throw new RangeError(`maxOutputLength must be >= 0: got ${String(maxOutputLength)}`);
    }
    const strm = this.open('inflate');
    if (data.byteLength === 0 && !endOfMessage) return NOTHING;
    let result =
      this.afterFinal === undefined
        ? this.inflateWith(strm, data, maxOutputLength)
        : this.followFinal(data, 0, NOTHING);
    if (result.ok && endOfMessage) result = this.endMessage(strm, result);
    return result;
  }

  private inflateWith(strm: ZStream, data: Uint8Array, maxOutputLength: number): InflateResult {
    const chunks: Uint8Array[] = [];
    let length = 0;
    let inputOffset = 0;
    let grow = false;
    for (;;) {
      const room = this.slab.reserve(maxOutputLength + 1 - length, MIN_ROOM, grow);
      aim(strm, data, inputOffset, this.slab, room);
      const status = zlibInflate(strm, Z_SYNC_FLUSH);
      if (status !== Z_OK && status !== Z_STREAM_END && status !== Z_BUF_ERROR) {
        return corrupt(strm.msg === '' ? `status ${status}` : strm.msg);
      }
      const produced = room - strm.avail_out;
      if (produced > 0) {
        chunks.push(this.slab.commit(produced));
        length += produced;
      }
      inputOffset = strm.next_in;
      if (length > maxOutputLength) {
        return {
          ok: false,
          reason: 'too-big',
          message: `Inflated data is over the limit of ${maxOutputLength} bytes`,
        };
      }
      if (status === Z_STREAM_END) {
        // A final block (BFINAL, RFC 7692 §7.2.3.4): what follows is not inflated.
        this.afterFinal = [];
        return this.followFinal(data, inputOffset, { ok: true, chunks, length });
      }
      if (strm.avail_out === 0) {
        grow = true;
        continue;
      }
      return { ok: true, chunks, length };
    }
  }

  private followFinal(data: Uint8Array, from: number, result: InflateResult): InflateResult {
    const after = this.afterFinal as number[];
    if (after.length + data.byteLength - from > AFTER_FINAL_OCTET_TAIL.length) {
      return corrupt('data after the final block');
    }
    for (let i = from; i < data.byteLength; i++) after.push(data[i] as number);
    return result;
  }

  private endMessage(strm: ZStream, result: InflateResult): InflateResult {
    const after = this.afterFinal;
    if (after !== undefined) {
      this.afterFinal = undefined;
      if (!sameBytes(after, AFTER_FINAL_TAIL) && !sameBytes(after, AFTER_FINAL_OCTET_TAIL)) {
        return corrupt('data after the final block');
      }
      zlibInflateReset(strm);
      return result;
    }
    const room = this.slab.reserve(1, 1, false);
    aim(strm, BOUNDARY_PROBE, 0, this.slab, room);
    const status = zlibInflate(strm, Z_SYNC_FLUSH);
    if (status !== Z_OK && status !== Z_BUF_ERROR) {
      return corrupt(`the message ends inside a block (${strm.msg === '' ? status : strm.msg})`);
    }
    if (strm.avail_out !== room || strm.avail_in !== 0) {
      return corrupt('the message ends inside a block (cut short?)');
    }
    return result;
  }

  reset(): void {
    this.afterFinal = undefined;
    zlibInflateReset(this.open('reset an inflater'));
  }

  close(): void {
    this.afterFinal = undefined;
    if (this.strm !== undefined) zlibInflateEnd(this.strm);
    this.strm = undefined;
  }
}

class PakoDeflater implements Deflater {
  private strm: ZStream | undefined = new ZStream();

  constructor(
    options: DeflaterOptions,
    defaults: PakoDeflateCodecOptions,
    private readonly slab: OutputSlab,
  ) {
    checkWindowBits(options.windowBits);
    const level = options.level ?? defaults.level ?? 6;
    const memLevel = options.memLevel ?? defaults.memLevel ?? 8;
    // zlib (so pako) has no raw 8-bit deflate window; 9 never emits a
    // distance over 250, safe for a peer inflating with 8 (see zlib-codec.ts).
    const bits = Math.max(9, options.windowBits);
    const status = zlibDeflateInit2(
      this.open('create a deflater'),
      level,
      Z_DEFLATED,
      -bits,
      memLevel,
      Z_DEFAULT_STRATEGY,
    );
    if (status !== Z_OK) {
      throw new RangeError(`pako refused deflate level ${level}, memLevel ${memLevel}`);
    }
  }

  private open(what: string): ZStream {
    if (this.strm === undefined) throw new Error(`Cannot ${what}: it was closed`);
    return this.strm;
  }

  deflate(data: Uint8Array): Uint8Array {
    const strm = this.open('deflate');
    this.slab.finish();
    const chunks: Uint8Array[] = [];
    let inputOffset = 0;
    let grow = false;
    for (;;) {
      const left = data.byteLength - inputOffset;
      const room = this.slab.reserve(Number.MAX_SAFE_INTEGER, left + 64, grow);
      aim(strm, data, inputOffset, this.slab, room);
      const status = zlibDeflate(strm, Z_SYNC_FLUSH);
      // Z_BUF_ERROR: a second flush with nothing new; anything else is a bug, not input.
      if (status !== Z_OK && status !== Z_BUF_ERROR) {
        throw new Error(`pako deflate failed: status ${status} ${strm.msg}`);
      }
      const produced = room - strm.avail_out;
      inputOffset = strm.next_in;
      if (produced > 0) chunks.push(this.slab.commit(produced));
      if (strm.avail_out === 0) {
        grow = true;
        continue;
      }
      break;
    }
    this.slab.finish();
    if (chunks.length === 0) return Uint8Array.from(EMPTY_SYNC_FLUSH);
    // Output spanning several slabs: one copy to hand back contiguous bytes.
    return chunks.length === 1 ? (chunks[0] as Uint8Array) : concat(chunks);
  }

  reset(): void {
    zlibDeflateReset(this.open('reset a deflater'));
  }

  close(): void {
    if (this.strm !== undefined) zlibDeflateEnd(this.strm);
    this.strm = undefined;
  }
}

/** A pure-JS codec with its own output slab. Throws `RangeError` on bad options. */
export function createPakoDeflateCodec(options: PakoDeflateCodecOptions = {}): DeflateCodec {
  const chunkSize = options.outputChunkSize ?? 16 * 1024;
  if (!Number.isInteger(chunkSize) || chunkSize < MIN_ROOM || chunkSize > MAX_SLAB) {
    throw new RangeError(
      `outputChunkSize must be an integer from ${MIN_ROOM} to ${MAX_SLAB}: got ${String(chunkSize)}`,
    );
  }
  const slab = new OutputSlab(chunkSize);
  return {
    createInflater: (inflaterOptions) => new PakoInflater(inflaterOptions, slab),
    createDeflater: (deflaterOptions) => new PakoDeflater(deflaterOptions, options, slab),
    stableOutput: true,
  };
}

/** The default pure-JS codec: level 6, memLevel 8, 16 KiB output slabs. */
export const pakoDeflateCodec: DeflateCodec = createPakoDeflateCodec();
