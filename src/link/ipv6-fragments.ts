/**
 * IPv6 fragments (RFC 8200 §4.5): putting a fragmented packet back together
 * from the pieces `Reassembly` kept, and cutting a packet larger than the
 * MTU into fragments on send. The unfragmentable part (the IPv6 header and
 * any extension headers before the Fragment header) comes from the first
 * fragment; the identification of what we send is chosen by the binding
 * (per destination and unpredictable, RFC 7739: identification.ts).
 */
import { allocFromSlab as allocFrame } from '../bytes/index.js';
import { Ipv6Packet } from '../wire/index.js';
import { putU16, putU32 } from './frame-write.js';
import type { Reassembled } from './reassembly.js';

export const NEXT_HEADER_FRAGMENT = 44;
/** Largest IPv6 payload without a jumbogram (Payload Length is 16 bits). */
export const IPV6_MAX_PAYLOAD = 65_535;

/**
 * The reassembled packet: `reassembled.header` is the first fragment's
 * unfragmentable part followed by its Fragment header; the Fragment header
 * is left out and its Next Header moved to where the Fragment header was
 * named (`namedAt`: 6 in the fixed header, or the first byte of the
 * extension header before it).
 */
export function joinIpv6(reassembled: Reassembled, namedAt: number): Uint8Array {
  const unfragmentable = reassembled.header.length - 8;
  const nextHeader = reassembled.header[unfragmentable] as number;
  const packet = new Uint8Array(unfragmentable + reassembled.payload.length);
  packet.set(reassembled.header.subarray(0, unfragmentable), 0);
  packet.set(reassembled.payload, unfragmentable);
  packet[namedAt] = nextHeader;
  Ipv6Packet.unchecked(packet).setPayloadLength(packet.length - 40);
  return packet;
}

/**
 * Cuts `packet` (a 40-byte header with no extension headers, then the
 * upper-layer data) into frames of at most `mtu` bytes of IP each, with a
 * Fragment header carrying `identification`. `linkHeader` bytes are left at
 * the front of each frame for `writeLink`.
 */
export function fragmentIpv6(
  packet: Uint8Array,
  mtu: number,
  linkHeader: number,
  identification: number,
  writeLink: (frame: Uint8Array) => void,
): Uint8Array[] {
  const upper = packet.subarray(40);
  const nextHeader = packet[6] as number;
  const chunk = Math.floor((mtu - 48) / 8) * 8;
  const frames: Uint8Array[] = [];
  for (let offset = 0; offset < upper.length; offset += chunk) {
    const length = Math.min(chunk, upper.length - offset);
    const more = offset + length < upper.length;
    const frame = allocFrame(linkHeader + 48 + length);
    writeLink(frame);
    frame.set(packet.subarray(0, 40), linkHeader);
    const ip = Ipv6Packet.unchecked(frame.subarray(linkHeader, linkHeader + 40));
    ip.setNextHeader(NEXT_HEADER_FRAGMENT);
    ip.setPayloadLength(8 + length);
    const fragment = linkHeader + 40;
    frame[fragment] = nextHeader;
    frame[fragment + 1] = 0;
    putU16(frame, fragment + 2, offset | (more ? 1 : 0)); // offset in 8-byte units, shifted by 3
    putU32(frame, fragment + 4, identification);
    frame.set(upper.subarray(offset, offset + length), fragment + 8);
    frames.push(frame);
  }
  return frames;
}
