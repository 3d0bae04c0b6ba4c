/**
 * The IPv6 binding's receive path once a packet is ours (RFC 8200): the
 * extension headers, fragments, then the upper layer.
 *
 * Hop-by-Hop and Destination options are honoured by their action bits
 * (RFC 8200 §4.2, ipv6-options.ts). An atomic fragment (offset 0, M clear)
 * is processed as the packet it carries (RFC 6946). A first fragment (offset
 * 0, M set) must hold the whole header chain up to and including the
 * upper-layer header (RFC 7112, RFC 8200 §4.5): one that does not is dropped
 * (`incomplete-header-chain`) and answered with Parameter Problem code 3,
 * pointer 0. Other fragments are put back together by a bounded
 * `Reassembly` (60 s; overlaps drop the packet, RFC 5722) and the packet is
 * then processed whole; when a packet times out after its first fragment
 * arrived, Time Exceeded code 1 goes to its source (RFC 8200 §4.5), only
 * when the first fragment was unicast to us, came link-directed and from a
 * source we answer (the rules of ipv6-icmp.ts), within the rate limit. An
 * unknown next header is dropped and answered with Parameter Problem code 1
 * (RFC 8200 §4).
 */
import {
  IpProtocol,
  Ipv6Packet,
  isIpv6ExtensionHeader,
  walkIpv6Extensions,
  type Ipv6ExtensionWalk,
} from '../wire/index.js';
import type { Indication } from './indication.js';
import { ipv6Key } from './ipv6-address.js';
import { joinIpv6, NEXT_HEADER_FRAGMENT } from './ipv6-fragments.js';
import { Ipv6Kind, NEXT_HEADER_ICMPV6, NEXT_HEADER_UDP, type Ipv6Host } from './ipv6-host.js';
import {
  ParameterProblemCode,
  receiveIcmpv6,
  sendIcmpv6Error,
  sendTimeExceeded,
  Icmpv6ErrorType,
} from './ipv6-icmp.js';
import { checkOptions } from './ipv6-options.js';
import { receiveUdp6 } from './ipv6-udp.js';
import { Destination } from './packet-filter.js';
import {
  FRAGMENT_DROPS,
  type ExpiredFirstFragment,
  type Reassembled,
  type Reassembly,
} from './reassembly.js';
import type { UdpSockets } from './udp-socket.js';

/** Bytes of the upper-layer header a first fragment must hold (RFC 7112 §5; Linux checks the same). */
function upperHeaderLength(protocol: number): number {
  if (protocol === NEXT_HEADER_UDP) return 8;
  if (protocol === NEXT_HEADER_ICMPV6) return 8;
  if (protocol === IpProtocol.Tcp) return 20;
  return 0;
}

/** See the file comment. */
export class Ipv6Receiver {
  constructor(
    private readonly host: Ipv6Host,
    private readonly udp: UdpSockets,
    private readonly reassembly: Reassembly,
    private readonly isOwnSource: (ip: Ipv6Packet) => boolean,
  ) {}

  /**
   * Extension headers, fragments, then the upper layer; `trustOffload` is
   * false for a reassembled packet, `reassembled` true.
   */
  process(
    ind: Indication,
    ip: Ipv6Packet,
    kind: number,
    trustOffload: boolean,
    reassembled = false,
  ): 'accepted' | 'not-accepted' {
    const host = this.host;
    const size = ind.packetSize;
    let fragmented = reassembled;
    let next = ip.nextHeader;
    let offset = 40;
    let pointer = 6; // where the Next Header field naming the upper layer is
    if (isIpv6ExtensionHeader(next)) {
      const walked = walkIpv6Extensions(next, ip.bytes, 40);
      if (!walked.ok) {
        if (walked.failure.code === 'bad-extension-order') {
          return this.misplacedHopByHop(ind, ip, kind, walked.failure.offset ?? 40);
        }
        if (isFirstFragment(ip)) return this.incompleteChain(ind, ip, kind);
        return host.drop('bad-extension-headers', size);
      }
      const walk = walked.value;
      const verdict = checkOptions(host, ind, ip, walk);
      if (verdict !== undefined) return verdict;
      const fragment = walk.fragment;
      if (fragment !== undefined && fragment.fragmentOffset === 0 && fragment.moreFragments) {
        const need = upperHeaderLength(walk.upperLayerProtocol);
        if (walk.upperLayerOffset + need > ip.bytes.length) {
          return this.incompleteChain(ind, ip, kind);
        }
      }
      // RFC 6946: an atomic fragment (offset 0, no more) is the whole packet.
      if (fragment !== undefined && (fragment.fragmentOffset !== 0 || fragment.moreFragments)) {
        return this.reassemble(ind, ip, walk, kind);
      }
      fragmented ||= fragment !== undefined;
      next = walk.upperLayerProtocol;
      offset = walk.upperLayerOffset;
      pointer = walk.headers.at(-1)?.offset ?? 6;
    }
    // An own address as the source: a loop or a spoof, never answered. ND
    // is exempt: a defender's NA during DAD comes from our tentative address.
    if (!isNeighborDiscovery(next, ip.bytes, offset) && this.isOwnSource(ip)) {
      return host.drop('bad-source', size);
    }
    host.counters.received++;
    if (next === NEXT_HEADER_ICMPV6) {
      return receiveIcmpv6(host, ind, ip, offset, kind, fragmented);
    }
    if (next === NEXT_HEADER_UDP) {
      return receiveUdp6(host, this.udp, ind, ip, offset, kind, trustOffload);
    }
    if (next === IpProtocol.Ipv6NoNextHeader) return 'accepted';
    host.drop('unknown-next-header', size);
    if (kind === Ipv6Kind.Unicast) {
      sendIcmpv6Error(
        host,
        ind,
        ip,
        Icmpv6ErrorType.ParameterProblem,
        ParameterProblemCode.UnrecognizedNextHeader,
        pointer,
      );
    }
    return 'not-accepted';
  }

  /** Time Exceeded for a packet whose reassembly timed out (the Reassembly's `onExpired`). */
  expired(first: ExpiredFirstFragment): void {
    sendTimeExceeded(this.host, first.context as Uint8Array, first.header, first.payload);
  }

  /**
   * RFC 8200 §4: Hop-by-Hop options only right after the IPv6 header; one at
   * `at` elsewhere is dropped with Parameter Problem code 1 pointing at the
   * Next Header field that named it (the walk vetted the headers before it).
   */
  private misplacedHopByHop(
    ind: Indication,
    ip: Ipv6Packet,
    kind: number,
    at: number,
  ): 'not-accepted' {
    this.host.drop('bad-extension-headers', ind.packetSize);
    if (kind === Ipv6Kind.Unicast) {
      sendIcmpv6Error(
        this.host,
        ind,
        ip,
        Icmpv6ErrorType.ParameterProblem,
        ParameterProblemCode.UnrecognizedNextHeader,
        namingField(ip.bytes, ip.nextHeader, at),
      );
    }
    return 'not-accepted';
  }

  /** RFC 7112: a first fragment without the whole header chain. */
  private incompleteChain(ind: Indication, ip: Ipv6Packet, kind: number): 'not-accepted' {
    this.host.drop('incomplete-header-chain', ind.packetSize);
    if (kind === Ipv6Kind.Unicast) {
      sendIcmpv6Error(
        this.host,
        ind,
        ip,
        Icmpv6ErrorType.ParameterProblem,
        ParameterProblemCode.IncompleteHeaderChain,
        0,
      );
    }
    return 'not-accepted';
  }

  /** A fragment: kept until its packet is whole, then the packet is processed (RFC 8200 §4.5). */
  private reassemble(
    ind: Indication,
    ip: Ipv6Packet,
    walk: Ipv6ExtensionWalk,
    kind: number,
  ): 'accepted' | 'not-accepted' {
    const at = walk.headers.findIndex((h) => h.type === NEXT_HEADER_FRAGMENT);
    const header = walk.headers[at] as Ipv6ExtensionWalk['headers'][number];
    const fragment = walk.fragment as NonNullable<Ipv6ExtensionWalk['fragment']>;
    const namedAt = at === 0 ? 6 : (walk.headers[at - 1] as { offset: number }).offset;
    const end = 40 + ip.payloadLength;
    const source = ipv6Key(ip.sourceAddress);
    // RFC 4443 §2.4 (e.1): no Time Exceeded about an ICMPv6 error, which the
    // walk (past the Fragment header of a first fragment) names.
    const icmpError =
      fragment.fragmentOffset === 0 &&
      walk.upperLayerProtocol === NEXT_HEADER_ICMPV6 &&
      walk.upperLayerOffset < end &&
      (ip.bytes[walk.upperLayerOffset] as number) < 128;
    const answerable =
      kind === Ipv6Kind.Unicast && ind.destination === Destination.Directed && !icmpError;
    const outcome = this.reassembly.add(
      `${source}/${ipv6Key(ip.destinationAddress)}/${fragment.identification}`,
      fragment.fragmentOffset * 8,
      fragment.moreFragments,
      ip.bytes.subarray(header.offset + 8, end),
      ip.bytes.subarray(0, header.offset + 8),
      source,
      // The sender's MAC, kept with a first fragment we may answer (Time Exceeded on timeout).
      answerable ? ind.header.slice(6, 12) : undefined,
    );
    if (outcome === 'pending' || outcome === 'duplicate') return 'accepted';
    if (outcome === 'too-large' && kind === Ipv6Kind.Unicast) {
      // RFC 8200 §4.5: Parameter Problem code 0 pointing at the Fragment Offset field.
      sendIcmpv6Error(
        this.host,
        ind,
        ip,
        Icmpv6ErrorType.ParameterProblem,
        ParameterProblemCode.ErroneousHeaderField,
        header.offset + 2,
      );
    }
    if (
      outcome === 'bad-fragment' &&
      kind === Ipv6Kind.Unicast &&
      fragment.moreFragments &&
      (end - header.offset - 8) % 8 !== 0
    ) {
      // RFC 8200 §4.5: M set and a length not a multiple of 8: Parameter
      // Problem code 0 pointing at the Payload Length.
      sendIcmpv6Error(
        this.host,
        ind,
        ip,
        Icmpv6ErrorType.ParameterProblem,
        ParameterProblemCode.ErroneousHeaderField,
        4,
      );
    }
    if (outcome !== 'complete') return this.host.drop(FRAGMENT_DROPS[outcome], ind.packetSize);
    const whole = Ipv6Packet.unchecked(joinIpv6(this.reassembly.last as Reassembled, namedAt));
    return this.process(ind, whole, kind, false, true);
  }
}

/**
 * Whether `ip` holds a Fragment header with offset 0 and M set before its
 * chain breaks off: a first fragment whose chain did not fit (RFC 7112).
 */
function isFirstFragment(ip: Ipv6Packet): boolean {
  const bytes = ip.bytes;
  let next = ip.nextHeader;
  let at = 40;
  for (let count = 0; count < 16 && isIpv6ExtensionHeader(next); count++) {
    if (at + 8 > bytes.length) return false;
    if (next === NEXT_HEADER_FRAGMENT) {
      const field = ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number);
      return field >> 3 === 0 && (field & 1) === 1;
    }
    const type = next;
    const lengthOctet = bytes[at + 1] as number;
    next = bytes[at] as number;
    at += type === IpProtocol.Ah ? (lengthOctet + 2) * 4 : (lengthOctet + 1) * 8;
  }
  return false;
}

/** Router Solicitation (133) to Redirect (137): ND, which has its own source rules. */
function isNeighborDiscovery(next: number, bytes: Uint8Array, offset: number): boolean {
  if (next !== NEXT_HEADER_ICMPV6) return false;
  const type = bytes[offset] ?? 0;
  return type >= 133 && type <= 137;
}

/**
 * The offset of the Next Header field that names the extension header at
 * `target`: 6 (the IPv6 header's) or the first byte of the header before it.
 * Walks from 40 over headers the chain walk already read as well-formed.
 */
function namingField(bytes: Uint8Array, firstHeader: number, target: number): number {
  let field = 6;
  let type = firstHeader;
  let at = 40;
  while (at < target && at + 1 < bytes.length) {
    field = at;
    const lengthOctet = bytes[at + 1] as number;
    const length =
      type === NEXT_HEADER_FRAGMENT
        ? 8
        : type === IpProtocol.Ah
          ? (lengthOctet + 2) * 4
          : (lengthOctet + 1) * 8;
    type = bytes[at] as number;
    at += length;
  }
  return field;
}
