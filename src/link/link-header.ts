/**
 * The Ethernet header of what the stack's bindings send, and the VLAN a
 * received frame belongs to. A binding belongs to one segment: untagged
 * traffic (`vlan` -1, the default) or one 802.1Q VLAN id (1..4094). It sees
 * only that segment's frames and tags everything it sends, replies included,
 * the same way, so two stacks on one trunk never hear each other.
 *
 * Which segment a frame is on: an untagged frame, or one whose only tag is
 * a C-tag with VLAN id 0 (a priority tag, IEEE 802.1Q §9.6), is untagged; a
 * frame with one C-tag (TPID 0x8100) is on that tag's VLAN; a tag removed by
 * the adapter (`oob.vlan`, VLAN offload) counts as if it were still there,
 * as the outer tag (Linux's hardware-accelerated tag is the outer one). So a
 * frame with an offloaded tag and an in-band tag is double-tagged, like a
 * frame with two in-band tags (802.1ad stacking): it is on no segment a
 * binding can belong to, and every binding rejects it. A lone S-tag (TPID
 * 0x88a8) is a service tag, not a customer VLAN: a frame with only that is
 * on no segment either (a C-VLAN binding must not see provider traffic).
 * Read in O(1), without allocating.
 */
import type { Indication } from './indication.js';

/** The segment of untagged frames. */
export const UNTAGGED = -1;
/** What `frameSegment` returns for a frame with stacked tags or a lone S-tag: no binding belongs there. */
export const NO_SEGMENT = -2;
/** The TPID of an IEEE 802.1Q customer tag. */
const C_TAG = 0x8100;

/** Checks a VLAN option: undefined is untagged; otherwise an integer 1..4094. */
export function checkVlan(vlan: number | undefined): number {
  if (vlan === undefined) return UNTAGGED;
  if (!Number.isInteger(vlan) || vlan < 1 || vlan > 4094) {
    throw new RangeError(`A VLAN id is an integer from 1 to 4094: got ${vlan}`);
  }
  return vlan;
}

/** The segment `ind` arrived on (see the file comment). No allocation. */
export function frameSegment(ind: Indication): number {
  return segmentOf(ind.headerSize, ind.vlanTpid, ind.vlanId, ind.oob.vlan);
}

/**
 * The segment of a frame with a `headerSize`-byte header whose innermost
 * in-band tag has `tpid` and VLAN id `inBandId`, and `offloaded` the tag the
 * adapter removed, if any (see the file comment).
 */
export function segmentOf(
  headerSize: number,
  tpid: number,
  inBandId: number,
  offloaded: { readonly id: number } | undefined,
): number {
  if (headerSize === 14) {
    return offloaded === undefined || offloaded.id === 0 ? UNTAGGED : offloaded.id;
  }
  // Two tags (offloaded plus in-band, or two in-band), or a service tag alone.
  if (headerSize !== 18 || offloaded !== undefined || tpid !== C_TAG) return NO_SEGMENT;
  return inBandId === 0 ? UNTAGGED : inBandId;
}

/** The segment of a received frame's raw bytes (header `headerSize` bytes, parsed by the adapter). */
export function segmentOfFrame(
  frame: Uint8Array,
  headerSize: number,
  offloaded: { readonly id: number } | undefined,
): number {
  if (headerSize === 14) return segmentOf(14, 0, -1, offloaded);
  const tpid = ((frame[headerSize - 6] as number) << 8) | (frame[headerSize - 5] as number);
  const id = ((frame[headerSize - 4] as number) & 0x0f) * 256 + (frame[headerSize - 3] as number);
  return segmentOf(headerSize, tpid, id, offloaded);
}

/** Bytes of the link header a binding on `vlan` writes: 14, or 18 with a tag. */
export function linkHeaderLength(vlan: number): number {
  return vlan === UNTAGGED ? 14 : 18;
}

/**
 * Writes the link header of a frame we send: `destination` (left for the
 * neighbour cache to fill when undefined), our `source` MAC, the 802.1Q tag
 * of `vlan` (priority 0) unless untagged, and `etherType`. Returns where the
 * payload starts.
 */
export function writeLinkHeader(
  frame: Uint8Array,
  destination: Uint8Array | undefined,
  source: Uint8Array,
  vlan: number,
  etherType: number,
): number {
  // Byte loops, not set(subarray): replies are hot and a view per field shows.
  if (destination !== undefined) for (let i = 0; i < 6; i++) frame[i] = destination[i] as number;
  for (let i = 0; i < 6; i++) frame[6 + i] = source[i] as number;
  let at = 12;
  if (vlan !== UNTAGGED) {
    frame[12] = 0x81;
    frame[13] = 0x00;
    frame[14] = (vlan >>> 8) & 0x0f;
    frame[15] = vlan & 0xff;
    at = 16;
  }
  frame[at] = etherType >>> 8;
  frame[at + 1] = etherType & 0xff;
  return at + 2;
}

/**
 * Writes the link header of a reply to `ind`: to its sender (or to
 * `destination`), from `source`, on `vlan`. The one place the reply MAC
 * swap is written.
 */
export function writeReplyHeader(
  ind: Indication,
  frame: Uint8Array,
  source: Uint8Array,
  vlan: number,
  etherType: number,
  destination?: Uint8Array,
): number {
  const at = writeLinkHeader(frame, destination, source, vlan, etherType);
  if (destination === undefined) {
    // The requester's source MAC, byte by byte: no header view per reply.
    for (let i = 0; i < 6; i++) frame[i] = ind.headerByteAt(6 + i);
  }
  return at;
}
