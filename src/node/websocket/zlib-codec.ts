import zlib from 'node:zlib';
import { concat } from '../../bytes/index.js';
import type {
  DeflateCodec,
  Deflater,
  DeflaterOptions,
  InflateResult,
  Inflater,
  InflaterOptions,
} from '../../websocket/deflate-codec.js';

/**
 * The `DeflateCodec` over `node:zlib`, synchronous and with a persistent
 * context, as permessage-deflate needs.
 *
 * Why the zlib handle is driven directly. Node has no public synchronous API
 * that keeps a compression context between calls: `inflateRawSync` and
 * friends start a new stream every time, and the streams are asynchronous.
 * The sync functions run through `processChunkSync`, which a stream exposes
 * as `_processChunk(chunk, flush)` (no callback), but that path is one-shot:
 * it ends with `_close(self)`, freeing the native handle after one call
 * (checked on Node 20.20; every later lib/zlib.js we read does the same). It
 * also adds an `'error'` listener per call and buffers all the output before
 * it checks `maxOutputLength`. So we do what
 * `processChunkSync` does inside, minus the close: call the handle's
 * `writeSync(flush, in, inOff, inLen, out, outOff, outLen)` and read how much
 * input and output space is left from the stream's `_writeState`. That gives
 * (1) one context across messages, (2) output written straight into memory
 * we choose, never more than the caller's limit + 1 bytes, so a zip bomb
 * costs at most the limit, and (3) errors as values: the handle reports them
 * through its `onerror` callback, which we replace, so nothing throws and the
 * stream is not destroyed behind our back. These are Node internals; the
 * test "node:zlib internals" fails loudly if they change.
 *
 * Memory (RSS measured on Node 20 over 2000 objects, each used once): a
 * deflater costs ~215 KiB at window 15 (memLevel 8; ~205 KiB at memLevel 1,
 * so memLevel matters little here), ~90 KiB at window 9; an inflater
 * ~10-14 KiB, growing to hold its 2^w window as output passes through it.
 * Hence the session creates them lazily and gives them back when it can.
 */

const { Z_SYNC_FLUSH, Z_MIN_CHUNK } = zlib.constants;

/** The parts of a Node zlib handle we drive (lib/zlib.js, src/node_zlib.cc). */
interface ZlibHandle {
  writeSync(
    flush: number,
    input: Uint8Array,
    inputOffset: number,
    inputLength: number,
    output: Uint8Array,
    outputOffset: number,
    outputLength: number,
  ): void;
  reset(): void;
  close(): void;
  onerror: (message: string, errno: number, code?: string) => void;
}

/** A Node zlib stream as its internals are: the handle and [availOutAfter, availInAfter]. */
interface ZlibStreamInternals {
  _handle: ZlibHandle | null;
  _writeState: Uint32Array;
  close(): void;
}

/** Takes the internals this codec needs from a fresh zlib stream, or explains loudly what changed. */
function zlibInternals(stream: object): ZlibStreamInternals {
  const s = stream as Partial<ZlibStreamInternals>;
  const handle = s._handle as Partial<ZlibHandle> | null | undefined;
  if (
    handle == null ||
    typeof handle.writeSync !== 'function' ||
    typeof handle.reset !== 'function' ||
    typeof handle.close !== 'function' ||
    typeof handle.onerror !== 'function' ||
    !(s._writeState instanceof Uint32Array) ||
    s._writeState.length < 2 ||
    typeof s.close !== 'function'
  ) {
    throw new Error(
      `node:zlib internals changed in Node ${process.version}: netrx's synchronous deflate codec ` +
        'needs stream._handle.{writeSync,reset,close,onerror} and stream._writeState',
    );
  }
  return s as ZlibStreamInternals;
}

export interface ZlibDeflateCodecOptions {
  /** Compression level 0-9 when a deflater does not say. Default zlib's (6). */
  readonly level?: number;
  /** memLevel 1-9 when a deflater does not say. Default 8 (zlib's). */
  readonly memLevel?: number;
  /**
   * Size of the output slabs inflate and deflate write into, bytes; a call
   * that fills one gets bigger ones, up to 1 MiB. Default 16 KiB.
   */
  readonly outputChunkSize?: number;
}

const MAX_SLAB = 1024 * 1024;
/** Less room than this left in a slab: start a new one rather than make tiny inflate calls. */
const MIN_ROOM = 256;

/**
 * The memory zlib writes output into, shared by every inflater and deflater
 * of one codec. Output is carved from the current slab and never written
 * again, so the views handed out stay valid for as long as the caller keeps
 * them (stronger than `Inflater.inflate` promises), and small messages cost
 * no allocation of their own. Safe to share because every call is synchronous.
 */
class OutputSlab {
  bytes = new Uint8Array(0);
  offset = 0;

  constructor(private readonly baseSize: number) {}

  /**
   * Makes room for the next output at `offset` of `bytes` and returns how
   * much there is (at most `limit`). A new slab starts when fewer than
   * `wanted` bytes are left (capped at the base size); after a call has
   * filled one (`grow`), it is twice as big, up to 1 MiB.
   */
  reserve(limit: number, wanted: number, grow: boolean): number {
    if (this.bytes.length - this.offset < Math.min(limit, wanted, this.baseSize)) {
      const size = grow ? Math.min(this.bytes.length * 2, MAX_SLAB) : this.baseSize;
      this.bytes = new Uint8Array(Math.max(size, this.baseSize));
      this.offset = 0;
    }
    return Math.min(this.bytes.length - this.offset, limit);
  }

  /**
   * Before a deflate: a slab grown past the base size is left to the views
   * of the big output it holds, so a small frame waiting to be sent cannot
   * pin it. Inflaters keep writing into it: a message's inflated pieces are
   * gathered and let go when it ends (a small one is copied), and leaving a
   * grown slab after every call left up to half of it unused yet pinned by
   * the views before it, so a bomb's held pieces pinned up to twice what
   * they held (issue 8 review).
   */
  finish(): void {
    if (this.bytes.length > this.baseSize) {
      this.bytes = new Uint8Array(0);
      this.offset = 0;
    }
  }

  /** Hands out the `length` bytes just written at `offset`. */
  commit(length: number): Uint8Array {
    const view = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return view;
  }
}

/** Shared by inflaters and deflaters: owns the stream, the handle and the error hook. */
class ZlibContext {
  private stream: ZlibStreamInternals | undefined;
  private readonly handle: ZlibHandle;
  readonly state: Uint32Array;
  /** Set by the handle's `onerror` during a `writeSync`. */
  error: string | undefined;

  constructor(stream: object) {
    const internals = zlibInternals(stream);
    this.stream = internals;
    this.handle = internals._handle as ZlibHandle;
    this.state = internals._writeState;
    // Replaces zlibOnError, which would destroy the stream and queue an
    // 'error' event; we report the failure as a value instead.
    this.handle.onerror = (message: string, _errno: number, code?: string) => {
      this.error = code === undefined ? message : `${message} (${code})`;
    };
  }

  /** The handle, or a throw if closed: using a closed codec is a caller bug. */
  open(what: string): ZlibHandle {
    if (this.stream === undefined) throw new Error(`Cannot ${what}: it was closed`);
    return this.handle;
  }

  reset(what: string): void {
    this.error = undefined;
    this.open(what).reset();
  }

  close(): void {
    // The public close() frees the native state synchronously (destroy →
    // _destroy → handle.close()); safe after an error since onerror was ours.
    this.stream?.close();
    this.stream = undefined;
  }
}

// Returned by every inflater for empty input: frozen (chunks too), so a caller
// that appends to a result it got cannot change what every other caller gets.
const NOTHING: InflateResult = Object.freeze({
  ok: true,
  chunks: Object.freeze([]),
  length: 0,
});

/**
 * Empty stored blocks (`00 00 00 ff ff` each), fed after a message's tail to
 * prove the stream stands at a block boundary. There they change nothing (no
 * output, no window change). Inside a block (a stream cut short) their bits
 * are read as the rest of it: 64 blocks are 2560 bits, more than the longest
 * dynamic block header (14 + 19 * 3 + 316 * 7 = 2283 bits) and a symbol
 * after it (48 bits at most), so zlib produces output, fails, or ends the
 * stream before reading them all. A native call over 320 bytes per message.
 */
const BOUNDARY_PROBE = new Uint8Array(64 * 5).map((_, i) => (i % 5 < 3 ? 0x00 : 0xff));
/**
 * What may follow a final block (BFINAL) in a message, the tail included:
 * the tail alone, or the `00` octet of RFC 7692 §7.2.3.4 and the tail.
 */
const AFTER_FINAL_TAIL = Uint8Array.of(0x00, 0x00, 0xff, 0xff);
const AFTER_FINAL_OCTET_TAIL = Uint8Array.of(0x00, 0x00, 0x00, 0xff, 0xff);

function corrupt(message: string): InflateResult {
  return { ok: false, reason: 'corrupt', message: `Invalid DEFLATE data: ${message}` };
}

class ZlibInflater implements Inflater {
  private readonly context: ZlibContext;
  /**
   * Set once the stream ended with a final block inside the current message:
   * the bytes seen after it (at most 5 are allowed, see AFTER_FINAL_*).
   */
  private afterFinal: number[] | undefined;

  constructor(
    options: InflaterOptions,
    private readonly slab: OutputSlab,
  ) {
    checkWindowBits(options.windowBits, 8);
    this.context = new ZlibContext(
      zlib.createInflateRaw({ windowBits: options.windowBits, chunkSize: Z_MIN_CHUNK }),
    );
  }

  inflate(data: Uint8Array, maxOutputLength: number, endOfMessage = false): InflateResult {
    if (!(maxOutputLength >= 0)) {
      throw new RangeError(`maxOutputLength must be >= 0: got ${String(maxOutputLength)}`);
    }
    const handle = this.context.open('inflate');
    // Sync flush leaves nothing pending between calls, so no input means no output.
    if (data.byteLength === 0 && !endOfMessage) return NOTHING;
    let result =
      this.afterFinal === undefined
        ? this.inflateWith(handle, data, maxOutputLength)
        : this.followFinal(data, 0, NOTHING);
    if (result.ok && endOfMessage) result = this.endMessage(handle, result);
    return result;
  }

  private inflateWith(
    handle: ZlibHandle,
    data: Uint8Array,
    maxOutputLength: number,
  ): InflateResult {
    const state = this.context.state;
    const chunks: Uint8Array[] = [];
    let length = 0;
    let inputOffset = 0;
    let inputLeft = data.byteLength;
    let grow = false;
    for (;;) {
      // Room for one byte over the limit: producing it proves "too big"
      // without producing the rest.
      const room = this.slab.reserve(maxOutputLength + 1 - length, MIN_ROOM, grow);
      handle.writeSync(
        Z_SYNC_FLUSH,
        data,
        inputOffset,
        inputLeft,
        this.slab.bytes,
        this.slab.offset,
        room,
      );
      if (this.context.error !== undefined) return corrupt(this.context.error);
      const outputLeft = state[0] as number;
      const inputLeftAfter = state[1] as number;
      const produced = room - outputLeft;
      if (produced > 0) {
        chunks.push(this.slab.commit(produced));
        length += produced;
      }
      inputOffset += inputLeft - inputLeftAfter;
      inputLeft = inputLeftAfter;
      if (length > maxOutputLength) {
        return {
          ok: false,
          reason: 'too-big',
          message: `Inflated data is over the limit of ${maxOutputLength} bytes`,
        };
      }
      if (outputLeft === 0) {
        grow = true; // output space ran out: zlib may have more to give
        continue;
      }
      const result: InflateResult = { ok: true, chunks, length };
      if (inputLeft === 0) return result;
      // Output space left yet input unread: the DEFLATE stream ended with a
      // final block (BFINAL, RFC 7692 §7.2.3.4) and zlib reads no further.
      this.afterFinal = [];
      return this.followFinal(data, inputOffset, result);
    }
  }

  /**
   * Takes bytes that follow a final block. They are not inflated: only the
   * tail (and the §7.2.3.4 octet) may come, checked at the end of the message;
   * anything longer is trailing garbage, refused at once.
   */
  private followFinal(data: Uint8Array, from: number, result: InflateResult): InflateResult {
    const after = this.afterFinal as number[];
    if (after.length + data.byteLength - from > AFTER_FINAL_OCTET_TAIL.length) {
      return corrupt('data after the final block');
    }
    for (let i = from; i < data.byteLength; i++) after.push(data[i] as number);
    return result;
  }

  /** Checks that the message's DEFLATE data ended cleanly (see `Inflater.inflate`). */
  private endMessage(handle: ZlibHandle, result: InflateResult): InflateResult {
    const after = this.afterFinal;
    if (after !== undefined) {
      // The stream is over: the next message starts a new one (the sender's
      // window died with its final block too).
      this.afterFinal = undefined;
      if (!sameBytes(after, AFTER_FINAL_TAIL) && !sameBytes(after, AFTER_FINAL_OCTET_TAIL)) {
        return corrupt('data after the final block');
      }
      handle.reset();
      return result;
    }
    // At a block boundary the probe is read whole and yields nothing. Room
    // for one byte: any output proves the stream was inside a block.
    const room = this.slab.reserve(1, 1, false);
    handle.writeSync(
      Z_SYNC_FLUSH,
      BOUNDARY_PROBE,
      0,
      BOUNDARY_PROBE.length,
      this.slab.bytes,
      this.slab.offset,
      room,
    );
    if (this.context.error !== undefined) {
      return corrupt(`the message ends inside a block (${this.context.error})`);
    }
    const state = this.context.state;
    if (state[0] !== room || state[1] !== 0) {
      return corrupt('the message ends inside a block (cut short?)');
    }
    return result;
  }

  reset(): void {
    this.afterFinal = undefined;
    this.context.reset('reset an inflater');
  }

  close(): void {
    this.afterFinal = undefined;
    this.context.close();
  }
}

function sameBytes(bytes: readonly number[], expected: Uint8Array): boolean {
  return bytes.length === expected.length && bytes.every((b, i) => b === expected[i]);
}

/**
 * What a sync flush emits for no input: an empty stored block. zlib emits
 * nothing when flushing twice with no input between (Z_BUF_ERROR), yet the
 * caller still needs the marker the contract promises.
 */
const EMPTY_SYNC_FLUSH = [0x00, 0x00, 0x00, 0xff, 0xff] as const;

class ZlibDeflater implements Deflater {
  private readonly context: ZlibContext;

  constructor(
    options: DeflaterOptions,
    defaults: ZlibDeflateCodecOptions,
    private readonly slab: OutputSlab,
  ) {
    checkWindowBits(options.windowBits, 8);
    const level = options.level ?? defaults.level;
    const memLevel = options.memLevel ?? defaults.memLevel;
    this.context = new ZlibContext(
      zlib.createDeflateRaw({
        // zlib refuses raw deflate with an 8-bit window (deflateInit2: "until
        // 256-byte window bug fixed"). 9 is safe for a peer inflating with 8:
        // zlib never emits a distance over 2^w - 262 (250 at w = 9).
        windowBits: Math.max(9, options.windowBits),
        chunkSize: Z_MIN_CHUNK,
        ...(level === undefined ? {} : { level }),
        ...(memLevel === undefined ? {} : { memLevel }),
      }),
    );
  }

  deflate(data: Uint8Array): Uint8Array {
    const handle = this.context.open('deflate');
    this.slab.finish();
    const chunks = this.deflateWith(handle, data);
    this.slab.finish();
    if (chunks.length === 0) return Uint8Array.from(EMPTY_SYNC_FLUSH);
    // Output spanning several slabs: one copy to hand back contiguous bytes.
    return chunks.length === 1 ? (chunks[0] as Uint8Array) : concat(chunks);
  }

  /** Deflates and sync-flushes `data` into slab views. */
  private deflateWith(handle: ZlibHandle, data: Uint8Array): Uint8Array[] {
    const state = this.context.state;
    const chunks: Uint8Array[] = [];
    let inputOffset = 0;
    let inputLeft = data.byteLength;
    let grow = false;
    for (;;) {
      // Room for the whole output when it is small: one view, no copy.
      const room = this.slab.reserve(Number.MAX_SAFE_INTEGER, inputLeft + 64, grow);
      handle.writeSync(
        Z_SYNC_FLUSH,
        data,
        inputOffset,
        inputLeft,
        this.slab.bytes,
        this.slab.offset,
        room,
      );
      if (this.context.error !== undefined) {
        // zlib's deflate fails only on a broken stream state: a bug, not input.
        throw new Error(`zlib deflate failed: ${this.context.error}`);
      }
      const outputLeft = state[0] as number;
      const produced = room - outputLeft;
      inputOffset += inputLeft - (state[1] as number);
      inputLeft = state[1] as number;
      if (produced > 0) chunks.push(this.slab.commit(produced));
      if (outputLeft === 0) {
        grow = true;
        continue;
      }
      // A sync flush that left output space has consumed and flushed everything.
      return chunks;
    }
  }

  reset(): void {
    this.context.reset('reset a deflater');
  }

  close(): void {
    this.context.close();
  }
}

function checkWindowBits(bits: number, min: number): void {
  if (!Number.isInteger(bits) || bits < min || bits > 15) {
    throw new RangeError(`windowBits must be an integer from ${min} to 15: got ${String(bits)}`);
  }
}

/** A codec over `node:zlib` with its own output slab. Throws `RangeError` on bad options. */
export function createZlibDeflateCodec(options: ZlibDeflateCodecOptions = {}): DeflateCodec {
  const chunkSize = options.outputChunkSize ?? 16 * 1024;
  if (!Number.isInteger(chunkSize) || chunkSize < MIN_ROOM || chunkSize > MAX_SLAB) {
    throw new RangeError(
      `outputChunkSize must be an integer from ${MIN_ROOM} to ${MAX_SLAB}: got ${String(chunkSize)}`,
    );
  }
  const slab = new OutputSlab(chunkSize);
  return {
    createInflater: (inflaterOptions) => new ZlibInflater(inflaterOptions, slab),
    createDeflater: (deflaterOptions) => new ZlibDeflater(deflaterOptions, options, slab),
    // OutputSlab carves output and never writes it again.
    stableOutput: true,
  };
}

/** The default codec: zlib's level, memLevel 8, 16 KiB output slabs. */
export const zlibDeflateCodec: DeflateCodec = createZlibDeflateCodec();
