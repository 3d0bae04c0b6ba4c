/**
 * The IPv6 binding (RFC 8200) with Neighbor Discovery (RFC 4861), Duplicate
 * Address Detection (RFC 4862 §5.4), ICMPv6 echo and errors (RFC 4443) and
 * UDP demultiplexing.
 *
 * Addresses: a link-local address derived from the adapter's MAC (modified
 * EUI-64, RFC 4291 §2.5.1 and App. A) plus configured ones. Each starts
 * TENTATIVE: it joins its solicited-node group (the binding's multicast list,
 * RFC 2464 §7 MAC) and sends `dadTransmits` Neighbor Solicitations from `::`,
 * one per `retransmitMs`; if nobody objects it becomes PREFERRED. An NA for
 * it, or an NS from `::` for it (another node's DAD), makes it FAILED
 * (counted as `dadFailures`, traced as `duplicate`). RFC 4862's random delay
 * before the first probe is left out: cores have no randomness of their own.
 * MLD reports are not sent (switches that snoop MLD may then not forward the
 * solicited-node group; a later issue).
 *
 * ND: solicitations for a PREFERRED own address are answered with a
 * solicited NA (S and O set, Target Link-Layer Address option), or an
 * unsolicited one to all-nodes when the solicitation came from `::`. ND
 * messages need hop limit 255 and code 0 and are validated as RFC 4861
 * §7.1 says; the neighbour cache (RFC 4861 states, bounded) learns from
 * source and target link-layer address options.
 *
 * Every length comes from Payload Length and UDP Length, so Ethernet padding
 * is ignored. ICMPv6 and UDP checksums are always verified (a zero UDP
 * checksum is invalid over IPv6) unless the adapter vouches for UDP. Packets
 * with a Fragment header are dropped and counted (no reassembly in this
 * issue). Errors are not sent about multicast packets and are rate-limited.
 * Rejection of another host's traffic allocates nothing.
 */
import { allocFromSlab as allocFrame } from '../bytes/index.js';
import type { Clock, Timer } from '../runtime/index.js';
import { NetrxError } from '../runtime/index.js';
import type { TraceProvider } from '../trace/index.js';
import {
  finishChecksum,
  foldChecksum,
  formatIpv6Address,
  ipv6MulticastMac,
  isIpv6ExtensionHeader,
  isIpv6Multicast,
  isIpv6SolicitedNode,
  isIpv6Unspecified,
  solicitedNodeMulticast,
  sumBytes,
  updateChecksum,
  walkIpv6Extensions,
} from '../wire/index.js';
import type { Adapter, BindingHandle, Protocol } from './adapter.js';
import { traceAddress, traceDrop } from './binding-events.js';
import type { Indication } from './indication.js';
import { putU16 } from './frame-write.js';
import { wholePacket } from './ipv4-binding.js';
import {
  NeighborCache,
  type NeighborCacheLimits,
  type NeighborCacheStats,
  type NeighborEntry,
  type NeighborSendResult,
} from './neighbor-cache.js';
import { macNumber, PacketFilter } from './packet-filter.js';
import { TokenBucket } from './token-bucket.js';
import type { UdpSendResult, UdpSockets } from './udp-socket.js';

export const ETHERTYPE_IPV6 = 0x86dd;

export type Ipv6AddressState = 'tentative' | 'preferred' | 'failed';

export type Ipv6DropReason =
  | 'truncated'
  | 'bad-version'
  | 'bad-source'
  | 'not-for-us'
  | 'tentative-destination'
  | 'bad-extension-headers'
  | 'fragment'
  | 'unknown-next-header'
  | 'bad-icmp'
  | 'bad-icmp-checksum'
  | 'bad-hop-limit'
  | 'bad-nd'
  | 'bad-udp'
  | 'bad-udp-checksum'
  | 'no-socket'
  | 'socket-queue-full'
  | 'icmp-rate-limited';

export type Ipv6SendDropReason = 'no-route' | 'no-source-address' | 'resolution-refused';

export interface Ipv6Limits {
  /** DupAddrDetectTransmits (RFC 4862). Default 1; 0 skips DAD. */
  readonly dadTransmits?: number;
  readonly icmpErrorsPerSecond?: number;
  readonly icmpErrorBurst?: number;
  /** Hop limit of packets we send (ND uses 255). Default 64. */
  readonly hopLimit?: number;
}

export interface Ipv6BindingOptions {
  readonly adapter: Adapter;
  readonly clock: Clock;
  readonly udp: UdpSockets;
  readonly trace?: TraceProvider;
  readonly neighborLimits?: NeighborCacheLimits;
  readonly limits?: Ipv6Limits;
  /** Configure the EUI-64 link-local address. Default true. */
  readonly linkLocal?: boolean;
  readonly name?: string;
}

export interface Ipv6AddressInfo {
  readonly address: string;
  readonly prefixLength: number;
  readonly state: Ipv6AddressState;
}

export interface Ipv6Stats {
  readonly name: string;
  readonly received: number;
  readonly delivered: number;
  readonly echoRequests: number;
  readonly echoReplies: number;
  readonly solicitationsReceived: number;
  readonly advertisementsSent: number;
  readonly advertisementsReceived: number;
  readonly solicitationsSent: number;
  readonly dadProbes: number;
  readonly dadSuccesses: number;
  readonly dadFailures: number;
  readonly conflicts: number;
  readonly icmpErrorsSent: number;
  readonly icmpOther: number;
  readonly sent: number;
  readonly drops: Readonly<Record<Ipv6DropReason, number>>;
  readonly sendDrops: Readonly<Record<Ipv6SendDropReason, number>>;
  readonly cache: NeighborCacheStats;
}

interface OwnAddress {
  readonly address: Uint8Array;
  readonly prefixLength: number;
  readonly group: Uint8Array;
  state: Ipv6AddressState;
  dadSent: number;
  timer: Timer | undefined;
}

const ALL_NODES = Uint8Array.of(0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
const ALL_NODES_MAC = Uint8Array.of(0x33, 0x33, 0, 0, 0, 1);
const UNSPECIFIED = new Uint8Array(16);

const NOT_OURS = 0;
const UNICAST = 1;
const MULTICAST = 2;
const TENTATIVE = 3;

/** The modified EUI-64 link-local address of `mac` (fe80::/64, U/L bit flipped, ff:fe inserted). */
export function linkLocalFromMac(mac: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(16);
  out[0] = 0xfe;
  out[1] = 0x80;
  out[8] = (mac[0] as number) ^ 0x02;
  out[9] = mac[1] as number;
  out[10] = mac[2] as number;
  out[11] = 0xff;
  out[12] = 0xfe;
  out[13] = mac[3] as number;
  out[14] = mac[4] as number;
  out[15] = mac[5] as number;
  return out;
}

/** A neighbour-cache key for the IPv6 address at `bytes[at..at+16)`: 32 hex digits. */
export function ipv6Key(bytes: Uint8Array, at = 0): string {
  let key = '';
  for (let i = 0; i < 16; i++) key += ((bytes[at + i] as number) | 0x100).toString(16).slice(1);
  return key;
}

function keyBytes(key: string): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = parseInt(key.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function prefixMatches(a: Uint8Array, aAt: number, b: Uint8Array, prefixLength: number): boolean {
  let bits = prefixLength;
  for (let i = 0; i < 16 && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((((a[aAt + i] as number) ^ (b[i] as number)) & mask) !== 0) return false;
  }
  return true;
}

function equalAt(bytes: Uint8Array, at: number, address: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (bytes[at + i] !== address[i]) return false;
  return true;
}

/** See the file comment. */
export class Ipv6Binding implements Protocol {
  readonly name: string;
  readonly cache: NeighborCache<string>;
  private readonly adapter: Adapter;
  private readonly clock: Clock;
  private readonly udp: UdpSockets;
  private readonly trace: TraceProvider | undefined;
  private readonly icmpBucket: TokenBucket;
  private readonly dadTransmits: number;
  private readonly retransmitMs: number;
  private readonly hopLimit: number;
  private addresses: OwnAddress[] = [];
  private readonly handle: BindingHandle;
  private closed = false;
  private counters = {
    received: 0,
    delivered: 0,
    echoRequests: 0,
    echoReplies: 0,
    solicitationsReceived: 0,
    advertisementsSent: 0,
    advertisementsReceived: 0,
    solicitationsSent: 0,
    dadProbes: 0,
    dadSuccesses: 0,
    dadFailures: 0,
    conflicts: 0,
    icmpErrorsSent: 0,
    icmpOther: 0,
    sent: 0,
  };
  private readonly drops: Record<Ipv6DropReason, number> = {
    truncated: 0,
    'bad-version': 0,
    'bad-source': 0,
    'not-for-us': 0,
    'tentative-destination': 0,
    'bad-extension-headers': 0,
    fragment: 0,
    'unknown-next-header': 0,
    'bad-icmp': 0,
    'bad-icmp-checksum': 0,
    'bad-hop-limit': 0,
    'bad-nd': 0,
    'bad-udp': 0,
    'bad-udp-checksum': 0,
    'no-socket': 0,
    'socket-queue-full': 0,
    'icmp-rate-limited': 0,
  };
  private readonly sendDrops: Record<Ipv6SendDropReason, number> = {
    'no-route': 0,
    'no-source-address': 0,
    'resolution-refused': 0,
  };

  constructor(options: Ipv6BindingOptions) {
    this.name = options.name ?? 'ipv6';
    this.adapter = options.adapter;
    this.clock = options.clock;
    this.udp = options.udp;
    this.trace = options.trace;
    const limits = options.limits ?? {};
    this.icmpBucket = new TokenBucket(
      options.clock,
      limits.icmpErrorsPerSecond ?? 10,
      limits.icmpErrorBurst ?? 10,
    );
    this.dadTransmits = limits.dadTransmits ?? 1;
    this.retransmitMs = options.neighborLimits?.retransmitMs ?? 1000;
    this.hopLimit = limits.hopLimit ?? 64;
    this.cache = new NeighborCache<string>(
      'nd',
      options.clock,
      {
        solicit: (key, unicast) => this.sendSolicitation(keyBytes(key), unicast),
        transmit: (frame) => this.handle.send(frame),
        format: (key) => formatIpv6Address(keyBytes(key)),
      },
      options.neighborLimits,
      options.trace,
    );
    this.handle = options.adapter.openBinding(this, {
      name: this.name,
      lookahead: 128,
      etherTypes: [ETHERTYPE_IPV6],
      packetFilter: PacketFilter.Directed | PacketFilter.Multicast,
      multicast: [ALL_NODES_MAC],
    });
    if (options.linkLocal ?? true) this.addAddress(linkLocalFromMac(options.adapter.mac), 64);
  }

  /** Adds an own address; it is TENTATIVE until DAD finishes (at once with `dadTransmits: 0`). */
  addAddress(address: Uint8Array, prefixLength: number): void {
    if (address.length !== 16)
      throw new TypeError(`An IPv6 address has 16 bytes: got ${address.length}`);
    if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > 128) {
      throw new RangeError(
        `An IPv6 prefix length is an integer from 0 to 128: got ${prefixLength}`,
      );
    }
    if (isIpv6Multicast(address) || isIpv6Unspecified(address)) {
      throw new TypeError(`Not a unicast IPv6 address: ${formatIpv6Address(address)}`);
    }
    this.removeAddress(address);
    const own: OwnAddress = {
      address: Uint8Array.from(address),
      prefixLength,
      group: solicitedNodeMulticast(address),
      state: 'tentative',
      dadSent: 0,
      timer: undefined,
    };
    this.addresses = [...this.addresses, own];
    this.handle.addMulticast(ipv6MulticastMac(own.group));
    if (this.dadTransmits === 0) {
      this.setState(own, 'preferred');
      return;
    }
    traceAddress(this.trace, 6, formatIpv6Address(own.address), 'tentative');
    this.dadStep(own);
  }

  removeAddress(address: Uint8Array): boolean {
    const own = this.addresses.find((a) => equalAt(a.address, 0, address));
    if (own === undefined) return false;
    own.timer?.cancel();
    this.addresses = this.addresses.filter((a) => a !== own);
    this.leaveGroup(own);
    traceAddress(this.trace, 6, formatIpv6Address(own.address), 'removed');
    return true;
  }

  addressList(): Ipv6AddressInfo[] {
    return this.addresses.map((a) => ({
      address: formatIpv6Address(a.address),
      prefixLength: a.prefixLength,
      state: a.state,
    }));
  }

  /** The MAC of `address` if known; otherwise starts Neighbor Solicitation. */
  resolve(address: Uint8Array): Uint8Array | undefined {
    return this.cache.resolve(ipv6Key(address));
  }

  entries(): NeighborEntry<string>[] {
    return this.cache.list();
  }

  receive(ind: Indication): 'accepted' | 'not-accepted' {
    if (ind.etherType !== ETHERTYPE_IPV6) return 'not-accepted';
    const size = ind.packetSize;
    if (size < 40 || ind.lookaheadSize < 40) return this.drop('truncated', size);
    if (ind.byteAt(0) >> 4 !== 6) return this.drop('bad-version', size);
    const total = 40 + ind.u16At(4);
    if (total > size) return this.drop('truncated', size);
    const kind = this.classify(ind);
    if (kind === NOT_OURS) {
      this.drops['not-for-us']++;
      return 'not-accepted';
    }
    if (kind === TENTATIVE) return this.drop('tentative-destination', size);
    if (ind.byteAt(8) === 0xff) return this.drop('bad-source', size);
    const bytes = wholePacket(ind, total);
    let next = bytes[6] as number;
    let offset = 40;
    if (isIpv6ExtensionHeader(next)) {
      const walk = walkIpv6Extensions(next, bytes, 40);
      if (!walk.ok) return this.drop('bad-extension-headers', size);
      if (walk.value.fragment !== undefined) return this.drop('fragment', size);
      next = walk.value.upperLayerProtocol;
      offset = walk.value.upperLayerOffset;
    }
    this.counters.received++;
    if (next === 58) return this.receiveIcmp(ind, bytes, offset, total, kind);
    if (next === 17) return this.receiveUdp(ind, bytes, offset, total, kind);
    if (next === 59) return 'accepted';
    return this.drop('unknown-next-header', size);
  }

  /** Sends a UDP datagram; `source` undefined picks an own PREFERRED address (RFC 6724, simplified). */
  sendUdp(
    source: Uint8Array | undefined,
    sourcePort: number,
    destination: Uint8Array,
    destinationPort: number,
    data: Uint8Array,
  ): UdpSendResult {
    const payloadLength = 8 + data.length;
    if (40 + payloadLength > this.adapter.mtu) {
      throw new NetrxError(
        'ERR_LINK_DATAGRAM_TOO_LARGE',
        `Cannot send ${data.length} bytes of UDP: more than the MTU of ${this.adapter.mtu} allows without fragmentation`,
      );
    }
    const multicast = isIpv6Multicast(destination);
    if (!multicast && !this.onLink(destination)) return this.sendDrop('no-route');
    const from = source ?? this.sourceFor(destination);
    if (from === undefined) return this.sendDrop('no-source-address');
    const frame = allocFrame(14 + 40 + payloadLength);
    this.writeHeaders(frame, payloadLength, 17, this.hopLimit, from, destination);
    putU16(frame, 54, sourcePort);
    putU16(frame, 56, destinationPort);
    putU16(frame, 58, payloadLength);
    // Deliberate copy: the payload goes into the frame being built.
    frame.set(data, 62);
    const sum = finishChecksum(
      sumBytes(frame, 54, 54 + payloadLength, this.pseudoSum(frame, 14, 17, payloadLength)),
    );
    putU16(frame, 60, sum === 0 ? 0xffff : sum);
    if (multicast) {
      frame.set(ipv6MulticastMac(destination), 0);
      this.counters.sent++;
      this.handle.send(frame);
      return 'sent';
    }
    return this.transmit(destination, frame);
  }

  stats(): Ipv6Stats {
    return {
      name: this.name,
      ...this.counters,
      drops: { ...this.drops },
      sendDrops: { ...this.sendDrops },
      cache: this.cache.stats(),
    };
  }

  /** Unbinds, cancels DAD and cache timers; idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const own of this.addresses) own.timer?.cancel();
    this.cache.close();
    this.handle.close();
  }

  // --- receive ------------------------------------------------------------

  private classify(ind: Indication): number {
    const addresses = this.addresses;
    if (ind.byteAt(24) === 0xff) {
      let all = true;
      for (let i = 1; i < 16; i++) {
        if (ind.byteAt(24 + i) !== ALL_NODES[i]) {
          all = false;
          break;
        }
      }
      if (all) return MULTICAST;
      for (let a = 0; a < addresses.length; a++) {
        const own = addresses[a] as OwnAddress;
        if (own.state !== 'failed' && matches(ind, 24, own.group)) return MULTICAST;
      }
      return NOT_OURS;
    }
    for (let a = 0; a < addresses.length; a++) {
      const own = addresses[a] as OwnAddress;
      if (matches(ind, 24, own.address)) return own.state === 'preferred' ? UNICAST : TENTATIVE;
    }
    return NOT_OURS;
  }

  private receiveIcmp(
    ind: Indication,
    bytes: Uint8Array,
    offset: number,
    total: number,
    kind: number,
  ): 'accepted' | 'not-accepted' {
    const length = total - offset;
    if (length < 8) return this.drop('bad-icmp', ind.packetSize);
    if (
      foldChecksum(sumBytes(bytes, offset, total, this.pseudoSum(bytes, 0, 58, length))) !== 0xffff
    ) {
      return this.drop('bad-icmp-checksum', ind.packetSize);
    }
    const type = bytes[offset] as number;
    switch (type) {
      case 128:
        return this.receiveEcho(ind, bytes, offset, total, kind);
      case 135:
        return this.receiveSolicitation(ind, bytes, offset, total);
      case 136:
        return this.receiveAdvertisement(ind, bytes, offset, total);
      default:
        this.counters.icmpOther++;
        return 'accepted';
    }
  }

  private receiveEcho(
    ind: Indication,
    bytes: Uint8Array,
    offset: number,
    total: number,
    kind: number,
  ): 'accepted' {
    this.counters.echoRequests++;
    if (kind !== UNICAST) return 'accepted';
    const length = total - offset;
    const header = ind.headerSize;
    // One allocation: link header with MACs swapped, a fresh IPv6 header, the message copied once.
    const reply = allocFrame(header + 40 + length);
    this.replyLinkHeader(ind, reply, undefined);
    const ip = header;
    reply[ip] = bytes[0] as number;
    reply[ip + 1] = bytes[1] as number;
    reply[ip + 2] = bytes[2] as number;
    reply[ip + 3] = bytes[3] as number;
    putU16(reply, ip + 4, length);
    reply[ip + 6] = 58;
    reply[ip + 7] = this.hopLimit;
    reply.set(bytes.subarray(24, 40), ip + 8);
    reply.set(bytes.subarray(8, 24), ip + 24);
    const icmp = ip + 40;
    reply.set(bytes.subarray(offset, total), icmp);
    const code = reply[icmp + 1] as number;
    reply[icmp] = 129;
    // The pseudo-header sums the same two addresses and length: only the type word changes.
    const checksum = ((reply[icmp + 2] as number) << 8) | (reply[icmp + 3] as number);
    putU16(reply, icmp + 2, updateChecksum(checksum, (128 << 8) | code, (129 << 8) | code));
    this.counters.echoReplies++;
    this.counters.sent++;
    this.handle.send(reply);
    return 'accepted';
  }

  /** Reads ND options from `at` to `end`: the link-layer address of `wanted` type as a 48-bit number, -1 if none, -2 if malformed. */
  private ndOption(bytes: Uint8Array, at: number, end: number, wanted: number): number {
    let found = -1;
    let cursor = at;
    while (cursor < end) {
      if (cursor + 2 > end) return -2;
      const units = bytes[cursor + 1] as number;
      if (units === 0 || cursor + units * 8 > end) return -2;
      if (bytes[cursor] === wanted && units === 1) found = macNumber(bytes, cursor + 2);
      cursor += units * 8;
    }
    return found;
  }

  private receiveSolicitation(
    ind: Indication,
    bytes: Uint8Array,
    offset: number,
    total: number,
  ): 'accepted' | 'not-accepted' {
    this.counters.solicitationsReceived++;
    const size = ind.packetSize;
    if (bytes[7] !== 255) return this.drop('bad-hop-limit', size);
    if (bytes[offset + 1] !== 0 || total - offset < 24 || bytes[offset + 8] === 0xff) {
      return this.drop('bad-nd', size);
    }
    const sourceLinkLayer = this.ndOption(bytes, offset + 24, total, 1);
    if (sourceLinkLayer === -2) return this.drop('bad-nd', size);
    const fromUnspecified = isIpv6Unspecified(bytes, 8);
    if (fromUnspecified && (!isIpv6SolicitedNode(bytes, 24) || sourceLinkLayer >= 0)) {
      return this.drop('bad-nd', size);
    }
    const own = this.findOwn(bytes, offset + 8);
    if (own === undefined) {
      this.drops['not-for-us']++;
      return 'not-accepted';
    }
    if (own.state === 'tentative') {
      // RFC 4862 §5.4.3: another node is probing the same address.
      if (fromUnspecified) this.dadFailed(own);
      return 'accepted';
    }
    if (own.state !== 'preferred') return 'accepted';
    if (!fromUnspecified && sourceLinkLayer >= 0) {
      this.cache.learn(ipv6Key(bytes, 8), sourceLinkLayer, false, true, true);
    }
    this.sendAdvertisement(ind, bytes, own.address, fromUnspecified, sourceLinkLayer);
    return 'accepted';
  }

  private receiveAdvertisement(
    ind: Indication,
    bytes: Uint8Array,
    offset: number,
    total: number,
  ): 'accepted' | 'not-accepted' {
    this.counters.advertisementsReceived++;
    const size = ind.packetSize;
    if (bytes[7] !== 255) return this.drop('bad-hop-limit', size);
    if (bytes[offset + 1] !== 0 || total - offset < 24 || bytes[offset + 8] === 0xff) {
      return this.drop('bad-nd', size);
    }
    const flags = bytes[offset + 4] as number;
    const solicited = (flags & 0x40) !== 0;
    const override = (flags & 0x20) !== 0;
    if (solicited && bytes[24] === 0xff) return this.drop('bad-nd', size);
    const targetLinkLayer = this.ndOption(bytes, offset + 24, total, 2);
    if (targetLinkLayer === -2) return this.drop('bad-nd', size);
    const own = this.findOwn(bytes, offset + 8);
    if (own !== undefined) {
      if (own.state === 'tentative') this.dadFailed(own);
      else if (own.state === 'preferred') {
        this.counters.conflicts++;
        traceAddress(this.trace, 6, formatIpv6Address(own.address), 'conflict');
      }
      return 'accepted';
    }
    const key = ipv6Key(bytes, offset + 8);
    if (targetLinkLayer >= 0) {
      return this.cache.learn(key, targetLinkLayer, solicited, override, false)
        ? 'accepted'
        : 'not-accepted';
    }
    const entry = this.cache.get(key);
    if (entry?.mac === undefined) return 'not-accepted';
    if (solicited) this.cache.learn(key, macNumber(entry.mac, 0), true, false, false);
    return 'accepted';
  }

  private receiveUdp(
    ind: Indication,
    bytes: Uint8Array,
    offset: number,
    total: number,
    kind: number,
  ): 'accepted' | 'not-accepted' {
    const size = ind.packetSize;
    const available = total - offset;
    if (available < 8) return this.drop('bad-udp', size);
    const udpLength = ((bytes[offset + 4] as number) << 8) | (bytes[offset + 5] as number);
    if (udpLength < 8 || udpLength > available) return this.drop('bad-udp', size);
    if (
      ind.oob.checksumVerified?.udp !== true &&
      (((bytes[offset + 6] as number) | (bytes[offset + 7] as number)) === 0 ||
        foldChecksum(
          sumBytes(bytes, offset, offset + udpLength, this.pseudoSum(bytes, 0, 17, udpLength)),
        ) !== 0xffff)
    ) {
      return this.drop('bad-udp-checksum', size);
    }
    const sourcePort = ((bytes[offset] as number) << 8) | (bytes[offset + 1] as number);
    const port = ((bytes[offset + 2] as number) << 8) | (bytes[offset + 3] as number);
    const outcome = this.udp.deliver6(bytes, sourcePort, port, offset + 8, offset + udpLength);
    if (outcome === 'delivered') {
      this.counters.delivered++;
      return 'accepted';
    }
    if (outcome === 'queue-full') {
      this.drop('socket-queue-full', size);
      return 'accepted';
    }
    this.drop('no-socket', size);
    if (kind === UNICAST) this.sendUnreachable(ind, bytes, total);
    return 'accepted';
  }

  // --- send ---------------------------------------------------------------

  /** Destination Unreachable, port (RFC 4443 §3.1), quoting as much as fits in 1280 bytes. */
  private sendUnreachable(ind: Indication, bytes: Uint8Array, total: number): void {
    if (!this.icmpBucket.take()) {
      this.drop('icmp-rate-limited', ind.packetSize);
      return;
    }
    const quoted = Math.min(total, 1280 - 48);
    const header = ind.headerSize;
    const reply = allocFrame(header + 48 + quoted);
    this.replyLinkHeader(ind, reply, undefined);
    this.writeIpv6(
      reply,
      header,
      8 + quoted,
      58,
      this.hopLimit,
      bytes.subarray(24, 40),
      bytes.subarray(8, 24),
    );
    const icmp = header + 40;
    reply[icmp] = 1;
    reply[icmp + 1] = 4;
    reply.set(bytes.subarray(0, quoted), icmp + 8);
    this.fillIcmpChecksum(reply, header, 8 + quoted);
    this.counters.icmpErrorsSent++;
    this.counters.sent++;
    this.handle.send(reply);
  }

  /** A Neighbor Advertisement for `target` answering the NS in `bytes`. One allocation. */
  private sendAdvertisement(
    ind: Indication,
    bytes: Uint8Array,
    target: Uint8Array,
    toAllNodes: boolean,
    sourceLinkLayer: number,
  ): void {
    const header = ind.headerSize;
    const reply = allocFrame(header + 40 + 32);
    if (toAllNodes) {
      this.replyLinkHeader(ind, reply, ALL_NODES_MAC);
    } else {
      this.replyLinkHeader(ind, reply, undefined);
      if (sourceLinkLayer >= 0) writeMacNumber(reply, 0, sourceLinkLayer);
    }
    this.writeIpv6(
      reply,
      header,
      32,
      58,
      255,
      target,
      toAllNodes ? ALL_NODES : bytes.subarray(8, 24),
    );
    const icmp = header + 40;
    reply[icmp] = 136;
    reply[icmp + 4] = toAllNodes ? 0x20 : 0x60; // S (solicited) unless to all-nodes, O (override)
    reply.set(target, icmp + 8);
    reply[icmp + 24] = 2; // Target Link-Layer Address
    reply[icmp + 25] = 1;
    reply.set(this.adapter.mac, icmp + 26);
    this.fillIcmpChecksum(reply, header, 32);
    this.counters.advertisementsSent++;
    this.counters.sent++;
    this.handle.send(reply);
  }

  /** An NS for `target`: multicast to its solicited-node group, or unicast to `unicast` (probe). */
  private sendSolicitation(target: Uint8Array, unicast: Uint8Array | undefined): void {
    const source = this.sourceFor(target);
    if (source === undefined) return;
    const group = solicitedNodeMulticast(target);
    const frame = allocFrame(14 + 40 + 32);
    this.writeHeaders(frame, 32, 58, 255, source, unicast === undefined ? group : target);
    frame.set(unicast ?? ipv6MulticastMac(group), 0);
    frame[54] = 135;
    frame.set(target, 62);
    frame[78] = 1; // Source Link-Layer Address
    frame[79] = 1;
    frame.set(this.adapter.mac, 80);
    this.fillIcmpChecksum(frame, 14, 32);
    this.counters.solicitationsSent++;
    this.counters.sent++;
    this.handle.send(frame);
  }

  /** DAD probe: an NS from `::` to the solicited-node group, no options (RFC 4862 §5.4.2). */
  private sendDadProbe(own: OwnAddress): void {
    const frame = allocFrame(14 + 40 + 24);
    this.writeHeaders(frame, 24, 58, 255, UNSPECIFIED, own.group);
    frame.set(ipv6MulticastMac(own.group), 0);
    frame[54] = 135;
    frame.set(own.address, 62);
    this.fillIcmpChecksum(frame, 14, 24);
    this.counters.dadProbes++;
    this.counters.sent++;
    this.handle.send(frame);
  }

  private dadStep(own: OwnAddress): void {
    own.timer = undefined;
    if (this.closed || own.state !== 'tentative') return;
    if (own.dadSent >= this.dadTransmits) {
      this.counters.dadSuccesses++;
      this.setState(own, 'preferred');
      return;
    }
    own.dadSent++;
    this.sendDadProbe(own);
    own.timer = this.clock.setTimer(this.retransmitMs, () => this.dadStep(own));
  }

  private dadFailed(own: OwnAddress): void {
    own.timer?.cancel();
    own.timer = undefined;
    this.counters.dadFailures++;
    own.state = 'failed';
    this.leaveGroup(own);
    traceAddress(this.trace, 6, formatIpv6Address(own.address), 'duplicate');
  }

  private setState(own: OwnAddress, state: Ipv6AddressState): void {
    own.state = state;
    traceAddress(this.trace, 6, formatIpv6Address(own.address), state);
  }

  private leaveGroup(own: OwnAddress): void {
    const shared = this.addresses.some(
      (a) => a !== own && a.state !== 'failed' && equalAt(a.group, 0, own.group),
    );
    if (!shared) this.handle.removeMulticast(ipv6MulticastMac(own.group));
  }

  private findOwn(bytes: Uint8Array, at: number): OwnAddress | undefined {
    for (const own of this.addresses) if (equalAt(bytes, at, own.address)) return own;
    return undefined;
  }

  private onLink(destination: Uint8Array): boolean {
    if (destination[0] === 0xfe && ((destination[1] as number) & 0xc0) === 0x80) return true;
    for (const own of this.addresses) {
      if (own.state === 'preferred' && prefixMatches(destination, 0, own.address, own.prefixLength))
        return true;
    }
    return false;
  }

  /** A PREFERRED own address for `destination`: link-local for link-local and multicast, else one on its prefix, else any. */
  private sourceFor(destination: Uint8Array): Uint8Array | undefined {
    const linkScope =
      isIpv6Multicast(destination) ||
      (destination[0] === 0xfe && ((destination[1] as number) & 0xc0) === 0x80);
    let fallback: Uint8Array | undefined;
    for (const own of this.addresses) {
      if (own.state !== 'preferred') continue;
      const linkLocal = own.address[0] === 0xfe && ((own.address[1] as number) & 0xc0) === 0x80;
      if (linkScope && linkLocal) return own.address;
      if (!linkScope && !linkLocal && prefixMatches(destination, 0, own.address, own.prefixLength))
        return own.address;
      fallback ??= own.address;
    }
    return fallback;
  }

  private transmit(destination: Uint8Array, frame: Uint8Array): UdpSendResult {
    const result: NeighborSendResult = this.cache.send(ipv6Key(destination), frame);
    if (result === 'refused') return this.sendDrop('resolution-refused');
    this.counters.sent++;
    return result;
  }

  /** Ethernet header (destination left to the caller) and IPv6 header. */
  private writeHeaders(
    frame: Uint8Array,
    payloadLength: number,
    nextHeader: number,
    hopLimit: number,
    source: Uint8Array,
    destination: Uint8Array,
  ): void {
    frame.set(this.adapter.mac, 6);
    frame[12] = 0x86;
    frame[13] = 0xdd;
    this.writeIpv6(frame, 14, payloadLength, nextHeader, hopLimit, source, destination);
  }

  private writeIpv6(
    into: Uint8Array,
    at: number,
    payloadLength: number,
    nextHeader: number,
    hopLimit: number,
    source: Uint8Array,
    destination: Uint8Array,
  ): void {
    into[at] = 0x60;
    putU16(into, at + 4, payloadLength);
    into[at + 6] = nextHeader;
    into[at + 7] = hopLimit;
    into.set(source, at + 8);
    into.set(destination, at + 24);
  }

  /** Copies the received link header (VLAN tags kept) with us as source and `destination` (default: the sender). */
  private replyLinkHeader(
    ind: Indication,
    reply: Uint8Array,
    destination: Uint8Array | undefined,
  ): void {
    const header = ind.header;
    reply.set(header, 0);
    for (let i = 0; i < 6; i++) {
      reply[i] = destination === undefined ? (header[6 + i] as number) : (destination[i] as number);
      reply[6 + i] = this.adapter.mac[i] as number;
    }
  }

  /** The unfolded pseudo-header sum for the IPv6 header at `bytes[at..]`. */
  private pseudoSum(bytes: Uint8Array, at: number, nextHeader: number, length: number): number {
    return sumBytes(bytes, at + 8, at + 40, nextHeader + (length >>> 16) + (length & 0xffff));
  }

  private fillIcmpChecksum(frame: Uint8Array, ipAt: number, length: number): void {
    const icmp = ipAt + 40;
    frame[icmp + 2] = 0;
    frame[icmp + 3] = 0;
    putU16(
      frame,
      icmp + 2,
      finishChecksum(sumBytes(frame, icmp, icmp + length, this.pseudoSum(frame, ipAt, 58, length))),
    );
  }

  private sendDrop(reason: Ipv6SendDropReason): 'dropped' {
    this.sendDrops[reason]++;
    traceDrop(this.trace, this.name, reason, 0);
    return 'dropped';
  }

  private drop(reason: Ipv6DropReason, length: number): 'not-accepted' {
    this.drops[reason]++;
    traceDrop(this.trace, this.name, reason, length);
    return 'not-accepted';
  }
}

function matches(ind: Indication, offset: number, address: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (ind.byteAt(offset + i) !== address[i]) return false;
  return true;
}

function writeMacNumber(into: Uint8Array, at: number, value: number): void {
  const high = Math.floor(value / 0x1000000);
  const low = value % 0x1000000;
  into[at] = (high >>> 16) & 0xff;
  into[at + 1] = (high >>> 8) & 0xff;
  into[at + 2] = high & 0xff;
  into[at + 3] = (low >>> 16) & 0xff;
  into[at + 4] = (low >>> 8) & 0xff;
  into[at + 5] = low & 0xff;
}
