/**
 * The adapter's one look at a received frame's Ethernet header, before any
 * binding: its size (with up to two 802.1Q/802.1ad tags), the EtherType
 * after them, and whether the frame is a runt or a giant. Packed into one
 * number so the hot path allocates nothing.
 */

/** Shorter than its Ethernet header and tags. */
export const RUNT = -1;
/** Longer than MTU + header + a 4-byte FCS. */
export const GIANT = -2;
/** Room past the MTU for an FCS the adapter may have left on: protocols use their own lengths. */
export const FCS_ALLOWANCE = 4;

/**
 * Header size (low byte) and EtherType (next 16 bits) packed in one
 * number, or RUNT / GIANT.
 */
export function parseFrameHeader(frame: Uint8Array, mtu: number): number {
  if (frame.length < 14) return RUNT;
  let headerSize = 14;
  let etherType = ((frame[12] as number) << 8) | (frame[13] as number);
  // 802.1Q (0x8100) and 802.1ad (0x88a8) tags: up to two, the inner type is the protocol.
  for (let tags = 0; tags < 2 && (etherType === 0x8100 || etherType === 0x88a8); tags++) {
    if (frame.length < headerSize + 4) return RUNT;
    etherType = ((frame[headerSize + 2] as number) << 8) | (frame[headerSize + 3] as number);
    headerSize += 4;
  }
  if (frame.length - headerSize > mtu + FCS_ALLOWANCE) return GIANT;
  return headerSize | (etherType << 8);
}

/** The VLAN id of the innermost tag of a header of `headerSize` bytes, or -1 untagged. */
export function innerVlanId(frame: Uint8Array, headerSize: number): number {
  return headerSize > 14
    ? ((frame[headerSize - 4] as number) & 0x0f) * 256 + (frame[headerSize - 3] as number)
    : -1;
}

/** The TPID of the innermost tag of a header of `headerSize` bytes, or 0 untagged. */
export function innerVlanTpid(frame: Uint8Array, headerSize: number): number {
  return headerSize > 14
    ? ((frame[headerSize - 6] as number) << 8) | (frame[headerSize - 5] as number)
    : 0;
}

/**
 * A group (I/G bit set) or all-zero Ethernet source: never a real sender's
 * (IEEE 802.3 §3.2.3), and replies are addressed to the source. The frame
 * is at least a header long here.
 */
export function badSourceMac(frame: Uint8Array): boolean {
  const first = frame[6]!;
  if ((first & 1) !== 0) return true;
  return (first | frame[7]! | frame[8]! | frame[9]! | frame[10]! | frame[11]!) === 0;
}
