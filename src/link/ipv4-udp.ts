/**
 * UDP over IPv4 for the IPv4 binding (RFC 768, RFC 1122 §4.1): the receive
 * side (length and checksum checks, delivery to the bound socket, Port
 * Unreachable for a unicast datagram nobody listens for) and the datagram
 * written into a frame being built for a send.
 */
import {
  finishChecksum,
  foldChecksum,
  IpProtocol,
  ipv4PseudoHeaderSum,
  sumBytes,
  type Ipv4Packet,
} from '../wire/index.js';
import { readU16 } from '../wire/big-endian.js';
import { putU16 } from './frame-write.js';
import type { Indication } from './indication.js';
import { ICMP_UNREACHABLE, sendIcmpError, UNICAST, type Ipv4Host } from './ipv4-icmp.js';
import type { UdpSockets } from './udp-socket.js';

/**
 * A UDP datagram in `ip` (accepted as `kind`); `trustOffload` says whether
 * the adapter's checksum-verified flag describes this datagram (not after
 * reassembly).
 */
export function receiveUdp4(
  host: Ipv4Host,
  sockets: UdpSockets,
  ind: Indication,
  ip: Ipv4Packet,
  kind: number,
  trustOffload: boolean,
): 'accepted' | 'not-accepted' {
  // Read in place at the header's end rather than through `ip.payload` and a
  // UdpDatagram view: two objects per datagram on the delivery path (issue 9,
  // CPU per op against 49e8fc3). The segment ends at Total Length.
  const bytes = ip.bytes;
  const at = ip.headerLength;
  const segmentLength = ip.totalLength - at;
  if (segmentLength < 8) return host.drop('bad-udp', ind.packetSize);
  const udpLength = readU16(bytes, at + 4);
  if (udpLength < 8 || udpLength > segmentLength) return host.drop('bad-udp', ind.packetSize);
  const source = ip.sourceAddress;
  const destination = ip.destinationAddress;
  if (
    readU16(bytes, at + 6) !== 0 &&
    !(trustOffload && ind.oob.checksumVerified?.udp === true) &&
    foldChecksum(
      sumBytes(bytes, at, at + udpLength, ipv4PseudoHeaderSum(source, destination, 17, udpLength)),
    ) !== 0xffff
  ) {
    return host.drop('bad-udp-checksum', ind.packetSize);
  }
  const outcome = sockets.deliver4(
    source,
    readU16(bytes, at),
    destination,
    readU16(bytes, at + 2),
    bytes,
    at + 8,
    at + udpLength,
  );
  if (outcome === 'delivered') {
    host.counters.delivered++;
    return 'accepted';
  }
  if (outcome === 'queue-full') {
    host.drop('socket-queue-full', ind.packetSize);
    return 'accepted';
  }
  host.drop('no-socket', ind.packetSize);
  if (kind === UNICAST) sendIcmpError(host, ind, ip, ICMP_UNREACHABLE, 3);
  return 'accepted';
}

/**
 * Writes the UDP header and `data` at `frame[at..]`, checksum filled (one
 * deliberate copy of `data`). Hand-written in place on purpose, as the IPv4
 * header is: a `UdpDatagram` view, a subarray and the generic checksum
 * routine cost 40 % of a send (review link-review3 F2); the views are for
 * reading accepted frames.
 */
export function writeUdp4(
  frame: Uint8Array,
  at: number,
  from: number,
  to: number,
  sourcePort: number,
  destinationPort: number,
  data: Uint8Array,
): void {
  const length = 8 + data.length;
  putU16(frame, at, sourcePort);
  putU16(frame, at + 2, destinationPort);
  putU16(frame, at + 4, length);
  putU16(frame, at + 6, 0);
  // Deliberate copy: the payload goes into the frame being built.
  frame.set(data, at + 8);
  const sum = finishChecksum(
    sumBytes(frame, at, at + length, ipv4PseudoHeaderSum(from, to, IpProtocol.Udp, length)),
  );
  // RFC 768: a computed zero is sent as all ones, since zero means "no checksum".
  putU16(frame, at + 6, sum === 0 ? 0xffff : sum);
}
