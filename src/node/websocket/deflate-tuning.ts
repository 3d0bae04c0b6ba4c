/**
 * What a `perMessageDeflate` object tunes beyond the negotiation, as `ws`
 * names it, checked when the server or client is made and turned into the
 * `DeflateCodec` its handles use.
 *
 * zlib runs synchronously here (in time-bounded slices, see transport.ts),
 * so ws's `concurrencyLimit` (how many async zlib jobs run at once) is met
 * by construction: one operation at a time. `zlibInflateOptions` takes
 * `chunkSize` (the inflater's output slab) and `windowBits` (an upper bound:
 * the inflater always uses the negotiated window, so a bound below what
 * the peer may negotiate is refused); `zlibDeflateOptions` takes `level`,
 * `memLevel` and `chunkSize` (the deflater's output slab). Other zlib
 * options are refused rather than ignored.
 */
import {
  createDeflateCodecPool,
  type DeflateCodec,
  type Inflater,
  type InflaterOptions,
} from '../../websocket/index.js';
import { createZlibDeflateCodec, zlibDeflateCodec } from './zlib-codec.js';

export interface DeflateTuning {
  /** Messages shorter than this are sent uncompressed (default 1024 bytes, as in `ws`). */
  readonly threshold?: number;
  /**
   * zlib options for compressing: `level` (0-9), `memLevel` (1-9) and
   * `chunkSize` (bytes of the deflater's output slab, 256 to 1 MiB; default
   * 16 KiB). Others throw a TypeError.
   */
  readonly zlibDeflateOptions?: {
    readonly level?: number;
    readonly memLevel?: number;
    readonly chunkSize?: number;
  };
  /**
   * zlib options for inflating: `chunkSize` (bytes of the output slab,
   * 256 to 1 MiB; default 16 KiB) and `windowBits` (8-15, at least the
   * largest window the peer may negotiate). Others throw a TypeError.
   */
  readonly zlibInflateOptions?: { readonly chunkSize?: number; readonly windowBits?: number };
  /**
   * How many zlib operations may run at once (ws default 10): an integer
   * ≥ 1. zlib is synchronous here, so one runs at a time whatever it is.
   */
  readonly concurrencyLimit?: number;
}

/** The negotiation settings the inflate window is checked against. */
interface WindowNegotiation {
  readonly serverMaxWindowBits?: number | boolean;
}

const INFLATE_OPTIONS = new Set(['chunkSize', 'windowBits']);
const DEFLATE_OPTIONS = new Set(['level', 'memLevel', 'chunkSize']);
const MIN_CHUNK = 256;
const MAX_CHUNK = 1024 * 1024;

/**
 * Throws `TypeError`/`RangeError` for tuning that cannot be honoured.
 * `role` is this side's; the peer's window is at most 15 bits unless this
 * side is a client that demands `server_max_window_bits`.
 */
export function checkDeflateTuning(
  tuning: (DeflateTuning & WindowNegotiation) | undefined,
  role: 'client' | 'server',
): void {
  if (tuning === undefined) return;
  const limit: unknown = tuning.concurrencyLimit;
  if (limit !== undefined) {
    if (typeof limit !== 'number') {
      throw new TypeError(
        `perMessageDeflate.concurrencyLimit must be a number: got ${typeof limit}`,
      );
    }
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(
        `perMessageDeflate.concurrencyLimit must be an integer >= 1: got ${String(limit)}`,
      );
    }
  }
  checkDeflateOptions(tuning.zlibDeflateOptions);
  const inflate: unknown = tuning.zlibInflateOptions;
  if (inflate === undefined) return;
  if (typeof inflate !== 'object' || inflate === null) {
    throw new TypeError('perMessageDeflate.zlibInflateOptions must be an object');
  }
  for (const key of Object.keys(inflate)) {
    if (!INFLATE_OPTIONS.has(key)) {
      throw new TypeError(
        `perMessageDeflate.zlibInflateOptions.${key} is not supported (only chunkSize and windowBits)`,
      );
    }
  }
  const { chunkSize, windowBits } = inflate as { chunkSize?: unknown; windowBits?: unknown };
  if (
    chunkSize !== undefined &&
    (typeof chunkSize !== 'number' ||
      !Number.isInteger(chunkSize) ||
      chunkSize < MIN_CHUNK ||
      chunkSize > MAX_CHUNK)
  ) {
    throw new RangeError(
      `perMessageDeflate.zlibInflateOptions.chunkSize must be an integer from ${MIN_CHUNK} to ${MAX_CHUNK}: got ${shown(chunkSize)}`,
    );
  }
  if (windowBits === undefined) return;
  const peerMax =
    role === 'client' && typeof tuning.serverMaxWindowBits === 'number'
      ? tuning.serverMaxWindowBits
      : 15;
  if (
    typeof windowBits !== 'number' ||
    !Number.isInteger(windowBits) ||
    windowBits < peerMax ||
    windowBits > 15
  ) {
    throw new RangeError(
      `perMessageDeflate.zlibInflateOptions.windowBits must be an integer from ${peerMax} to 15 ` +
        `(the peer may compress with ${peerMax} bits${role === 'client' ? '' : ': a server cannot make a client use fewer'}): got ${shown(windowBits)}`,
    );
  }
}

/** `zlibDeflateOptions`: level 0-9, memLevel 1-9, chunkSize 256 B-1 MiB; nothing else. */
function checkDeflateOptions(deflate: unknown): void {
  if (deflate === undefined) return;
  if (typeof deflate !== 'object' || deflate === null) {
    throw new TypeError('perMessageDeflate.zlibDeflateOptions must be an object');
  }
  for (const key of Object.keys(deflate)) {
    if (!DEFLATE_OPTIONS.has(key)) {
      throw new TypeError(
        `perMessageDeflate.zlibDeflateOptions.${key} is not supported (only level, memLevel and chunkSize)`,
      );
    }
  }
  const options = deflate as Record<string, unknown>;
  const ranges: readonly (readonly [string, number, number])[] = [
    ['level', 0, 9],
    ['memLevel', 1, 9],
    ['chunkSize', MIN_CHUNK, MAX_CHUNK],
  ];
  for (const [key, min, max] of ranges) {
    const value = options[key];
    if (
      value !== undefined &&
      (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    ) {
      throw new RangeError(
        `perMessageDeflate.zlibDeflateOptions.${key} must be an integer from ${min} to ${max}: got ${shown(value)}`,
      );
    }
  }
}

function shown(value: unknown): string {
  return typeof value === 'number' ? String(value) : typeof value;
}

/** One pool for the process: idle connections hold no zlib memory, busy ones reuse it. */
const sharedDeflateCodec = createDeflateCodecPool(zlibDeflateCodec);

/** Pools whose inflaters and deflaters write into slabs of another size, by size (set by the application). */
const inflatePools = new Map<number, DeflateCodec>();
function inflatersFor(chunkSize: number | undefined): DeflateCodec {
  if (chunkSize === undefined) return sharedDeflateCodec;
  let pool = inflatePools.get(chunkSize);
  if (pool === undefined) {
    pool = createDeflateCodecPool(createZlibDeflateCodec({ outputChunkSize: chunkSize }));
    inflatePools.set(chunkSize, pool);
  }
  return pool;
}

const tunedCodecs = new Map<string, DeflateCodec>();

/** The shared pool, with the deflater level/memLevel/chunkSize and inflater chunkSize asked for. */
export function deflateCodecFor(tuning: DeflateTuning | undefined): DeflateCodec {
  const level = tuning?.zlibDeflateOptions?.level;
  const memLevel = tuning?.zlibDeflateOptions?.memLevel;
  const chunkSize = tuning?.zlibInflateOptions?.chunkSize;
  const deflateChunkSize = tuning?.zlibDeflateOptions?.chunkSize;
  if (
    level === undefined &&
    memLevel === undefined &&
    chunkSize === undefined &&
    deflateChunkSize === undefined
  ) {
    return sharedDeflateCodec;
  }
  const key = `${String(level)}/${String(memLevel)}/${String(chunkSize)}/${String(deflateChunkSize)}`;
  let codec = tunedCodecs.get(key);
  if (codec === undefined) {
    const inflaters = inflatersFor(chunkSize);
    // The deflater writes into its codec's output slab: a pool of that size.
    const deflaters = inflatersFor(deflateChunkSize);
    codec = {
      createInflater: (options: InflaterOptions): Inflater => inflaters.createInflater(options),
      // Both pools wrap zlib codecs, whose output is never rewritten.
      stableOutput: inflaters.stableOutput === true,
      createDeflater: (options) =>
        deflaters.createDeflater({
          ...options,
          ...(level === undefined ? {} : { level }),
          ...(memLevel === undefined ? {} : { memLevel }),
        }),
    };
    // Keys come from the application's options, not from peers.
    tunedCodecs.set(key, codec);
  }
  return codec;
}
