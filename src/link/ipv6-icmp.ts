/**
 * ICMPv6 for the IPv6 binding (RFC 4443): the checksum, echo (also to a
 * joined group, answered from a unicast address, §4.2), the dispatch
 * of ND messages, and the errors the binding sends (Destination Unreachable
 * for a port, Parameter Problem for an unknown next header or option).
 *
 * No error is sent about an ICMPv6 error, about a packet from `::` or a
 * multicast source (the binding drops those first), about a fragment other
 * than the first (the binding drops those too: no reassembly), or about a
 * packet to a multicast address or that came as link-layer multicast or
 * broadcast, except Parameter Problem code 2 for an option whose action
 * bits are 10 (RFC 4443 §2.4 e). Errors are rate-limited and quote as much
 * of the packet as fits in 1280 bytes. Time Exceeded code 1 goes out when a
 * reassembly times out (ipv6-receive.ts). Packet Too Big is handed to the
 * path MTU table (ipv6-pmtu.ts) and Router Advertisements to router
 * discovery (ipv6-router-discovery.ts) through the host.
 */
import { allocFromSlab as allocFrame } from '../bytes/index.js';
import {
  Icmpv6Packet,
  Icmpv6Type,
  isIpv6Multicast,
  isIpv6Unspecified,
  updateChecksum,
  type Ipv6Packet,
} from '../wire/index.js';
import type { Indication } from './indication.js';
import {
  fillIcmpv6Checksum,
  icmpv6At,
  Ipv6Kind,
  NEXT_HEADER_ICMPV6,
  writeIpv6Frame,
  type Ipv6Host,
} from './ipv6-host.js';
import { receiveAdvertisement, receiveSolicitation } from './ipv6-nd.js';

/** IPv6 minimum MTU: an error and its quote fit in it (RFC 4443 §2.4 c). */
const MINIMUM_MTU = 1280;

/** Parameter Problem codes (RFC 4443 §3.4; code 3, RFC 7112). */
export const ParameterProblemCode = {
  ErroneousHeaderField: 0,
  UnrecognizedNextHeader: 1,
  UnrecognizedOption: 2,
  IncompleteHeaderChain: 3,
} as const;

/** ICMPv6 error types the binding sends or reads (RFC 4443 §3). */
export const Icmpv6ErrorType = {
  DestinationUnreachable: 1,
  PacketTooBig: 2,
  TimeExceeded: 3,
  ParameterProblem: 4,
} as const;

/** Time Exceeded code 1: fragment reassembly time exceeded (RFC 4443 §3.3). */
const REASSEMBLY_TIME_EXCEEDED = 1;
/** Router Advertisement (RFC 4861 §4.2). */
const ROUTER_ADVERTISEMENT = 134;

/** An ICMPv6 message at `ip.bytes[offset..]`, the packet accepted as `kind`. */
export function receiveIcmpv6(
  host: Ipv6Host,
  ind: Indication,
  ip: Ipv6Packet,
  offset: number,
  kind: number,
  fragmented = false,
): 'accepted' | 'not-accepted' {
  const message = ip.bytes.subarray(offset, 40 + ip.payloadLength);
  if (message.length < 8) return host.drop('bad-icmp', ind.packetSize);
  // RFC 6980 §5: ND messages (Router Solicitation 133 to Redirect 137) that
  // came with a Fragment header, atomic fragments included, are ignored.
  const type = message[0] as number;
  if (fragmented && type >= 133 && type <= 137) return host.drop('nd-fragmented', ind.packetSize);
  const icmp = Icmpv6Packet.unchecked(message);
  if (!icmp.verifyChecksum(ip.sourceAddress, ip.destinationAddress)) {
    return host.drop('bad-icmp-checksum', ind.packetSize);
  }
  switch (icmp.type) {
    case Icmpv6Type.EchoRequest:
      return receiveEcho(host, ind, ip, icmp, kind);
    case Icmpv6Type.NeighborSolicitation:
      return receiveSolicitation(host, ind, ip, icmp);
    case Icmpv6Type.NeighborAdvertisement:
      return receiveAdvertisement(host, ind, ip, icmp);
    case Icmpv6Type.MulticastListenerQuery:
      return host.mldQuery(ind, ip, icmp);
    case Icmpv6ErrorType.PacketTooBig:
      return host.packetTooBig(ind, icmp);
    case ROUTER_ADVERTISEMENT:
      return host.routerAdvertisement(ind, ip, icmp);
    default:
      host.counters.icmpOther++;
      return 'accepted';
  }
}

function receiveEcho(
  host: Ipv6Host,
  ind: Indication,
  ip: Ipv6Packet,
  request: Icmpv6Packet,
  kind: number,
): 'accepted' | 'not-accepted' {
  // RFC 4291 §2.5.2: `::` is never a source of a reply-worthy packet.
  if (isIpv6Unspecified(ip.sourceAddress)) return host.drop('bad-source', ind.packetSize);
  host.counters.echoRequests++;
  // RFC 4443 §4.2: an Echo Request to a multicast group we joined (all-nodes,
  // a solicited-node group) is answered too, from a unicast address of ours
  // (the one sourceFor picks for the requester: link-local for a link-local one).
  const from =
    kind === Ipv6Kind.Unicast
      ? ip.destinationAddress
      : kind === Ipv6Kind.Multicast
        ? host.sourceFor(ip.sourceAddress)
        : undefined;
  if (from === undefined) return 'accepted';
  const length = request.bytes.length;
  // One buffer: our link header, a fresh IPv6 header, the message copied once.
  const reply = allocFrame(host.linkHeader + 40 + length);
  const at = writeIpv6Frame(
    host,
    reply,
    undefined,
    ind,
    length,
    NEXT_HEADER_ICMPV6,
    host.hopLimit,
    from,
    ip.sourceAddress,
  );
  // Traffic class and flow label come back as they came (RFC 4443 §4.2 leaves it open; Linux does).
  reply.set(ip.bytes.subarray(0, 4), at);
  reply.set(request.bytes, at + 40);
  const echo = icmpv6At(reply, at, length);
  const code = echo.code;
  echo.setType(Icmpv6Type.EchoReply);
  if (kind === Ipv6Kind.Unicast) {
    // The pseudo-header sums the same two addresses and length: only the type word changes.
    echo.setChecksum(
      updateChecksum(
        echo.checksum,
        (Icmpv6Type.EchoRequest << 8) | code,
        (Icmpv6Type.EchoReply << 8) | code,
      ),
    );
  } else {
    // The group in the pseudo-header became our unicast address: sum again.
    fillIcmpv6Checksum(reply, at, echo);
  }
  host.counters.echoReplies++;
  host.sendPacket(reply, at);
  return 'accepted';
}

/**
 * Sends an ICMPv6 error (`type`, `code`, `pointer` for Parameter Problem)
 * about the packet `ip`, if the rules in the file comment allow it; `group`
 * marks the Parameter Problem code 2 exception.
 */
export function sendIcmpv6Error(
  host: Ipv6Host,
  ind: Indication,
  ip: Ipv6Packet,
  type: number,
  code: number,
  pointer: number,
  group = false,
): void {
  if (!group && isIpv6Multicast(ip.destinationAddress)) return;
  if (isIpv6Unspecified(ip.sourceAddress) || isIpv6Multicast(ip.sourceAddress)) return;
  if (isIcmpv6Error(ip)) return;
  if (!host.mayReportError(ind, group)) return;
  const total = 40 + ip.payloadLength;
  const quoted = Math.min(total, MINIMUM_MTU - 48);
  const length = 8 + quoted;
  const source = isIpv6Multicast(ip.destinationAddress)
    ? host.sourceFor(ip.sourceAddress)
    : ip.destinationAddress;
  if (source === undefined) return;
  const reply = allocFrame(host.linkHeader + 40 + length);
  const at = writeIpv6Frame(
    host,
    reply,
    undefined,
    ind,
    length,
    NEXT_HEADER_ICMPV6,
    host.hopLimit,
    source,
    ip.sourceAddress,
  );
  const icmp = icmpv6At(reply, at, length);
  icmp.setType(type);
  icmp.setCode(code);
  icmp.setRest(pointer);
  icmp.bytes.set(ip.bytes.subarray(0, quoted), 8);
  fillIcmpv6Checksum(reply, at, icmp);
  host.counters.icmpErrorsSent++;
  host.send(reply);
}

/**
 * Time Exceeded code 1 (RFC 8200 §4.5) for a packet whose reassembly timed
 * out: to `senderMac` (the first fragment's link sender), from the address
 * the packet was sent to, quoting the first fragment (`header`, which ends
 * with its Fragment header, then its `payload`) as far as 1280 bytes allow.
 * The receive path kept the context only when an error is allowed (never
 * for the first fragment of an ICMPv6 error, ipv6-receive.ts); the rate
 * limit is checked here.
 */
export function sendTimeExceeded(
  host: Ipv6Host,
  senderMac: Uint8Array,
  header: Uint8Array,
  payload: Uint8Array,
): void {
  const from = header.subarray(24, 40);
  const to = header.subarray(8, 24);
  if (isIpv6Unspecified(to) || isIpv6Multicast(to) || isIpv6Multicast(from)) return;
  if (!host.mayReportLater()) return;
  const quotedPayload = Math.max(0, Math.min(payload.length, MINIMUM_MTU - 48 - header.length));
  const length = 8 + header.length + quotedPayload;
  const reply = allocFrame(host.linkHeader + 40 + length);
  const at = writeIpv6Frame(
    host,
    reply,
    senderMac,
    undefined,
    length,
    NEXT_HEADER_ICMPV6,
    host.hopLimit,
    from,
    to,
  );
  const icmp = icmpv6At(reply, at, length);
  icmp.setType(Icmpv6ErrorType.TimeExceeded);
  icmp.setCode(REASSEMBLY_TIME_EXCEEDED);
  icmp.setRest(0);
  icmp.bytes.set(header, 8);
  icmp.bytes.set(payload.subarray(0, quotedPayload), 8 + header.length);
  fillIcmpv6Checksum(reply, at, icmp);
  host.counters.icmpErrorsSent++;
  host.send(reply);
}

/** Whether `ip` carries an ICMPv6 error message (types below 128), found without allocating. */
function isIcmpv6Error(ip: Ipv6Packet): boolean {
  if (ip.upperLayerProtocol !== NEXT_HEADER_ICMPV6) return false;
  const at = ip.upperLayerOffset;
  return at < ip.bytes.length && (ip.bytes[at] as number) < 128;
}
