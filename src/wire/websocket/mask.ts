/**
 * WebSocket masking (RFC 6455 §5.3): byte `i` of a masked payload is XORed with
 * byte `(i + phase) % 4` of the 4-byte masking key. Masking and unmasking are
 * the same operation.
 *
 * Hot path: the bulk of the payload is processed a 32-bit word at a time
 * through a `Uint32Array` over the word-aligned middle of the buffer, with a
 * byte loop for the unaligned head and the tail. The key word is assembled in
 * the platform's byte order, so the result is the same on any endianness.
 * `phase` lets a payload be unmasked piece by piece as it arrives in chunks:
 * pass the phase this call returns to the next one.
 */

/**
 * The shape of `maskInPlace`, so a host can inject a faster one (netrx/node
 * uses bufferutil's native loop when it is installed).
 */
export type MaskFunction = (data: Uint8Array, key: Uint8Array, phase: number) => number;

/**
 * The shape of `maskInto`: `source` XORed with the key from byte `phase`,
 * written into `target` (at least as long); returns the next phase. A host
 * may inject a faster one (netrx/node: a copy, then bufferutil's `unmask`).
 */
export type MaskIntoFunction = (
  source: Uint8Array,
  target: Uint8Array,
  key: Uint8Array,
  phase: number,
) => number;

/** Below this many bytes the byte loop beats setting up a word view. */
const WORD_THRESHOLD = 32;

// Scratch for building the rotated key word; masking is synchronous, so one
// module-level scratch is enough.
const keyScratch = new Uint8Array(4);
const keyScratchWord = new Uint32Array(keyScratch.buffer);

/**
 * XORs `data` with `key` starting at key byte `phase`, in place.
 * Returns the phase for the byte after `data` (`(phase + data.length) & 3`).
 */
export function maskInPlace(data: Uint8Array, key: Uint8Array, phase = 0): number {
  if (key.length !== 4) assertMaskKey(key);
  const length = data.length;
  const k0 = key[0] as number;
  const k1 = key[1] as number;
  const k2 = key[2] as number;
  const k3 = key[3] as number;
  let p = phase & 3;
  if (length < WORD_THRESHOLD) {
    for (let i = 0; i < length; i++) {
      const k = p === 0 ? k0 : p === 1 ? k1 : p === 2 ? k2 : k3;
      data[i] = (data[i] as number) ^ k;
      p = (p + 1) & 3;
    }
    return p;
  }

  // Head: bytes until the absolute address is 4-byte aligned.
  const head = (4 - (data.byteOffset & 3)) & 3;
  for (let i = 0; i < head; i++) {
    const k = p === 0 ? k0 : p === 1 ? k1 : p === 2 ? k2 : k3;
    data[i] = (data[i] as number) ^ k;
    p = (p + 1) & 3;
  }

  // Middle: whole aligned words, with the key rotated to the current phase.
  const words = (length - head) >>> 2;
  keyScratch[0] = key[p] as number;
  keyScratch[1] = key[(p + 1) & 3] as number;
  keyScratch[2] = key[(p + 2) & 3] as number;
  keyScratch[3] = key[(p + 3) & 3] as number;
  const keyWord = keyScratchWord[0] as number;
  const view = new Uint32Array(data.buffer, data.byteOffset + head, words);
  const unrolled = words & ~3;
  let w = 0;
  for (; w < unrolled; w += 4) {
    view[w] = (view[w] as number) ^ keyWord;
    view[w + 1] = (view[w + 1] as number) ^ keyWord;
    view[w + 2] = (view[w + 2] as number) ^ keyWord;
    view[w + 3] = (view[w + 3] as number) ^ keyWord;
  }
  for (; w < words; w++) view[w] = (view[w] as number) ^ keyWord;

  // Tail: the last 0-3 bytes. Whole words leave the phase where it was.
  for (let i = head + words * 4; i < length; i++) {
    const k = p === 0 ? k0 : p === 1 ? k1 : p === 2 ? k2 : k3;
    data[i] = (data[i] as number) ^ k;
    p = (p + 1) & 3;
  }
  return p;
}

/**
 * Writes `source` XORed with `key` (from key byte `phase`) into `target`, which
 * must be at least as long as `source`; `source` is left as it was unless the
 * two overlap. Returns the next phase.
 *
 * The copy is a `set` (a memmove) followed by the in-place word loop: that is
 * faster than a word loop over two buffers whose alignments may differ.
 */
export function maskInto(
  source: Uint8Array,
  target: Uint8Array,
  key: Uint8Array,
  phase = 0,
): number {
  if (target.length < source.length) {
    throw new RangeError(
      `Cannot mask into a smaller buffer: need ${source.length} bytes, target has ${target.length}`,
    );
  }
  const out = target.length === source.length ? target : target.subarray(0, source.length);
  out.set(source);
  return maskInPlace(out, key, phase);
}

/** Checks that `key` is a 4-byte masking key; throws `TypeError` otherwise. */
export function assertMaskKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== 4) {
    throw new TypeError(
      `A masking key must be a Uint8Array of 4 bytes: got ${key instanceof Uint8Array ? `${key.length} bytes` : typeof key}`,
    );
  }
}
