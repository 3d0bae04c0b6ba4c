/**
 * The few fields of an Ethernet frame the extcap's capture filter looks at
 * for `src`/`dst host`, `net` and `port`: read through up to two VLAN tags
 * (802.1Q 0x8100, 802.1ad 0x88a8, 0x9100), the IPv4 or IPv6 source and
 * destination, the protocol, and the TCP/UDP/SCTP ports, as pcap-filter
 * reads them: IPv4 ports only in the first fragment (offset 0), IPv6 ports
 * only when the fixed header's Next Header is TCP, UDP or SCTP (pcap-filter
 * does not walk extension headers for `port` either). Pure; never throws; a
 * frame too short for a field simply lacks it.
 */

export interface FrameHeaders {
  /** 4, 6, or 0 when the frame carries neither. */
  readonly ipVersion: 0 | 4 | 6;
  /** Views into the frame: 4 or 16 bytes. */
  readonly source: Uint8Array | undefined;
  readonly destination: Uint8Array | undefined;
  readonly protocol: number | undefined;
  readonly sourcePort: number | undefined;
  readonly destinationPort: number | undefined;
}

const VLAN_TAGS = new Set([0x8100, 0x88a8, 0x9100]);
export const PORT_PROTOCOLS = new Set([6, 17, 132]);
const NONE: FrameHeaders = {
  ipVersion: 0,
  source: undefined,
  destination: undefined,
  protocol: undefined,
  sourcePort: undefined,
  destinationPort: undefined,
};

export function frameHeaders(frame: Uint8Array): FrameHeaders {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  let at = 12;
  if (frame.length < at + 2) return NONE;
  let etherType = view.getUint16(at);
  for (let tags = 0; tags < 2 && VLAN_TAGS.has(etherType) && frame.length >= at + 6; tags++) {
    at += 4;
    etherType = view.getUint16(at);
  }
  at += 2;
  let transport: number;
  let protocol: number;
  let source: Uint8Array;
  let destination: Uint8Array;
  let ipVersion: 4 | 6;
  let portsAllowed: boolean;
  if (etherType === 0x0800) {
    if (frame.length < at + 20 || (frame[at] ?? 0) >> 4 !== 4) return NONE;
    ipVersion = 4;
    const ihl = ((frame[at] ?? 0) & 0xf) * 4;
    protocol = frame[at + 9] ?? 0;
    source = frame.subarray(at + 12, at + 16);
    destination = frame.subarray(at + 16, at + 20);
    portsAllowed = (view.getUint16(at + 6) & 0x1fff) === 0 && ihl >= 20;
    transport = at + ihl;
  } else if (etherType === 0x86dd) {
    if (frame.length < at + 40 || (frame[at] ?? 0) >> 4 !== 6) return NONE;
    ipVersion = 6;
    protocol = frame[at + 6] ?? 0;
    source = frame.subarray(at + 8, at + 24);
    destination = frame.subarray(at + 24, at + 40);
    portsAllowed = true;
    transport = at + 40;
  } else {
    return NONE;
  }
  const ports = portsAllowed && PORT_PROTOCOLS.has(protocol) && frame.length >= transport + 4;
  return {
    ipVersion,
    source,
    destination,
    protocol,
    sourcePort: ports ? view.getUint16(transport) : undefined,
    destinationPort: ports ? view.getUint16(transport + 2) : undefined,
  };
}

/** Whether `address` lies in `network`/`prefix` (same length, the first `prefix` bits equal). */
export function inNetwork(
  address: Uint8Array | undefined,
  network: Uint8Array,
  prefix: number,
): boolean {
  if (address === undefined || address.length !== network.length) return false;
  let bits = prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((address[i] ?? 0) & mask) !== ((network[i] ?? 0) & mask)) return false;
  }
  return true;
}
