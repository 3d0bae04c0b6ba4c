/**
 * Allocation-free Internet checksum sums for the bindings' hot paths. The
 * wire module's `onesComplementSum` builds a `DataView` per call; replies and
 * verifications in the bindings sum byte ranges of buffers they already hold,
 * so they use this instead: a plain loop over 16-bit big-endian words, fold
 * with `foldChecksum`/`finishChecksum` from netrx/wire.
 */

/** The unfolded one's complement sum of `bytes[start..end)` plus `initial`; an odd last byte is padded with zero. */
export function sumBytes(bytes: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  let at = start;
  // Fold every 32k words so the sum stays a small integer.
  let words = 0;
  for (; at + 1 < end; at += 2) {
    sum += ((bytes[at] as number) << 8) | (bytes[at + 1] as number);
    if (++words === 0x8000) {
      sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
      words = 0;
    }
  }
  if (at < end) sum += (bytes[at] as number) << 8;
  return sum;
}

/** The unfolded sum of the 16-byte address at `bytes[at..at+16)`. */
export function sumAddress16(bytes: Uint8Array, at: number): number {
  return sumBytes(bytes, at, at + 16);
}

/** Writes a big-endian u16 at `at`. */
export function putU16(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = (value >>> 8) & 0xff;
  bytes[at + 1] = value & 0xff;
}

/** Writes a big-endian u32 at `at`. */
export function putU32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = (value >>> 24) & 0xff;
  bytes[at + 1] = (value >>> 16) & 0xff;
  bytes[at + 2] = (value >>> 8) & 0xff;
  bytes[at + 3] = value & 0xff;
}

/** Reads a big-endian u32 at `at` as an unsigned number. */
export function getU32(bytes: Uint8Array, at: number): number {
  return (
    (((bytes[at] as number) << 24) |
      ((bytes[at + 1] as number) << 16) |
      ((bytes[at + 2] as number) << 8) |
      (bytes[at + 3] as number)) >>>
    0
  );
}

/** A 6-byte MAC address as a new array from its 48-bit number. */
export function macFromNumber(value: number): Uint8Array<ArrayBuffer> {
  const high = Math.floor(value / 0x1000000);
  const low = value % 0x1000000;
  return Uint8Array.of(
    (high >>> 16) & 0xff,
    (high >>> 8) & 0xff,
    high & 0xff,
    (low >>> 16) & 0xff,
    (low >>> 8) & 0xff,
    low & 0xff,
  );
}
