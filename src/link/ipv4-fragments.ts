/**
 * IPv4 fragmentation on send (RFC 791 §3.2): a datagram larger than the
 * MTU goes out as fragments whose data is a multiple of 8 bytes (the last
 * excepted), each with a copy of the 20-byte header, the same
 * identification, its offset and More Fragments, and its own checksum. And
 * the other way: the whole datagram that `Reassembly` put back together,
 * with a header that no longer says "fragment".
 */
import { allocFromSlab as allocFrame } from '../bytes/index.js';
import { Ipv4Packet } from '../wire/index.js';
import type { Reassembled } from './reassembly.js';

/** Largest IPv4 datagram (Total Length is 16 bits). */
export const IPV4_MAX_DATAGRAM = 65_535;

/**
 * Splits `datagram` (a 20-byte header, options not copied, then the payload)
 * into frames of at most `mtu` bytes of IP each. `linkHeader` bytes are left
 * at the front of every frame; `writeLink(frame)` fills them.
 */
export function fragmentIpv4(
  datagram: Uint8Array,
  mtu: number,
  linkHeader: number,
  writeLink: (frame: Uint8Array) => void,
): Uint8Array[] {
  const headerLength = 20;
  const payload = datagram.subarray(headerLength);
  const chunk = Math.floor((mtu - headerLength) / 8) * 8;
  const frames: Uint8Array[] = [];
  for (let offset = 0; offset < payload.length; offset += chunk) {
    const length = Math.min(chunk, payload.length - offset);
    const more = offset + length < payload.length;
    const frame = allocFrame(linkHeader + headerLength + length);
    writeLink(frame);
    frame.set(datagram.subarray(0, headerLength), linkHeader);
    frame.set(payload.subarray(offset, offset + length), linkHeader + headerLength);
    const ip = Ipv4Packet.unchecked(frame.subarray(linkHeader, linkHeader + headerLength));
    ip.setTotalLength(headerLength + length);
    ip.setFragment(false, more, offset / 8);
    ip.fillChecksum();
    frames.push(frame);
  }
  return frames;
}

/** The reassembled datagram as one buffer: the first fragment's header, Total Length set, fragment fields cleared. */
export function joinIpv4(reassembled: Reassembled): Uint8Array {
  const { header, payload } = reassembled;
  const datagram = new Uint8Array(header.length + payload.length);
  datagram.set(header, 0);
  datagram.set(payload, header.length);
  const ip = Ipv4Packet.unchecked(datagram);
  ip.setTotalLength(datagram.length);
  ip.setFragment(false, false, 0);
  ip.fillChecksum();
  return datagram;
}
