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
 * another host, a runt, another EtherType) allocates nothing; a reply or an
 * announcement is one 42-byte allocation (unpadded: the adapter or NIC pads,
 * and peers accept unpadded frames, link.md §3.5).
 */
import { allocFromSlab as allocFrame } from '../bytes/index.js';
import type { Clock } from '../runtime/index.js';
import type { TraceProvider } from '../trace/index.js';
import { formatIpv4Address } from '../wire/index.js';
import type { Adapter, BindingHandle, Protocol } from './adapter.js';
import { traceAddress, traceDrop } from './binding-events.js';
import type { Indication } from './indication.js';
import { putU32 } from './frame-write.js';
import {
  NeighborCache,
  type NeighborCacheLimits,
  type NeighborCacheStats,
  type NeighborEntry,
  type NeighborSendResult,
} from './neighbor-cache.js';
import { PacketFilter } from './packet-filter.js';

export const ETHERTYPE_ARP = 0x0806;
const ARP_FRAME_LENGTH = 42;

/** Why the ARP binding dropped a frame (`stats().drops`, trace `BindingFrameDropped`). */
export type ArpDropReason =
  | 'truncated'
  | 'unsupported-format'
  | 'unsupported-operation'
  | 'bad-sender'
  | 'own-frame'
  | 'address-conflict'
  | 'not-for-us';

export interface ArpBindingOptions {
  readonly adapter: Adapter;
  readonly clock: Clock;
  readonly trace?: TraceProvider;
  readonly limits?: NeighborCacheLimits;
  /** Send a gratuitous ARP when an address is added. Default true. */
  readonly announceOnAdd?: boolean;
  /** Binding name for statistics and traces. Default `arp`. */
  readonly name?: string;
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
export class ArpBinding implements Protocol {
  readonly name: string;
  readonly cache: NeighborCache<number>;
  private readonly mac: Uint8Array;
  private readonly trace: TraceProvider | undefined;
  private readonly announceOnAdd: boolean;
  /** Own address → prefix length (to pick the source of a request). */
  private readonly addresses = new Map<number, number>();
  private readonly handle: BindingHandle;
  private counters = {
    requestsReceived: 0,
    repliesReceived: 0,
    repliesSent: 0,
    requestsSent: 0,
    announcements: 0,
    conflicts: 0,
  };
  private readonly drops: Record<ArpDropReason, number> = {
    truncated: 0,
    'unsupported-format': 0,
    'unsupported-operation': 0,
    'bad-sender': 0,
    'own-frame': 0,
    'address-conflict': 0,
    'not-for-us': 0,
  };

  constructor(options: ArpBindingOptions) {
    this.name = options.name ?? 'arp';
    this.mac = options.adapter.mac;
    this.trace = options.trace;
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
    this.handle = options.adapter.openBinding(this, {
      name: this.name,
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

  entries(): NeighborEntry<number>[] {
    return this.cache.list();
  }

  receive(ind: Indication): 'accepted' | 'not-accepted' {
    if (ind.etherType !== ETHERTYPE_ARP) return 'not-accepted';
    // 28 bytes: the Ethernet/IPv4 form; padding after it is ignored (RFC 826 lengths).
    if (ind.packetSize < 28 || ind.lookaheadSize < 28) return this.drop('truncated', ind);
    if (
      ind.u16At(0) !== 1 ||
      ind.u16At(2) !== 0x0800 ||
      ind.byteAt(4) !== 6 ||
      ind.byteAt(5) !== 4
    ) {
      return this.drop('unsupported-format', ind);
    }
    const operation = ind.u16At(6);
    if (operation !== 1 && operation !== 2) return this.drop('unsupported-operation', ind);
    const macHigh = ind.u16At(8);
    const macNumber = macHigh * 0x100000000 + ind.u32At(10);
    if ((macHigh & 0x0100) !== 0 || macNumber === 0) return this.drop('bad-sender', ind);
    const own = this.mac;
    if (
      macHigh === (((own[0] as number) << 8) | (own[1] as number)) &&
      ind.u32At(10) ===
        (own[2] as number) * 0x1000000 +
          (((own[3] as number) << 16) | ((own[4] as number) << 8) | (own[5] as number))
    ) {
      return this.drop('own-frame', ind);
    }
    const senderIp = ind.u32At(14);
    const targetIp = ind.u32At(24);
    if (operation === 1) this.counters.requestsReceived++;
    else this.counters.repliesReceived++;
    if (this.addresses.has(senderIp)) {
      this.counters.conflicts++;
      traceAddress(this.trace, 4, formatIpv4Address(senderIp), 'conflict');
      return this.drop('address-conflict', ind);
    }
    const forUs = this.addresses.has(targetIp);
    let merged = false;
    if (senderIp !== 0) {
      merged = this.cache.learn(senderIp, macNumber, forUs && operation === 2, true, forUs);
    }
    if (!forUs) {
      if (merged) return 'accepted';
      this.drops['not-for-us']++;
      return 'not-accepted';
    }
    if (operation === 1) {
      // One allocation: the reply frame, written field by field.
      const reply = allocFrame(ARP_FRAME_LENGTH);
      for (let i = 0; i < 6; i++) {
        const b = ind.byteAt(8 + i);
        reply[i] = b;
        reply[32 + i] = b;
      }
      reply.set(own, 6);
      reply[12] = 0x08;
      reply[13] = 0x06;
      writeArpFixed(reply, 2);
      reply.set(own, 22);
      putU32(reply, 28, targetIp);
      putU32(reply, 38, senderIp);
      this.counters.repliesSent++;
      this.handle.send(reply);
    }
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

  private drop(reason: ArpDropReason, ind: Indication): 'not-accepted' {
    this.drops[reason]++;
    traceDrop(this.trace, this.name, reason, ind.packetSize);
    return 'not-accepted';
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

  /** An ARP frame from us: to `destination` (broadcast when undefined). One allocation. */
  private build(
    operation: number,
    destination: Uint8Array | undefined,
    senderIp: number,
    targetMac: Uint8Array | undefined,
    targetIp: number,
  ): Uint8Array {
    const frame = allocFrame(ARP_FRAME_LENGTH);
    if (destination === undefined) frame.fill(0xff, 0, 6);
    else frame.set(destination, 0);
    frame.set(this.mac, 6);
    frame[12] = 0x08;
    frame[13] = 0x06;
    writeArpFixed(frame, operation);
    frame.set(this.mac, 22);
    putU32(frame, 28, senderIp);
    if (targetMac !== undefined) frame.set(targetMac, 32);
    putU32(frame, 38, targetIp);
    return frame;
  }
}

/** htype 1, ptype 0x0800, hlen 6, plen 4, operation, at offset 14. */
function writeArpFixed(frame: Uint8Array, operation: number): void {
  frame[14] = 0;
  frame[15] = 1;
  frame[16] = 0x08;
  frame[17] = 0;
  frame[18] = 6;
  frame[19] = 4;
  frame[20] = 0;
  frame[21] = operation;
}
