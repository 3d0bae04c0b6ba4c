/**
 * The ARP binding (RFC 826) for Ethernet/IPv4: answers requests for the
 * stack's own addresses, learns from what it receives by RFC 826's merge
 * rule, announces addresses with gratuitous ARP, and resolves next hops for
 * the IPv4 binding through a bounded `NeighborCache`.
 *
 * Merge rule (RFC 826, "Packet Reception"): if the sender's protocol address
 * is already cached, its hardware address is updated; then, if the target
 * protocol address is ours, the sender is added if it was not there and a
 * request is answered. A reply addressed to us confirms reachability; a
 * request only tells us the sender exists (STALE, as Linux does). Probes
 * with sender 0.0.0.0 (RFC 5227) teach nothing; a sender claiming one of our
 * addresses is a conflict, counted and traced. Everything is read through
 * the indication's allocation-free accessors, so rejecting (an ARP for
 * another host, another VLAN, a runt, another EtherType) allocates nothing;
 * a reply or an announcement is one 42-byte frame (46 with the binding's
 * VLAN tag; unpadded: the adapter or NIC pads, and peers accept unpadded
 * frames, link.md §3.5), written through the `ArpPacket` view.
 */
import { allocFromSlab as allocFrame } from '../bytes/index.js';
import type { Clock } from '../runtime/index.js';
import {
  ArpPacket,
  ARP_ETHERNET_IPV4_LENGTH,
  formatIpv4Address,
  ipv4AddressToBytes,
} from '../wire/index.js';
import { BindingBase, type BindingBaseOptions } from './binding-base.js';
import { traceAddress } from './binding-events.js';
import type { Indication } from './indication.js';
import { putU16, putU32 } from './frame-write.js';
import { writeLinkHeader, writeReplyHeader } from './link-header.js';
import {
  NeighborCache,
  type NeighborCacheLimits,
  type NeighborCacheStats,
  type NeighborEntry,
  type NeighborSendResult,
} from './neighbor-cache.js';
import { PacketFilter } from './packet-filter.js';

export const ETHERTYPE_ARP = 0x0806;

const ARP_DROP_REASONS = [
  'truncated',
  'unsupported-format',
  'unsupported-operation',
  'bad-sender',
  'own-frame',
  'address-conflict',
  'not-for-us',
  'other-vlan',
] as const;

/** Why the ARP binding dropped a frame (`stats().drops`, trace `BindingFrameDropped`). */
export type ArpDropReason = (typeof ARP_DROP_REASONS)[number];

export interface ArpBindingOptions extends BindingBaseOptions {
  readonly clock: Clock;
  readonly limits?: NeighborCacheLimits;
  /** Send a gratuitous ARP when an address is added. Default true. */
  readonly announceOnAdd?: boolean;
}

export interface ArpStats {
  readonly name: string;
  readonly requestsReceived: number;
  readonly repliesReceived: number;
  readonly repliesSent: number;
  readonly requestsSent: number;
  readonly announcements: number;
  readonly conflicts: number;
  readonly drops: Readonly<Record<ArpDropReason, number>>;
  readonly cache: NeighborCacheStats;
}

/** See the file comment. Bound by `createStack`, or on its own for ARP-only hosts. */
export class ArpBinding extends BindingBase<ArpDropReason> {
  readonly cache: NeighborCache<number>;
  private readonly mac: Uint8Array;
  private readonly announceOnAdd: boolean;
  /** Own address → prefix length (to pick the source of a request). */
  private readonly addresses = new Map<number, number>();
  private counters = {
    requestsReceived: 0,
    repliesReceived: 0,
    repliesSent: 0,
    requestsSent: 0,
    announcements: 0,
    conflicts: 0,
  };

  constructor(options: ArpBindingOptions) {
    super(options, 'arp', ARP_DROP_REASONS);
    this.mac = options.adapter.mac;
    this.announceOnAdd = options.announceOnAdd ?? true;
    this.cache = new NeighborCache<number>(
      'arp',
      options.clock,
      {
        solicit: (ip, unicast) => this.sendRequest(ip, unicast),
        transmit: (frame) => this.handle.send(frame),
        format: (ip) => formatIpv4Address(ip),
      },
      options.limits,
      options.trace,
    );
    this.open({
      lookahead: 28,
      etherTypes: [ETHERTYPE_ARP],
      packetFilter: PacketFilter.Directed | PacketFilter.Broadcast,
    });
  }

  /** Adds an own address (answered from now on) and, unless told not to, announces it. */
  addAddress(address: number, prefixLength = 32): void {
    const ip = address >>> 0;
    this.addresses.set(ip, prefixLength);
    if (this.announceOnAdd) this.announce(ip);
  }

  removeAddress(address: number): boolean {
    return this.addresses.delete(address >>> 0);
  }

  hasAddress(address: number): boolean {
    return this.addresses.has(address >>> 0);
  }

  /**
   * Sends a gratuitous ARP for `address` (RFC 5227 §2.3 announcement: a
   * broadcast request with sender and target both the address), so
   * neighbours update their caches.
   */
  announce(address: number): void {
    const frame = this.build(1, undefined, address >>> 0, undefined, address >>> 0);
    this.counters.announcements++;
    this.handle.send(frame);
  }

  /** The MAC of `address` if known; otherwise sends a request and returns undefined. */
  resolve(address: number): Uint8Array | undefined {
    return this.cache.resolve(address >>> 0);
  }

  /** Sends an Ethernet frame to `address`, filling in its destination MAC, or queues it (bounded) until resolved. */
  send(address: number, frame: Uint8Array): NeighborSendResult {
    return this.cache.send(address >>> 0, frame);
  }

  /** Sends the frames of one datagram (its fragments) to `address` as one unit; see `NeighborCache.sendAll`. */
  sendAll(address: number, frames: readonly Uint8Array[]): NeighborSendResult {
    return this.cache.sendAll(address >>> 0, frames);
  }

  entries(): NeighborEntry<number>[] {
    return this.cache.list();
  }

  receive(ind: Indication): 'accepted' | 'not-accepted' {
    if (ind.etherType !== ETHERTYPE_ARP) return 'not-accepted';
    if (!this.onSegment(ind)) return this.ignore('other-vlan');
    // 28 bytes: the Ethernet/IPv4 form; padding after it is ignored (RFC 826 lengths).
    if (ind.packetSize < 28 || ind.lookaheadSize < 28)
      return this.drop('truncated', ind.packetSize);
    if (
      ind.u16At(0) !== 1 ||
      ind.u16At(2) !== 0x0800 ||
      ind.byteAt(4) !== 6 ||
      ind.byteAt(5) !== 4
    ) {
      return this.drop('unsupported-format', ind.packetSize);
    }
    const operation = ind.u16At(6);
    if (operation !== 1 && operation !== 2) {
      return this.drop('unsupported-operation', ind.packetSize);
    }
    const macHigh = ind.u16At(8);
    const senderMac = macHigh * 0x100000000 + ind.u32At(10);
    if ((macHigh & 0x0100) !== 0 || senderMac === 0) return this.drop('bad-sender', ind.packetSize);
    const own = this.mac;
    if (
      macHigh === (((own[0] as number) << 8) | (own[1] as number)) &&
      ind.u32At(10) ===
        (own[2] as number) * 0x1000000 +
          (((own[3] as number) << 16) | ((own[4] as number) << 8) | (own[5] as number))
    ) {
      return this.drop('own-frame', ind.packetSize);
    }
    const senderIp = ind.u32At(14);
    const targetIp = ind.u32At(24);
    if (operation === 1) this.counters.requestsReceived++;
    else this.counters.repliesReceived++;
    if (this.addresses.has(senderIp)) {
      this.counters.conflicts++;
      traceAddress(this.trace, 4, formatIpv4Address(senderIp), 'conflict');
      return this.drop('address-conflict', ind.packetSize);
    }
    const forUs = this.addresses.has(targetIp);
    let merged = false;
    if (senderIp !== 0) {
      merged = this.cache.learn(senderIp, senderMac, forUs && operation === 2, true, forUs);
    }
    if (!forUs) return merged ? 'accepted' : this.ignore('not-for-us');
    if (operation === 1) this.sendReply(ind, macHigh, ind.u32At(10));
    return 'accepted';
  }

  stats(): ArpStats {
    return {
      name: this.name,
      ...this.counters,
      drops: { ...this.drops },
      cache: this.cache.stats(),
    };
  }

  /** Unbinds and cancels every cache timer; idempotent. */
  close(): void {
    this.cache.close();
    this.handle.close();
  }

  /** The own address to speak from when asking for `target`: one on its subnet, else the first. */
  private sourceFor(target: number): number {
    let first = -1;
    for (const [address, prefixLength] of this.addresses) {
      if (first < 0) first = address;
      const mask = prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
      if ((address & mask) >>> 0 === (target & mask) >>> 0) return address;
    }
    return first < 0 ? 0 : first;
  }

  private sendRequest(target: number, unicast: Uint8Array | undefined): void {
    this.counters.requestsSent++;
    this.handle.send(this.build(1, unicast, this.sourceFor(target), undefined, target));
  }

  /**
   * The reply to the request `ind` (accepted, for an own address): one frame.
   * Written field by field at the Ethernet/IPv4 offsets rather than through
   * `ArpPacket` views: this is the hottest reply path (bench/link-replies)
   * and every view or subarray is an allocation per reply.
   */
  private sendReply(ind: Indication, senderMacHigh: number, senderMacLow: number): void {
    const frame = allocFrame(this.linkHeader + ARP_ETHERNET_IPV4_LENGTH);
    const at = writeReplyHeader(ind, frame, this.mac, this.vlan, ETHERTYPE_ARP);
    writeFixed(frame, at, 2);
    for (let i = 0; i < 6; i++) frame[at + SENDER_MAC + i] = this.mac[i] as number;
    // The requester's MAC as `receive` read it (two words, not six checked byte reads).
    putU16(frame, at + TARGET_MAC, senderMacHigh);
    putU32(frame, at + TARGET_MAC + 2, senderMacLow);
    putU32(frame, at + SENDER_IP, ind.u32At(TARGET_IP));
    putU32(frame, at + TARGET_IP, ind.u32At(SENDER_IP));
    this.counters.repliesSent++;
    this.handle.send(frame);
  }

  /** An ARP frame from us: to `destination` (broadcast when undefined). One frame. */
  private build(
    operation: number,
    destination: Uint8Array | undefined,
    senderIp: number,
    targetMac: Uint8Array | undefined,
    targetIp: number,
  ): Uint8Array {
    const frame = allocFrame(this.linkHeader + ARP_ETHERNET_IPV4_LENGTH);
    const at = writeLinkHeader(frame, destination ?? BROADCAST, this.mac, this.vlan, ETHERTYPE_ARP);
    const packet = ArpPacket.unchecked(frame.subarray(at));
    writeEthernetIpv4(packet, operation);
    packet.setSenderHardwareAddress(this.mac);
    packet.setSenderProtocolAddress(ipv4AddressToBytes(senderIp));
    if (targetMac !== undefined) packet.setTargetHardwareAddress(targetMac);
    packet.setTargetProtocolAddress(ipv4AddressToBytes(targetIp));
    return frame;
  }
}

const BROADCAST = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

/** Offsets in an Ethernet/IPv4 ARP packet (RFC 826): the sender's and target's addresses. */
const SENDER_MAC = 8;
const SENDER_IP = 14;
const TARGET_MAC = 18;
const TARGET_IP = 24;

/** htype 1, ptype 0x0800, hlen 6, plen 4 and `operation` at `frame[at..at+8)`. */
function writeFixed(frame: Uint8Array, at: number, operation: number): void {
  putU16(frame, at, 1);
  putU16(frame, at + 2, 0x0800);
  frame[at + 4] = 6;
  frame[at + 5] = 4;
  putU16(frame, at + 6, operation);
}

/** The fixed part of an Ethernet/IPv4 ARP packet: htype 1, ptype 0x0800, hlen 6, plen 4, `operation`. */
function writeEthernetIpv4(packet: ArpPacket, operation: number): void {
  packet.setHardwareType(1);
  packet.setProtocolType(0x0800);
  packet.setAddressLengths(6, 4);
  packet.setOperation(operation);
}
