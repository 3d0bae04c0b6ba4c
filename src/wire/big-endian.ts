/**
 * Big-endian integers read from and written into a Uint8Array at an offset,
 * with plain byte arithmetic. The views of this module (Ipv4Packet,
 * UdpDatagram, ...) use these instead of a DataView, so making a view costs
 * one small object and nothing else: the link bindings build several views
 * per reply, and a DataView per view showed in the reply benchmarks.
 * Reads past the end give 0 for the missing bytes (checked views never do).
 */

/** The u16 at `bytes[at..at+2)`. */
export function readU16(bytes: Uint8Array, at: number): number {
  return (((bytes[at] as number) << 8) | (bytes[at + 1] as number)) & 0xffff;
}

/** The u32 at `bytes[at..at+4)` (unsigned). */
export function readU32(bytes: Uint8Array, at: number): number {
  return (
    (((bytes[at] as number) << 24) |
      ((bytes[at + 1] as number) << 16) |
      ((bytes[at + 2] as number) << 8) |
      (bytes[at + 3] as number)) >>>
    0
  );
}

/** Writes the low 16 bits of `value` at `bytes[at..at+2)`. */
export function writeU16(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = (value >>> 8) & 0xff;
  bytes[at + 1] = value & 0xff;
}

/** Writes the low 32 bits of `value` at `bytes[at..at+4)`. */
export function writeU32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = (value >>> 24) & 0xff;
  bytes[at + 1] = (value >>> 16) & 0xff;
  bytes[at + 2] = (value >>> 8) & 0xff;
  bytes[at + 3] = value & 0xff;
}
