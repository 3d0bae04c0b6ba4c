/**
 * The Internet checksum (RFC 1071) and the pseudo-header sums that IPv4
 * (RFC 768, RFC 793) and IPv6 (RFC 8200 §8.1) put in front of UDP, TCP and
 * ICMPv6.
 *
 * The checksum is the one's complement of the one's complement sum of 16-bit
 * big-endian words. The sum is associative and independent of byte order in
 * the way RFC 1071 §2 describes, so we add 32-bit words (fewer DataView reads)
 * and fold the carries once at the end. Partial sums are plain numbers that
 * have not been folded yet: pass one as `initial` to keep summing (a
 * pseudo-header, then the segment), and call `finishChecksum` at the end.
 * A piece that does not start on an even byte of the whole cannot be summed
 * separately; sum contiguous bytes instead.
 */

/**
 * Adds the 16-bit big-endian words of `bytes` to `initial` and returns the
 * unfolded sum. An odd final byte counts as the high byte of a word padded
 * with zero (RFC 1071 §4.1). Allocates one DataView; never throws.
 */
export function onesComplementSum(bytes: Uint8Array, initial = 0): number {
  const length = bytes.length;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let sum = initial;
  let at = 0;
  // Four-byte words: each is < 2^32, so even a 64 KiB jumbogram sums far below 2^53.
  const wordEnd = length - (length % 4);
  let wide = 0;
  for (; at < wordEnd; at += 4) {
    wide += view.getUint32(at);
    // Fold into `sum` every 2^20 words so `wide` stays an exact integer for any length.
    if ((at & 0x3ffffc) === 0x3ffffc) {
      sum += foldWide(wide);
      wide = 0;
    }
  }
  sum += foldWide(wide);
  if (at + 2 <= length) {
    sum += view.getUint16(at);
    at += 2;
  }
  if (at < length) sum += (bytes[at] as number) << 8;
  return sum;
}

/**
 * The unfolded sum of `bytes[start..end)` plus `initial`, for hot paths that
 * sum a range of a buffer they already hold: no view, no DataView, no
 * allocation (`onesComplementSum` builds a DataView, which is cheaper only
 * for long inputs). An odd last byte is padded with zero.
 */
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

/** Reduces a sum of 32-bit words to a 17-bit sum of 16-bit words (same residue mod 0xffff). */
function foldWide(wide: number): number {
  // `wide` may exceed 2^32; split without bitwise ops, which would truncate it.
  const high = Math.floor(wide / 0x10000);
  return wide - high * 0x10000 + (high % 0x10000) + Math.floor(high / 0x10000);
}

/** Folds carries into the low 16 bits (end-around carry), giving a value 0..0xffff. */
export function foldChecksum(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s % 0x10000) + Math.floor(s / 0x10000);
  return s;
}

/** The checksum field value for a sum: the one's complement of the folded sum. */
export function finishChecksum(sum: number): number {
  return ~foldChecksum(sum) & 0xffff;
}

/** The RFC 1071 checksum of `bytes` (with the checksum field zero when computing one to send). */
export function internetChecksum(bytes: Uint8Array, initial = 0): number {
  return finishChecksum(onesComplementSum(bytes, initial));
}

/**
 * Whether `bytes`, checksum field included, sum to all ones, which is how a
 * receiver checks any Internet checksum (RFC 1071 §1 (4)).
 */
export function verifyInternetChecksum(bytes: Uint8Array, initial = 0): boolean {
  return foldChecksum(onesComplementSum(bytes, initial)) === 0xffff;
}

/**
 * Incremental update of a checksum when one 16-bit word changes from `oldWord`
 * to `newWord` (RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m')), e.g. after
 * rewriting a TTL or an address without summing the whole header again.
 */
export function updateChecksum(checksum: number, oldWord: number, newWord: number): number {
  return finishChecksum((~checksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff));
}

/** Incremental update for a 32-bit field (an IPv4 address), as two word updates. */
export function updateChecksum32(checksum: number, oldValue: number, newValue: number): number {
  return finishChecksum(
    (~checksum & 0xffff) +
      (~(oldValue >>> 16) & 0xffff) +
      (~oldValue & 0xffff) +
      ((newValue >>> 16) & 0xffff) +
      (newValue & 0xffff),
  );
}

/**
 * The unfolded sum of the IPv4 pseudo-header (RFC 768; RFC 793 §3.1): source
 * and destination addresses as uint32, zero, protocol, and the upper-layer
 * length. Pass it as `initial` when summing the UDP or TCP segment.
 */
export function ipv4PseudoHeaderSum(
  sourceAddress: number,
  destinationAddress: number,
  protocol: number,
  length: number,
): number {
  return (
    (sourceAddress >>> 16) +
    (sourceAddress & 0xffff) +
    (destinationAddress >>> 16) +
    (destinationAddress & 0xffff) +
    (protocol & 0xff) +
    (length & 0xffff)
  );
}

/**
 * The unfolded sum of the IPv6 pseudo-header (RFC 8200 §8.1): both 16-byte
 * addresses, the 32-bit upper-layer packet length and the next header value
 * (the upper-layer protocol, not that of an extension header).
 */
export function ipv6PseudoHeaderSum(
  sourceAddress: Uint8Array,
  destinationAddress: Uint8Array,
  nextHeader: number,
  length: number,
): number {
  let sum = (nextHeader & 0xff) + (length >>> 16) + (length & 0xffff);
  for (let i = 0; i < 16; i += 2) {
    sum +=
      (((sourceAddress[i] ?? 0) << 8) | (sourceAddress[i + 1] ?? 0)) +
      (((destinationAddress[i] ?? 0) << 8) | (destinationAddress[i + 1] ?? 0));
  }
  return sum;
}
