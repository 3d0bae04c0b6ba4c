/**
 * A MAC address as a 48-bit number (exact in a double), so a binding can
 * hand a neighbour's address to the neighbour cache without allocating, and
 * back to six bytes when a frame is built. The one home of these helpers
 * (the adapter's multicast list keeps two 24-bit halves instead, see
 * packet-filter.ts).
 */

/** The MAC at `bytes[at..at+6)` as a 48-bit number. */
export function macNumber(bytes: Uint8Array, at: number): number {
  return (
    ((bytes[at] as number) * 0x10000 +
      ((bytes[at + 1] as number) << 8) +
      (bytes[at + 2] as number)) *
      0x1000000 +
    (((bytes[at + 3] as number) << 16) |
      ((bytes[at + 4] as number) << 8) |
      (bytes[at + 5] as number))
  );
}

/** Writes the 48-bit MAC number `value` as six bytes at `into[at..at+6)` (the inverse of `macNumber`). */
export function writeMacNumber(into: Uint8Array, at: number, value: number): void {
  const high = Math.floor(value / 0x1000000);
  const low = value % 0x1000000;
  into[at] = (high >>> 16) & 0xff;
  into[at + 1] = (high >>> 8) & 0xff;
  into[at + 2] = high & 0xff;
  into[at + 3] = (low >>> 16) & 0xff;
  into[at + 4] = (low >>> 8) & 0xff;
  into[at + 5] = low & 0xff;
}

/** A 6-byte MAC address as a new array, from its 48-bit number. */
export function macFromNumber(value: number): Uint8Array<ArrayBuffer> {
  const mac = new Uint8Array(6);
  writeMacNumber(mac, 0, value);
  return mac;
}
