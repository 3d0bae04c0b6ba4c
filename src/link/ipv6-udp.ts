/**
 * UDP over the IPv6 binding: the receive side (checksum always verified,
 * since a zero UDP checksum is invalid over IPv6, unless the adapter vouches
 * for it (a reassembled packet is always verified: the flag describes the
 * last fragment); `::` is never a valid source; port unreachable for an unbound
 * port) and the datagram written for `sendUdp`.
 */
import { isIpv6Unspecified, UdpDatagram, type Ipv6Packet } from '../wire/index.js';
import type { Indication } from './indication.js';
import { sendIcmpv6Error } from './ipv6-icmp.js';
import { Ipv6Kind, type Ipv6Host } from './ipv6-host.js';
import type { UdpSockets } from './udp-socket.js';

/** Destination Unreachable, port (RFC 4443 §3.1). */
const UNREACHABLE = 1;
const PORT_UNREACHABLE = 4;

/** A UDP datagram at `ip.bytes[offset..]`, the packet accepted as `kind`. */
export function receiveUdp6(
  host: Ipv6Host,
  sockets: UdpSockets,
  ind: Indication,
  ip: Ipv6Packet,
  offset: number,
  kind: number,
  trustOffload: boolean,
): 'accepted' | 'not-accepted' {
  const size = ind.packetSize;
  const packet = ip.bytes;
  if (isIpv6Unspecified(ip.sourceAddress)) return host.drop('bad-source', size);
  const segment = packet.subarray(offset, 40 + ip.payloadLength);
  if (segment.length < 8) return host.drop('bad-udp', size);
  const udp = UdpDatagram.unchecked(segment);
  const udpLength = udp.length;
  if (udpLength < 8 || udpLength > segment.length) return host.drop('bad-udp', size);
  if (
    !(trustOffload && ind.oob.checksumVerified?.udp === true) &&
    !udp.verifyChecksumIpv6(ip.sourceAddress, ip.destinationAddress)
  ) {
    return host.drop('bad-udp-checksum', size);
  }
  const outcome = sockets.deliver6(
    packet,
    udp.sourcePort,
    udp.destinationPort,
    offset + 8,
    offset + udpLength,
  );
  if (outcome === 'delivered') {
    host.counters.delivered++;
    return 'accepted';
  }
  if (outcome === 'queue-full') {
    host.drop('socket-queue-full', size);
    return 'accepted';
  }
  host.drop('no-socket', size);
  if (kind === Ipv6Kind.Unicast) sendIcmpv6Error(host, ind, ip, UNREACHABLE, PORT_UNREACHABLE, 0);
  return 'accepted';
}

/** Writes the UDP header and `data` at `frame[at..]` and fills the checksum over the IPv6 pseudo-header. */
export function writeUdp6(
  frame: Uint8Array,
  at: number,
  source: Uint8Array,
  sourcePort: number,
  destination: Uint8Array,
  destinationPort: number,
  data: Uint8Array,
): void {
  const udp = UdpDatagram.unchecked(frame.subarray(at, at + 8 + data.length));
  udp.setSourcePort(sourcePort);
  udp.setDestinationPort(destinationPort);
  udp.setLength(8 + data.length);
  // Deliberate copy: the payload goes into the frame being built.
  udp.bytes.set(data, 8);
  udp.fillChecksumIpv6(source, destination);
}
