/**
 * Seeded message mixes for the permessage-deflate interop runs
 * (websocket-deflate-mix.test.ts): text and binary, compressible and not,
 * small (under every threshold), around the default 1024-byte threshold,
 * and large (up to 300 KiB), in a random order, so that an implementation
 * sees uncompressed and compressed messages interleaved as real traffic
 * does (a peer with the default threshold compresses only the big ones).
 *
 * Everything is drawn from one 32-bit seed with a small PRNG written here,
 * so a failure is reproduced with `NETRX_MIX_SEED=<seed>`.
 */
import { randomInt } from 'node:crypto';

/** mulberry32: a tiny, well-mixed 32-bit PRNG (deterministic per seed). */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  bool(p = 0.5): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  bytes(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i += 4) {
      const word = (this.next() * 4294967296) >>> 0;
      out[i] = word & 0xff;
      if (i + 1 < n) out[i + 1] = (word >>> 8) & 0xff;
      if (i + 2 < n) out[i + 2] = (word >>> 16) & 0xff;
      if (i + 3 < n) out[i + 3] = word >>> 24;
    }
    return out;
  }
}

/** The seed for this run: `NETRX_MIX_SEED` if set (to reproduce a failure), else a fresh one. */
export function mixSeed(): number {
  const fixed = process.env['NETRX_MIX_SEED'];
  if (fixed !== undefined && fixed !== '') {
    const seed = Number(fixed);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new RangeError(`NETRX_MIX_SEED must be a 32-bit unsigned integer: got ${fixed}`);
    }
    return seed;
  }
  // Under CI the seed is the UTC day, so every run of a day draws the same
  // mixes (a failure reproduces on the next try) while the mixes still
  // change from one day to the next; elsewhere each run draws new ones.
  if (process.env['CI'] === 'true') return Math.floor(Date.now() / 86_400_000);
  return randomInt(0, 0xffffffff);
}

export interface MixMessage {
  readonly text: boolean;
  /** For text: valid UTF-8 (whole code points). */
  readonly payload: Buffer;
  /** How it was made, for failure messages. */
  readonly kind: string;
}

const KiB = 1024;
const MAX_MESSAGE = 300 * KiB;
const WORDS = [
  'netrx',
  'frame',
  'deflate',
  'window',
  'κόσμε',
  'ü',
  '✓',
  '🎉',
  'takeover',
  '{"id":',
];

/** Drawn sizes: a quarter tiny, a quarter around the 1024 threshold, the rest up to 300 KiB. */
function drawSize(random: Random): number {
  const band = random.int(0, 7);
  if (band <= 1) return random.int(0, 200);
  if (band === 2) return random.int(900, 1200);
  if (band === 3) return random.int(1201, 16 * KiB);
  if (band === 4) return random.pick([17_054, 32 * KiB, 64 * KiB, 65_535, 65_536, 131_072]);
  return random.int(16 * KiB, MAX_MESSAGE);
}

/** `size` bytes of text (a little less, to end on a code point), compressible or nearly random. */
function drawText(random: Random, size: number, compressible: boolean): Buffer {
  const parts: string[] = [];
  let length = 0;
  while (length < size) {
    const piece = compressible
      ? `${random.pick(WORDS)} ${random.int(0, 99)} `
      : String.fromCodePoint(
          random.pick([
            random.int(0x20, 0x7e),
            random.int(0xa0, 0x7ff),
            random.int(0x800, 0xd7ff),
            random.int(0x10000, 0x10ffff),
          ]),
        );
    parts.push(piece);
    length += Buffer.byteLength(piece);
  }
  let bytes = Buffer.from(parts.join(''), 'utf8');
  let end = Math.min(size, bytes.length);
  while (end > 0 && end < bytes.length && (bytes[end]! & 0xc0) === 0x80) end--;
  bytes = bytes.subarray(0, end);
  return bytes;
}

function drawBinary(random: Random, size: number, compressible: boolean): Buffer {
  if (!compressible) return random.bytes(size);
  const out = Buffer.allocUnsafe(size);
  const noise = random.bytes(size);
  const period = random.int(1, 512);
  for (let i = 0; i < size; i++) out[i] = ((i % period) + (noise[i]! & 3)) & 0xff;
  return out;
}

/** `count` messages drawn from `random`. */
export function drawMix(random: Random, count: number): MixMessage[] {
  const messages: MixMessage[] = [];
  for (let i = 0; i < count; i++) {
    const text = random.bool();
    const compressible = random.bool(0.7);
    const size = drawSize(random);
    const payload = text
      ? drawText(random, size, compressible)
      : drawBinary(random, size, compressible);
    messages.push({
      text,
      payload,
      kind: `${text ? 'text' : 'binary'} ${payload.length} B ${compressible ? 'compressible' : 'random'}`,
    });
  }
  return messages;
}

/** ws's `perMessageDeflate` options (client or server), drawn. */
export interface WsDeflateSettings {
  readonly threshold?: number;
  readonly serverNoContextTakeover?: boolean;
  readonly clientNoContextTakeover?: boolean;
  readonly serverMaxWindowBits?: number;
  readonly clientMaxWindowBits?: number | true;
}

/**
 * Drawn settings for one side. Window bits 9..15: Node's zlib turns a raw
 * deflate window of 8 into 9, which RFC 7692 peers handle differently; 8 is
 * the core property test's business, not an interop run's.
 */
export function drawWsSettings(random: Random): WsDeflateSettings {
  const settings: {
    threshold?: number;
    serverNoContextTakeover?: boolean;
    clientNoContextTakeover?: boolean;
    serverMaxWindowBits?: number;
    clientMaxWindowBits?: number | true;
  } = {};
  const threshold = random.pick([undefined, 0, 64, 1024, 4096]);
  if (threshold !== undefined) settings.threshold = threshold;
  if (random.bool(0.4)) settings.serverNoContextTakeover = true;
  if (random.bool(0.4)) settings.clientNoContextTakeover = true;
  if (random.bool(0.4)) settings.serverMaxWindowBits = random.int(9, 15);
  if (random.bool(0.4)) settings.clientMaxWindowBits = random.bool(0.3) ? true : random.int(9, 15);
  return settings;
}

/** Where two byte strings first differ (for failure messages), or -1. */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}
