/**
 * Frame builders for tests: whole Ethernet frames for ARP, IPv4 (ICMP echo,
 * UDP) and IPv6 (ICMPv6 echo and ND, UDP), with valid checksums unless told
 * otherwise, built with the emitters of netrx/wire. Tests of link bindings
 * use them as the scripted peer's side of the wire. Not for hot paths: they
 * allocate freely. No Node APIs here.
 */
import {
  emitIcmpv6,
  icmpv6MessageLength,
  emitIpv4,
  emitIpv6,
  internetChecksum,
  ipv4PseudoHeaderSum,
  ipv6PseudoHeaderSum,
  finishChecksum,
  onesComplementSum,
  parseIpv4Address,
  parseIpv6Address,
  parseMac,
  type Icmpv6Message,
} from '../wire/index.js';

function mac(text: string): Uint8Array {
  const parsed = parseMac(text);
  if (parsed === undefined) throw new TypeError(`Not a MAC address: ${text}`);
  return parsed;
}
function ip4(text: string): number {
  const parsed = parseIpv4Address(text);
  if (parsed === undefined) throw new TypeError(`Not an IPv4 address: ${text}`);
  return parsed;
}
function ip6(text: string): Uint8Array {
  const parsed = parseIpv6Address(text);
  if (parsed === undefined) throw new TypeError(`Not an IPv6 address: ${text}`);
  return parsed;
}

/** An Ethernet frame: destination, source, EtherType, payload; `padTo` pads with zeros (60 = the Ethernet minimum). */
export function ethernetFrame(
  destination: string,
  source: string,
  etherType: number,
  payload: Uint8Array,
  padTo = 0,
): Uint8Array {
  const frame = new Uint8Array(Math.max(14 + payload.length, padTo));
  frame.set(mac(destination), 0);
  frame.set(mac(source), 6);
  frame[12] = etherType >> 8;
  frame[13] = etherType & 0xff;
  frame.set(payload, 14);
  return frame;
}

/** An Ethernet/IPv4 ARP packet (28 bytes). */
export function arpPacket(options: {
  readonly operation: 1 | 2;
  readonly senderMac: string;
  readonly senderIp: string;
  readonly targetMac?: string;
  readonly targetIp: string;
}): Uint8Array {
  const bytes = new Uint8Array(28);
  bytes.set([0, 1, 8, 0, 6, 4, 0, options.operation], 0);
  bytes.set(mac(options.senderMac), 8);
  new DataView(bytes.buffer).setUint32(14, ip4(options.senderIp));
  bytes.set(mac(options.targetMac ?? '00:00:00:00:00:00'), 18);
  new DataView(bytes.buffer).setUint32(24, ip4(options.targetIp));
  return bytes;
}

export interface Ipv4DatagramOptions {
  readonly source: string;
  readonly destination: string;
  readonly protocol: number;
  readonly payload: Uint8Array;
  readonly ttl?: number;
  readonly identification?: number;
  readonly moreFragments?: boolean;
  readonly fragmentOffset?: number;
}

/** An IPv4 datagram with a valid header checksum. */
export function ipv4Datagram(options: Ipv4DatagramOptions): Uint8Array {
  const bytes = new Uint8Array(20 + options.payload.length);
  emitIpv4(
    {
      dscp: 0,
      ecn: 0,
      totalLength: bytes.length,
      identification: options.identification ?? 0x1234,
      reservedFlag: false,
      dontFragment: false,
      moreFragments: options.moreFragments ?? false,
      fragmentOffset: options.fragmentOffset ?? 0,
      timeToLive: options.ttl ?? 64,
      protocol: options.protocol,
      sourceAddress: ip4(options.source),
      destinationAddress: ip4(options.destination),
      options: new Uint8Array(0),
    },
    bytes,
  );
  bytes.set(options.payload, 20);
  return bytes;
}

/** An ICMP echo request or reply (type 8/0) with `data`, checksum filled. */
export function icmpv4Echo(
  type: 8 | 0,
  identifier: number,
  sequence: number,
  data: Uint8Array,
): Uint8Array {
  const bytes = new Uint8Array(8 + data.length);
  const view = new DataView(bytes.buffer);
  bytes[0] = type;
  view.setUint16(4, identifier);
  view.setUint16(6, sequence);
  bytes.set(data, 8);
  view.setUint16(2, internetChecksum(bytes));
  return bytes;
}

/** A UDP datagram over IPv4 with its checksum filled (or `checksum: 0` for none). */
export function udp4(
  source: string,
  sourcePort: number,
  destination: string,
  destinationPort: number,
  data: Uint8Array,
  checksum: 'fill' | 0 = 'fill',
): Uint8Array {
  const bytes = new Uint8Array(8 + data.length);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, sourcePort);
  view.setUint16(2, destinationPort);
  view.setUint16(4, bytes.length);
  bytes.set(data, 8);
  if (checksum === 'fill') {
    const sum = finishChecksum(
      onesComplementSum(
        bytes,
        ipv4PseudoHeaderSum(ip4(source), ip4(destination), 17, bytes.length),
      ),
    );
    view.setUint16(6, sum === 0 ? 0xffff : sum);
  }
  return bytes;
}

/** An IPv6 packet. */
export function ipv6Packet(options: {
  readonly source: string;
  readonly destination: string;
  readonly nextHeader: number;
  readonly payload: Uint8Array;
  readonly hopLimit?: number;
}): Uint8Array {
  const bytes = new Uint8Array(40 + options.payload.length);
  emitIpv6(
    {
      trafficClass: 0,
      flowLabel: 0,
      payloadLength: options.payload.length,
      nextHeader: options.nextHeader,
      hopLimit: options.hopLimit ?? 64,
      sourceAddress: ip6(options.source),
      destinationAddress: ip6(options.destination),
    },
    bytes,
  );
  bytes.set(options.payload, 40);
  return bytes;
}

/** An ICMPv6 message with its checksum over the given addresses. */
export function icmpv6Message(
  source: string,
  destination: string,
  message: Icmpv6Message,
): Uint8Array {
  const addresses = { sourceAddress: ip6(source), destinationAddress: ip6(destination) };
  const bytes = new Uint8Array(icmpv6MessageLength(message));
  emitIcmpv6(message, addresses, bytes);
  return bytes;
}

/** A UDP datagram over IPv6 with its checksum filled. */
export function udp6(
  source: string,
  sourcePort: number,
  destination: string,
  destinationPort: number,
  data: Uint8Array,
): Uint8Array {
  const bytes = new Uint8Array(8 + data.length);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, sourcePort);
  view.setUint16(2, destinationPort);
  view.setUint16(4, bytes.length);
  bytes.set(data, 8);
  const sum = finishChecksum(
    onesComplementSum(bytes, ipv6PseudoHeaderSum(ip6(source), ip6(destination), 17, bytes.length)),
  );
  view.setUint16(6, sum === 0 ? 0xffff : sum);
  return bytes;
}
