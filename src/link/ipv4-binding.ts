/**
 * The IPv4 binding (RFC 791, RFC 1122): own addresses with prefix lengths,
 * ICMP echo (RFC 792), UDP demultiplexing to sockets (RFC 768) and ICMP
 * errors for unbound ports and unknown protocols, rate-limited by a token
 * bucket on the clock (RFC 1812 §4.3.2.8).
 *
 * Receive: a datagram is ours when it is addressed to an own unicast address,
 * the subnet broadcast of one, or 255.255.255.255. The header checksum is
 * verified unless the adapter says it already did (`oob.checksumVerified.ipv4`),
 * and so is UDP's (`oob.checksumVerified.udp`; a zero UDP checksum means none).
 * Every length comes from the datagram's own fields (Total Length, UDP
 * Length), so Ethernet padding is ignored and unpadded frames work.
 * Fragments are dropped and counted: this binding does no reassembly (that
 * needs its own bounded buffer and timer, a later issue). Rejection (another
 * host's address, another EtherType) reads through the indication's
 * accessors and allocates nothing.
 *
 * Replies: an echo reply is built in one allocation (header copied with the
 * MACs swapped, so a VLAN tag is kept, a fresh 20-byte IP header, the ICMP
 * message copied once and its checksum updated incrementally, RFC 1624); the
 * reply to an N-byte echo request is N bytes. No replies to broadcasts
 * (RFC 1122 §3.2.2.6 allows silence, Linux's default), and no ICMP errors
 * about broadcasts or ICMP errors (RFC 1122 §3.2.2).
 *
 * Send: destinations on the subnet of an own address are resolved through
 * ARP (bounded queue while resolving); broadcasts go to ff:ff:ff:ff:ff:ff;
 * anything else is dropped as `no-route`. `route()` is the one place a
 * default gateway will plug in.
 */
import { allocFromSlab as allocFrame } from '../bytes/index.js';
import { NetrxError, type Clock } from '../runtime/index.js';
import type { TraceProvider } from '../trace/index.js';
import {
  finishChecksum,
  foldChecksum,
  formatIpv4Address,
  ipv4PseudoHeaderSum,
  sumBytes,
  updateChecksum,
} from '../wire/index.js';
import type { Adapter, BindingHandle, Protocol } from './adapter.js';
import type { ArpBinding } from './arp-binding.js';
import { traceAddress, traceDrop } from './binding-events.js';
import type { Indication } from './indication.js';
import { putU16, putU32 } from './frame-write.js';
import { PacketFilter } from './packet-filter.js';
import { TokenBucket } from './token-bucket.js';
import type { UdpSendResult, UdpSockets } from './udp-socket.js';

export const ETHERTYPE_IPV4 = 0x0800;

/** Why the IPv4 binding dropped a datagram (`stats().drops`). */
export type Ipv4DropReason =
  | 'truncated'
  | 'bad-version'
  | 'bad-header-length'
  | 'bad-length'
  | 'bad-checksum'
  | 'bad-source'
  | 'not-for-us'
  | 'fragment'
  | 'bad-icmp'
  | 'bad-icmp-checksum'
  | 'bad-udp'
  | 'bad-udp-checksum'
  | 'no-socket'
  | 'socket-queue-full'
  | 'unknown-protocol'
  | 'icmp-rate-limited';

/** Why a send was dropped (`stats().sendDrops`). */
export type Ipv4SendDropReason = 'no-route' | 'no-source-address' | 'resolution-refused';

export interface Ipv4AddressConfig {
  /** Dotted quad. */
  readonly address: string;
  readonly prefixLength: number;
}

export interface Ipv4Limits {
  /** ICMP errors per second (token refill). Default 10. */
  readonly icmpErrorsPerSecond?: number;
  /** ICMP error burst (bucket size). Default 10. */
  readonly icmpErrorBurst?: number;
  /** TTL of datagrams we send. Default 64. */
  readonly timeToLive?: number;
}

export interface Ipv4BindingOptions {
  readonly adapter: Adapter;
  readonly clock: Clock;
  readonly arp: ArpBinding;
  readonly udp: UdpSockets;
  readonly trace?: TraceProvider;
  readonly limits?: Ipv4Limits;
  readonly name?: string;
}

export interface Ipv4Stats {
  readonly name: string;
  readonly received: number;
  readonly delivered: number;
  readonly echoRequests: number;
  readonly echoReplies: number;
  readonly icmpErrorsSent: number;
  readonly icmpOther: number;
  readonly sent: number;
  readonly drops: Readonly<Record<Ipv4DropReason, number>>;
  readonly sendDrops: Readonly<Record<Ipv4SendDropReason, number>>;
}

interface OwnAddress {
  readonly address: number;
  readonly prefixLength: number;
  readonly mask: number;
  readonly broadcast: number;
}

const NOT_OURS = 0;
const UNICAST = 1;
const BROADCAST = 2;

/** See the file comment. */
export class Ipv4Binding implements Protocol {
  readonly name: string;
  private readonly adapter: Adapter;
  private readonly arp: ArpBinding;
  private readonly udp: UdpSockets;
  private readonly trace: TraceProvider | undefined;
  private readonly icmpBucket: TokenBucket;
  private readonly ttl: number;
  private addresses: OwnAddress[] = [];
  private identification = 0;
  private readonly handle: BindingHandle;
  private counters = {
    received: 0,
    delivered: 0,
    echoRequests: 0,
    echoReplies: 0,
    icmpErrorsSent: 0,
    icmpOther: 0,
    sent: 0,
  };
  private readonly drops: Record<Ipv4DropReason, number> = {
    truncated: 0,
    'bad-version': 0,
    'bad-header-length': 0,
    'bad-length': 0,
    'bad-checksum': 0,
    'bad-source': 0,
    'not-for-us': 0,
    fragment: 0,
    'bad-icmp': 0,
    'bad-icmp-checksum': 0,
    'bad-udp': 0,
    'bad-udp-checksum': 0,
    'no-socket': 0,
    'socket-queue-full': 0,
    'unknown-protocol': 0,
    'icmp-rate-limited': 0,
  };
  private readonly sendDrops: Record<Ipv4SendDropReason, number> = {
    'no-route': 0,
    'no-source-address': 0,
    'resolution-refused': 0,
  };

  constructor(options: Ipv4BindingOptions) {
    this.name = options.name ?? 'ipv4';
    this.adapter = options.adapter;
    this.arp = options.arp;
    this.udp = options.udp;
    this.trace = options.trace;
    const limits = options.limits ?? {};
    this.icmpBucket = new TokenBucket(
      options.clock,
      limits.icmpErrorsPerSecond ?? 10,
      limits.icmpErrorBurst ?? 10,
    );
    this.ttl = limits.timeToLive ?? 64;
    this.handle = options.adapter.openBinding(this, {
      name: this.name,
      lookahead: 128,
      etherTypes: [ETHERTYPE_IPV4],
      packetFilter: PacketFilter.Directed | PacketFilter.Broadcast,
    });
  }

  /** Adds an own address (and tells ARP, which announces it). */
  addAddress(address: number, prefixLength: number): void {
    if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > 32) {
      throw new RangeError(`An IPv4 prefix length is an integer from 0 to 32: got ${prefixLength}`);
    }
    const ip = address >>> 0;
    const mask = prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
    const broadcast = prefixLength >= 31 ? 0xffffffff : ((ip & mask) | ~mask) >>> 0;
    this.addresses = [
      ...this.addresses.filter((a) => a.address !== ip),
      { address: ip, prefixLength, mask, broadcast },
    ];
    traceAddress(this.trace, 4, formatIpv4Address(ip), 'preferred');
    this.arp.addAddress(ip, prefixLength);
  }

  removeAddress(address: number): boolean {
    const ip = address >>> 0;
    const before = this.addresses.length;
    this.addresses = this.addresses.filter((a) => a.address !== ip);
    this.arp.removeAddress(ip);
    if (this.addresses.length !== before)
      traceAddress(this.trace, 4, formatIpv4Address(ip), 'removed');
    return this.addresses.length !== before;
  }

  /** Own addresses as text with prefix lengths. */
  addressList(): Ipv4AddressConfig[] {
    return this.addresses.map((a) => ({
      address: formatIpv4Address(a.address),
      prefixLength: a.prefixLength,
    }));
  }

  receive(ind: Indication): 'accepted' | 'not-accepted' {
    if (ind.etherType !== ETHERTYPE_IPV4) return 'not-accepted';
    const size = ind.packetSize;
    if (size < 20 || ind.lookaheadSize < 20) return this.drop('truncated', size);
    const versionIhl = ind.byteAt(0);
    if (versionIhl >> 4 !== 4) return this.drop('bad-version', size);
    const headerLength = (versionIhl & 0x0f) * 4;
    if (headerLength < 20) return this.drop('bad-header-length', size);
    const total = ind.u16At(2);
    if (total < headerLength) return this.drop('bad-length', size);
    if (total > size) return this.drop('truncated', size);
    const destination = ind.u32At(16);
    const kind = this.classify(destination);
    if (kind === NOT_OURS) {
      this.drops['not-for-us']++;
      return 'not-accepted';
    }
    const source = ind.u32At(12);
    if (source === 0xffffffff || source >>> 28 === 0xe || this.isOwnBroadcast(source)) {
      return this.drop('bad-source', size);
    }
    // The datagram is ours: from here on we may allocate.
    const bytes = wholePacket(ind, total);
    if (
      ind.oob.checksumVerified?.ipv4 !== true &&
      foldChecksum(sumBytes(bytes, 0, headerLength)) !== 0xffff
    ) {
      return this.drop('bad-checksum', size);
    }
    if ((ind.u16At(6) & 0x3fff) !== 0) return this.drop('fragment', size);
    this.counters.received++;
    const protocol = bytes[9] as number;
    if (protocol === 1) return this.receiveIcmp(ind, bytes, headerLength, total, kind);
    if (protocol === 17)
      return this.receiveUdp(ind, bytes, headerLength, total, kind, source, destination);
    this.drop('unknown-protocol', size);
    if (kind === UNICAST) this.sendIcmpError(ind, bytes, total, 3, 2);
    return 'accepted';
  }

  /**
   * Sends a UDP datagram from `source` (an own address; undefined picks one)
   * to `destination`. One allocation for the frame; no fragmentation, so a
   * datagram past the MTU throws `ERR_LINK_DATAGRAM_TOO_LARGE`.
   */
  sendUdp(
    source: number | undefined,
    sourcePort: number,
    destination: number,
    destinationPort: number,
    data: Uint8Array,
  ): UdpSendResult {
    const ipLength = 28 + data.length;
    if (ipLength > this.adapter.mtu) {
      throw new NetrxError(
        'ERR_LINK_DATAGRAM_TOO_LARGE',
        `Cannot send ${data.length} bytes of UDP: more than the MTU of ${this.adapter.mtu} allows without fragmentation`,
      );
    }
    const route = this.route(destination >>> 0);
    if (route === undefined) return this.sendDrop('no-route');
    const from = source ?? route.source;
    if (from === undefined) return this.sendDrop('no-source-address');
    const frame = allocFrame(14 + ipLength);
    this.writeHeaders(frame, ipLength, 17, from, destination >>> 0);
    putU16(frame, 34, sourcePort);
    putU16(frame, 36, destinationPort);
    putU16(frame, 38, 8 + data.length);
    // Deliberate copy: the payload goes into the frame being built.
    frame.set(data, 42);
    const sum = finishChecksum(
      sumBytes(
        frame,
        34,
        42 + data.length,
        ipv4PseudoHeaderSum(from, destination >>> 0, 17, 8 + data.length),
      ),
    );
    putU16(frame, 40, sum === 0 ? 0xffff : sum);
    return this.transmit(frame, route.nextHop);
  }

  /**
   * Where a datagram to `destination` goes: `nextHop` (-1 for link broadcast)
   * and the own address to send from. Undefined when no own subnet holds it:
   * a default gateway would be returned here.
   */
  route(destination: number): { nextHop: number; source: number | undefined } | undefined {
    const first = this.addresses[0]?.address;
    if (destination === 0xffffffff) return { nextHop: -1, source: first };
    for (const own of this.addresses) {
      if (destination === own.broadcast) return { nextHop: -1, source: own.address };
      if ((destination & own.mask) >>> 0 === (own.address & own.mask) >>> 0) {
        return { nextHop: destination, source: own.address };
      }
    }
    return undefined;
  }

  stats(): Ipv4Stats {
    return {
      name: this.name,
      ...this.counters,
      drops: { ...this.drops },
      sendDrops: { ...this.sendDrops },
    };
  }

  close(): void {
    this.handle.close();
  }

  private receiveIcmp(
    ind: Indication,
    bytes: Uint8Array,
    headerLength: number,
    total: number,
    kind: number,
  ): 'accepted' | 'not-accepted' {
    const length = total - headerLength;
    if (length < 8) return this.drop('bad-icmp', ind.packetSize);
    if (foldChecksum(sumBytes(bytes, headerLength, total)) !== 0xffff) {
      return this.drop('bad-icmp-checksum', ind.packetSize);
    }
    const type = bytes[headerLength] as number;
    if (type !== 8) {
      this.counters.icmpOther++;
      return 'accepted';
    }
    this.counters.echoRequests++;
    if (kind !== UNICAST) return 'accepted';
    // One allocation: the reply. Link header with MACs swapped (VLAN tags kept),
    // a fresh 20-byte IP header, the ICMP message copied once, type 8 → 0.
    const header = ind.headerSize;
    const reply = allocFrame(header + 20 + length);
    const frame = ind.header;
    reply.set(frame, 0);
    for (let i = 0; i < 6; i++) {
      reply[i] = frame[6 + i] as number;
      reply[6 + i] = this.adapter.mac[i] as number;
    }
    this.writeIpHeader(
      reply,
      header,
      20 + length,
      1,
      bytes[1] as number,
      ind.u32At(16),
      ind.u32At(12),
    );
    reply.set(bytes.subarray(headerLength, total), header + 20);
    const icmp = header + 20;
    const code = reply[icmp + 1] as number;
    reply[icmp] = 0;
    const checksum = ((reply[icmp + 2] as number) << 8) | (reply[icmp + 3] as number);
    putU16(reply, icmp + 2, updateChecksum(checksum, (8 << 8) | code, code));
    this.counters.echoReplies++;
    this.counters.sent++;
    this.handle.send(reply);
    return 'accepted';
  }

  private receiveUdp(
    ind: Indication,
    bytes: Uint8Array,
    headerLength: number,
    total: number,
    kind: number,
    source: number,
    destination: number,
  ): 'accepted' | 'not-accepted' {
    const available = total - headerLength;
    if (available < 8) return this.drop('bad-udp', ind.packetSize);
    const udpLength =
      ((bytes[headerLength + 4] as number) << 8) | (bytes[headerLength + 5] as number);
    if (udpLength < 8 || udpLength > available) return this.drop('bad-udp', ind.packetSize);
    const checksum =
      ((bytes[headerLength + 6] as number) << 8) | (bytes[headerLength + 7] as number);
    if (
      checksum !== 0 &&
      ind.oob.checksumVerified?.udp !== true &&
      foldChecksum(
        sumBytes(
          bytes,
          headerLength,
          headerLength + udpLength,
          ipv4PseudoHeaderSum(source, destination, 17, udpLength),
        ),
      ) !== 0xffff
    ) {
      return this.drop('bad-udp-checksum', ind.packetSize);
    }
    const sourcePort = ((bytes[headerLength] as number) << 8) | (bytes[headerLength + 1] as number);
    const port = ((bytes[headerLength + 2] as number) << 8) | (bytes[headerLength + 3] as number);
    const outcome = this.udp.deliver4(
      source,
      sourcePort,
      destination,
      port,
      bytes,
      headerLength + 8,
      headerLength + udpLength,
    );
    if (outcome === 'delivered') {
      this.counters.delivered++;
      return 'accepted';
    }
    if (outcome === 'queue-full') {
      this.drop('socket-queue-full', ind.packetSize);
      return 'accepted';
    }
    this.drop('no-socket', ind.packetSize);
    if (kind === UNICAST) this.sendIcmpError(ind, bytes, total, 3, 3);
    return 'accepted';
  }

  /** Destination Unreachable quoting the datagram (RFC 792; at most 576 bytes, RFC 1812 §4.3.2.3). */
  private sendIcmpError(
    ind: Indication,
    bytes: Uint8Array,
    total: number,
    type: number,
    code: number,
  ): void {
    if (!this.icmpBucket.take()) {
      this.drop('icmp-rate-limited', ind.packetSize);
      return;
    }
    const quoted = Math.min(total, 576 - 28);
    const header = ind.headerSize;
    const reply = allocFrame(header + 28 + quoted);
    const frame = ind.header;
    reply.set(frame, 0);
    for (let i = 0; i < 6; i++) {
      reply[i] = frame[6 + i] as number;
      reply[6 + i] = this.adapter.mac[i] as number;
    }
    this.writeIpHeader(reply, header, 28 + quoted, 1, 0, ind.u32At(16), ind.u32At(12));
    const icmp = header + 20;
    reply[icmp] = type;
    reply[icmp + 1] = code;
    reply.set(bytes.subarray(0, quoted), icmp + 8);
    putU16(reply, icmp + 2, finishChecksum(sumBytes(reply, icmp, icmp + 8 + quoted)));
    this.counters.icmpErrorsSent++;
    this.counters.sent++;
    this.handle.send(reply);
  }

  /** Ethernet header (destination left for ARP) and IPv4 header into a new frame. */
  private writeHeaders(
    frame: Uint8Array,
    ipLength: number,
    protocol: number,
    source: number,
    destination: number,
  ): void {
    frame.set(this.adapter.mac, 6);
    frame[12] = 0x08;
    frame[13] = 0x00;
    this.writeIpHeader(frame, 14, ipLength, protocol, 0, source, destination);
  }

  private writeIpHeader(
    into: Uint8Array,
    at: number,
    totalLength: number,
    protocol: number,
    tos: number,
    source: number,
    destination: number,
  ): void {
    into[at] = 0x45;
    into[at + 1] = tos;
    putU16(into, at + 2, totalLength);
    this.identification = (this.identification + 1) & 0xffff;
    putU16(into, at + 4, this.identification);
    into[at + 6] = 0;
    into[at + 7] = 0;
    into[at + 8] = this.ttl;
    into[at + 9] = protocol;
    into[at + 10] = 0;
    into[at + 11] = 0;
    putU32(into, at + 12, source);
    putU32(into, at + 16, destination);
    putU16(into, at + 10, finishChecksum(sumBytes(into, at, at + 20)));
  }

  private transmit(frame: Uint8Array, nextHop: number): UdpSendResult {
    if (nextHop < 0) {
      frame.fill(0xff, 0, 6);
      this.counters.sent++;
      this.handle.send(frame);
      return 'sent';
    }
    const result = this.arp.send(nextHop, frame);
    if (result === 'refused') return this.sendDrop('resolution-refused');
    this.counters.sent++;
    return result;
  }

  private sendDrop(reason: Ipv4SendDropReason): 'dropped' {
    this.sendDrops[reason]++;
    traceDrop(this.trace, this.name, reason, 0);
    return 'dropped';
  }

  private classify(destination: number): number {
    if (destination === 0xffffffff) return BROADCAST;
    const addresses = this.addresses;
    for (let i = 0; i < addresses.length; i++) {
      const own = addresses[i] as OwnAddress;
      if (destination === own.address) return UNICAST;
      if (destination === own.broadcast) return BROADCAST;
    }
    return NOT_OURS;
  }

  private isOwnBroadcast(address: number): boolean {
    for (const own of this.addresses)
      if (address === own.broadcast && own.prefixLength < 31) return true;
    return false;
  }

  private drop(reason: Ipv4DropReason, length: number): 'not-accepted' {
    this.drops[reason]++;
    traceDrop(this.trace, this.name, reason, length);
    return 'not-accepted';
  }
}

/**
 * The first `length` bytes of the packet (after the link header): a view of
 * the lookahead when it holds them, else a copy completed with `transferData`
 * (lookahead indications, NdisTransferData once).
 */
export function wholePacket(ind: Indication, length: number): Uint8Array {
  if (ind.lookaheadSize >= length) return ind.lookahead.subarray(0, length);
  // Deliberate copy: a lookahead indication holds only part of the packet.
  const bytes = new Uint8Array(length);
  bytes.set(ind.lookahead, 0);
  ind.transferData(ind.lookaheadSize, length - ind.lookaheadSize, bytes, ind.lookaheadSize);
  return bytes;
}
