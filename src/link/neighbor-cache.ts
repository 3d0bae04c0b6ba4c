/**
 * The neighbour cache shared by ARP (RFC 826) and IPv6 Neighbor Discovery
 * (RFC 4861 §7.3): bounded entries with the RFC 4861 states, driven by an
 * injected clock.
 *
 * - INCOMPLETE: resolution started; a request is sent every `retransmitMs`,
 *   `maxMulticastSolicit` times, then the entry fails and its queued frames
 *   are dropped (counted as `resolutionFailures` and `queueDrops`).
 * - REACHABLE: confirmed; after `reachableMs` it becomes STALE.
 * - STALE: usable; using it moves it to DELAY. Garbage-collected after
 *   `staleMs` unused (RFC 4861 leaves that to the implementation; the cache
 *   is bounded, so it must).
 * - DELAY: `delayMs` for upper-layer confirmation, then PROBE.
 * - PROBE: unicast requests every `retransmitMs`, `maxUnicastSolicit` times,
 *   then the entry is deleted.
 *
 * While INCOMPLETE an entry queues whole datagrams: the frames of one send
 * (every fragment of a fragmented datagram) are one unit, kept or dropped
 * together, so resolution never leaves a datagram with fragment 0 missing.
 * Bounds: `maxQueuedPerEntry` datagrams and `maxQueuedBytesPerEntry` bytes
 * per entry (past either the oldest datagrams are dropped to make room, as
 * Linux's unresolved queue does; a datagram larger than the byte bound by
 * itself is refused), and `maxQueuedBytes` over all entries (past it the
 * new datagram is refused). Each drop is counted (`queueDrops` in frames,
 * `queueOverflows` in datagrams). When the address resolves the frames go
 * out in order, destination MAC filled in. At most `maxIncomplete` entries are
 * in resolution: a new one past that evicts the oldest INCOMPLETE one. At
 * `maxEntries` a new entry evicts the oldest STALE one, else the oldest
 * INCOMPLETE one, else it is refused (counted), so a flood of spoofed
 * sources (each answered, so each resolved) cannot keep a real neighbour
 * out. Every timer goes
 * through the clock and is cancelled by `close()`.
 */
import { positiveInteger, type Clock, type Timer } from '../runtime/index.js';
import type { TraceProvider } from '../trace/index.js';
import { formatMac } from '../wire/index.js';
import { BindingEvent } from './binding-events.js';
import { macFromNumber } from './mac.js';

export type NeighborState = 'incomplete' | 'reachable' | 'stale' | 'delay' | 'probe';

export interface NeighborCacheLimits {
  /** Entries at most. Default 512. */
  readonly maxEntries?: number;
  /**
   * Entries in resolution (INCOMPLETE) at most; a new one past it evicts the
   * oldest in resolution. Default a quarter of `maxEntries` (128).
   */
  readonly maxIncomplete?: number;
  /** Datagrams (the frames of one send) queued per INCOMPLETE entry. Default 4. */
  readonly maxQueuedPerEntry?: number;
  /**
   * Bytes of frames queued per INCOMPLETE entry. Default 128 KiB: a whole
   * 64 KiB datagram, fragmented, fits with room to spare.
   */
  readonly maxQueuedBytesPerEntry?: number;
  /** Bytes of frames queued over all entries. Default 1 MiB. */
  readonly maxQueuedBytes?: number;
  /** REACHABLE lifetime (RFC 4861 REACHABLE_TIME). Default 30 000 ms. */
  readonly reachableMs?: number;
  /** How long an unused STALE entry is kept. Default 240 000 ms. */
  readonly staleMs?: number;
  /** DELAY_FIRST_PROBE_TIME. Default 5 000 ms. */
  readonly delayMs?: number;
  /** RETRANS_TIMER. Default 1 000 ms. */
  readonly retransmitMs?: number;
  /** MAX_MULTICAST_SOLICIT. Default 3. */
  readonly maxMulticastSolicit?: number;
  /** MAX_UNICAST_SOLICIT. Default 3. */
  readonly maxUnicastSolicit?: number;
}

export interface NeighborEntry<K> {
  readonly key: K;
  readonly state: NeighborState;
  /** The link-layer address, once known. */
  readonly mac: Uint8Array | undefined;
  /** Frames waiting for resolution. */
  readonly queued: number;
  /** Their bytes. */
  readonly queuedBytes: number;
}

export interface NeighborCacheStats {
  readonly entries: number;
  readonly maxEntries: number;
  readonly created: number;
  /** STALE entries removed to make room. */
  readonly evictions: number;
  /** New entries refused because the cache was full of live ones. */
  readonly refusals: number;
  readonly resolutionFailures: number;
  /** Frames queued while resolving. */
  readonly queuedFrames: number;
  /** Queued frames dropped: queue full, resolution failed, entry removed or cache closed. */
  readonly queueDrops: number;
  /** Datagrams dropped or refused because a queue bound (count or bytes) was hit. */
  readonly queueOverflows: number;
  /** Bytes queued now, over all entries. */
  readonly queuedBytes: number;
  /** Queued frames sent once resolved. */
  readonly flushed: number;
  readonly solicitations: number;
}

export interface NeighborCacheHooks<K> {
  /** Sends a request for `key`: broadcast/multicast when `unicastMac` is undefined, else a unicast probe. */
  solicit(key: K, unicastMac: Uint8Array | undefined): void;
  /** Sends a frame (queued frames, destination filled in). */
  transmit(frame: Uint8Array): void;
  /** Formats a key for traces. */
  format(key: K): string;
}

/** `queue-full`: a queue bound refused the datagram (it alone exceeds a bound). */
export type NeighborSendResult = 'sent' | 'queued' | 'refused' | 'queue-full';

class Entry<K> implements NeighborEntry<K> {
  state: NeighborState = 'incomplete';
  mac: Uint8Array | undefined;
  macNumber = -1;
  timer: Timer | undefined;
  probes = 0;
  /** Datagrams waiting, each the frames of one send. */
  queue: Uint8Array[][] | undefined;
  queued = 0;
  queuedBytes = 0;
  constructor(readonly key: K) {}
}

function bytesOf(frames: readonly Uint8Array[]): number {
  let bytes = 0;
  for (const frame of frames) bytes += frame.length;
  return bytes;
}

/** A neighbour-cache limit (the message names the cache). */
function positive(name: string, value: number | undefined, fallback: number): number {
  return positiveInteger(`Neighbour cache ${name}`, value, fallback);
}

/** See the file comment. `K` is the protocol address as a key (a uint32 for IPv4, a string for IPv6). */
export class NeighborCache<K> {
  readonly maxEntries: number;
  readonly maxIncomplete: number;
  private readonly maxQueued: number;
  private readonly maxQueuedBytesPerEntry: number;
  private readonly maxQueuedBytes: number;
  private queuedBytes = 0;
  private readonly reachableMs: number;
  private readonly staleMs: number;
  private readonly delayMs: number;
  private readonly retransmitMs: number;
  private readonly maxMulticast: number;
  private readonly maxUnicast: number;
  private readonly entries = new Map<K, Entry<K>>();
  private closed = false;
  private counters = {
    created: 0,
    evictions: 0,
    refusals: 0,
    resolutionFailures: 0,
    queuedFrames: 0,
    queueDrops: 0,
    queueOverflows: 0,
    flushed: 0,
    solicitations: 0,
  };

  constructor(
    private readonly protocol: 'arp' | 'nd',
    private readonly clock: Clock,
    private readonly hooks: NeighborCacheHooks<K>,
    limits: NeighborCacheLimits = {},
    private readonly trace?: TraceProvider,
  ) {
    this.maxEntries = positive('maxEntries', limits.maxEntries, 512);
    this.maxIncomplete = positive(
      'maxIncomplete',
      limits.maxIncomplete,
      Math.max(1, Math.floor(this.maxEntries / 4)),
    );
    this.maxQueued = positive('maxQueuedPerEntry', limits.maxQueuedPerEntry, 4);
    this.maxQueuedBytesPerEntry = positive(
      'maxQueuedBytesPerEntry',
      limits.maxQueuedBytesPerEntry,
      128 * 1024,
    );
    this.maxQueuedBytes = positive('maxQueuedBytes', limits.maxQueuedBytes, 1024 * 1024);
    this.reachableMs = positive('reachableMs', limits.reachableMs, 30_000);
    this.staleMs = positive('staleMs', limits.staleMs, 240_000);
    this.delayMs = positive('delayMs', limits.delayMs, 5_000);
    this.retransmitMs = positive('retransmitMs', limits.retransmitMs, 1_000);
    this.maxMulticast = positive('maxMulticastSolicit', limits.maxMulticastSolicit, 3);
    this.maxUnicast = positive('maxUnicastSolicit', limits.maxUnicastSolicit, 3);
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: K): NeighborEntry<K> | undefined {
    return this.entries.get(key);
  }

  list(): NeighborEntry<K>[] {
    return [...this.entries.values()].map((e) => ({
      key: e.key,
      state: e.state,
      mac: e.mac,
      queued: e.queued,
      queuedBytes: e.queuedBytes,
    }));
  }

  /**
   * The MAC for `key` if known (a STALE entry moves to DELAY, RFC 4861
   * §7.3.3); otherwise starts resolution and returns undefined.
   */
  resolve(key: K): Uint8Array | undefined {
    const entry = this.entries.get(key) ?? this.create(key);
    if (entry === undefined) return undefined;
    if (entry.state === 'incomplete') return undefined;
    if (entry.state === 'stale') this.enter(entry, 'delay');
    return entry.mac;
  }

  /**
   * Sends `frame` (an Ethernet frame whose destination, bytes 0..5, is filled
   * in here) to `key`, or queues it while the address resolves. The frame
   * now belongs to the cache.
   */
  send(key: K, frame: Uint8Array): NeighborSendResult {
    return this.sendAll(key, [frame]);
  }

  /**
   * Sends the frames of one datagram (its fragments, in order) like `send`:
   * queued, kept and dropped as one unit while the address resolves.
   */
  sendAll(key: K, frames: readonly Uint8Array[]): NeighborSendResult {
    if (this.closed) return 'refused';
    const mac = this.resolve(key);
    if (mac !== undefined) {
      for (const frame of frames) {
        frame.set(mac, 0);
        this.hooks.transmit(frame);
      }
      return 'sent';
    }
    const entry = this.entries.get(key);
    if (entry === undefined) {
      this.counters.queueDrops += frames.length;
      return 'refused';
    }
    const bytes = bytesOf(frames);
    if (
      bytes > this.maxQueuedBytesPerEntry ||
      this.queuedBytes - entry.queuedBytes + bytes > this.maxQueuedBytes
    ) {
      // Larger than an entry may hold, or the cache is full of other entries'
      // datagrams: refuse the new one rather than drop another destination's.
      this.counters.queueDrops += frames.length;
      this.counters.queueOverflows++;
      return 'queue-full';
    }
    const queue = (entry.queue ??= []);
    while (
      queue.length > 0 &&
      (queue.length >= this.maxQueued ||
        entry.queuedBytes + bytes > this.maxQueuedBytesPerEntry ||
        this.queuedBytes + bytes > this.maxQueuedBytes)
    ) {
      // Drop the oldest, as Linux's unresolved queue does: the newest is likelier still wanted.
      const dropped = queue.shift() as Uint8Array[];
      this.unqueue(entry, dropped);
      this.counters.queueDrops += dropped.length;
      this.counters.queueOverflows++;
    }
    queue.push([...frames]);
    entry.queued += frames.length;
    entry.queuedBytes += bytes;
    this.queuedBytes += bytes;
    this.counters.queuedFrames += frames.length;
    return 'queued';
  }

  /**
   * Learns `key` → `macNumber` (a 48-bit number) from a received message.
   * `confirmed`: the message proves reachability (ARP reply to us, solicited
   * NA). `override`: a different MAC replaces the known one (RFC 4861 §7.2.5's
   * O flag; always for ARP). `create`: make the entry if missing (RFC 826:
   * only when the message was addressed to us). Returns whether an entry
   * exists afterwards (the RFC 826 merge flag). Allocates only when a MAC changes.
   */
  learn(
    key: K,
    macNumber: number,
    confirmed: boolean,
    override: boolean,
    create: boolean,
  ): boolean {
    if (this.closed) return false;
    let entry = this.entries.get(key);
    if (entry === undefined) {
      if (!create) return false;
      entry = this.create(key, false);
      if (entry === undefined) return false;
    }
    if (entry.state === 'incomplete') {
      this.setMac(entry, macNumber);
      this.enter(entry, confirmed ? 'reachable' : 'stale');
      this.flush(entry);
      return true;
    }
    if (entry.macNumber !== macNumber) {
      if (!override) {
        if (entry.state === 'reachable') this.enter(entry, 'stale');
        return true;
      }
      this.setMac(entry, macNumber);
      this.enter(entry, confirmed ? 'reachable' : 'stale');
      return true;
    }
    if (confirmed) this.enter(entry, 'reachable');
    return true;
  }

  /** Removes an entry, dropping its queue. */
  delete(key: K): boolean {
    const entry = this.entries.get(key);
    if (entry === undefined) return false;
    this.remove(entry);
    return true;
  }

  stats(): NeighborCacheStats {
    return {
      entries: this.entries.size,
      maxEntries: this.maxEntries,
      ...this.counters,
      queuedBytes: this.queuedBytes,
    };
  }

  /** Cancels every timer and drops every queued frame; idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const entry of [...this.entries.values()]) this.remove(entry);
  }

  private create(key: K, solicit = true): Entry<K> | undefined {
    if (this.closed) return undefined;
    if (solicit && this.countIncomplete() >= this.maxIncomplete) this.evictOne('incomplete');
    if (
      this.entries.size >= this.maxEntries &&
      !this.evictOne('stale') &&
      !this.evictOne('incomplete')
    ) {
      this.counters.refusals++;
      return undefined;
    }
    const entry = new Entry(key);
    this.entries.set(key, entry);
    this.counters.created++;
    if (solicit) {
      this.traceState(entry, 'none');
      this.solicit(entry, undefined);
      entry.timer = this.clock.setTimer(this.retransmitMs, () => this.expire(entry));
    }
    return entry;
  }

  private countIncomplete(): number {
    let count = 0;
    for (const entry of this.entries.values()) if (entry.state === 'incomplete') count++;
    return count;
  }

  /**
   * Evicts the oldest entry in `state`. STALE first; then INCOMPLETE, so
   * resolutions started for spoofed sources cannot keep a real neighbour out.
   */
  private evictOne(state: 'stale' | 'incomplete'): boolean {
    // Map order is insertion order; the first entry in `state` is the oldest one.
    for (const entry of this.entries.values()) {
      if (entry.state === state) {
        this.remove(entry);
        this.counters.evictions++;
        return true;
      }
    }
    return false;
  }

  private setMac(entry: Entry<K>, macNumber: number): void {
    entry.macNumber = macNumber;
    entry.mac = macFromNumber(macNumber);
  }

  private solicit(entry: Entry<K>, unicast: Uint8Array | undefined): void {
    entry.probes++;
    this.counters.solicitations++;
    this.hooks.solicit(entry.key, unicast);
  }

  private enter(entry: Entry<K>, state: NeighborState): void {
    const from = entry.state;
    entry.timer?.cancel();
    entry.timer = undefined;
    entry.state = state;
    entry.probes = 0;
    switch (state) {
      case 'reachable':
        entry.timer = this.clock.setTimer(this.reachableMs, () => this.enter(entry, 'stale'));
        break;
      case 'stale':
        entry.timer = this.clock.setTimer(this.staleMs, () => this.remove(entry));
        break;
      case 'delay':
        entry.timer = this.clock.setTimer(this.delayMs, () => this.enter(entry, 'probe'));
        break;
      case 'probe':
        this.solicit(entry, entry.mac);
        entry.timer = this.clock.setTimer(this.retransmitMs, () => this.expire(entry));
        break;
      case 'incomplete':
        break;
    }
    if (from !== state) this.traceState(entry, from);
  }

  /** The retransmit timer of an INCOMPLETE or PROBE entry fired. */
  private expire(entry: Entry<K>): void {
    entry.timer = undefined;
    const limit = entry.state === 'incomplete' ? this.maxMulticast : this.maxUnicast;
    if (entry.probes < limit) {
      this.solicit(entry, entry.state === 'probe' ? entry.mac : undefined);
      entry.timer = this.clock.setTimer(this.retransmitMs, () => this.expire(entry));
      return;
    }
    if (entry.state === 'incomplete') this.counters.resolutionFailures++;
    this.remove(entry);
  }

  private flush(entry: Entry<K>): void {
    const queue = entry.queue;
    const mac = entry.mac;
    entry.queue = undefined;
    this.queuedBytes -= entry.queuedBytes;
    entry.queued = 0;
    entry.queuedBytes = 0;
    if (queue === undefined || mac === undefined) return;
    for (const frames of queue) {
      for (const frame of frames) {
        frame.set(mac, 0);
        this.counters.flushed++;
        this.hooks.transmit(frame);
      }
    }
  }

  /** Takes a dropped datagram's frames out of the byte counts. */
  private unqueue(entry: Entry<K>, frames: readonly Uint8Array[]): void {
    const bytes = bytesOf(frames);
    entry.queued -= frames.length;
    entry.queuedBytes -= bytes;
    this.queuedBytes -= bytes;
  }

  private remove(entry: Entry<K>): void {
    if (this.entries.get(entry.key) !== entry) return;
    entry.timer?.cancel();
    entry.timer = undefined;
    this.entries.delete(entry.key);
    this.counters.queueDrops += entry.queued;
    this.queuedBytes -= entry.queuedBytes;
    entry.queue = undefined;
    entry.queued = 0;
    entry.queuedBytes = 0;
    const from = entry.state;
    this.traceState(entry, from, 'none');
  }

  private traceState(entry: Entry<K>, from: string, to: string = entry.state): void {
    const event = BindingEvent.neighborStateChanged;
    if (this.trace === undefined || !this.trace.isEnabled(event.level, event.keywords)) return;
    this.trace.emit(event, {
      protocol: this.protocol,
      address: this.hooks.format(entry.key),
      mac: entry.mac === undefined ? '' : formatMac(entry.mac),
      from,
      to,
    });
  }
}
