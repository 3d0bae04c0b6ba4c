import type { TraceProvider } from '../trace/index.js';
import { type TraceRegistry } from '../trace/index.js';
import { LINK_PROVIDER, LinkEvent } from './events.js';
import { FrameReference, Indication, type OutOfBand } from './indication.js';
import { classifyDestination, filterPasses, MulticastList, PacketFilter } from './packet-filter.js';

/** What a bound protocol implements (NDIS ProtocolReceive / ProtocolReceiveComplete). */
export interface Protocol {
  /** Decide quickly: return `'accepted'` after copying what you need, or `'not-accepted'`. */
  receive(indication: Indication): 'accepted' | 'not-accepted';
  /** Deferred work, once per burst of indications (ProtocolReceiveComplete). */
  receiveComplete?(): void;
}

export interface BindingOptions {
  /** For statistics and traces. */
  readonly name: string;
  /** Bytes of lookahead wanted (OID_GEN_CURRENT_LOOKAHEAD). Default 128. */
  readonly lookahead?: number;
  /** NDIS packet-filter bits. Default Directed | Broadcast. */
  readonly packetFilter?: number;
  /** Only frames of these EtherTypes are indicated; absent means all. */
  readonly etherTypes?: readonly number[];
  /** Multicast MAC addresses wanted with the Multicast filter bit. */
  readonly multicast?: readonly Uint8Array[];
}

export interface BindingStats {
  readonly name: string;
  /** Frames indicated to the binding (they passed its filters). */
  readonly indicated: number;
  readonly accepted: number;
  readonly rejected: number;
  /** Frames its packet filter or EtherType list kept from it. */
  readonly filtered: number;
  readonly transfers: number;
  readonly retains: number;
  /** Calls to `receive` that threw: counted as not accepted. */
  readonly handlerErrors: number;
}

export interface IndicateOptions {
  readonly oob?: OutOfBand;
  /** NDIS_STATUS_RESOURCES: the adapter needs its buffer back; bindings must copy. */
  readonly mustCopy?: boolean;
  /** Called when the adapter's buffer is free again: after the indication, or after the last retain is released. */
  readonly release?: () => void;
  /**
   * The frame's length on the wire when `frame` holds only its first bytes (a
   * capture record cut at its snapshot length). The indication's
   * `packetSize` counts the whole packet while the lookahead holds only the
   * bytes there are (NDIS partial lookahead): `fullPacket` is false and
   * `transferData` returns fewer bytes than asked, saying what is missing.
   * Ignored when not larger than `frame.length`.
   */
  readonly originalLength?: number;
}

export interface AdapterStats {
  readonly name: string;
  readonly indicated: number;
  readonly accepted: number;
  /** Frames no binding accepted. */
  readonly unclaimed: number;
  readonly dropped: { readonly runt: number; readonly giant: number };
  readonly bursts: number;
  readonly retainedOutstanding: number;
  readonly bindings: readonly BindingStats[];
}

export interface AdapterOptions {
  readonly name: string;
  /** The adapter's own MAC address (6 bytes), for the Directed filter. */
  readonly mac: Uint8Array;
  /** Largest packet (after the header). Default 1500. */
  readonly mtu?: number;
  /**
   * `full-packet` (default): every indication carries the whole frame.
   * `lookahead`: only the lookahead the bindings asked for is indicated; the
   * rest comes through `transferData` (the classic NdisMIndicateReceive path).
   */
  readonly indication?: 'full-packet' | 'lookahead';
  /** Sends a frame out; bindings reach it through `BindingHandle.send`. */
  readonly transmit?: (frame: Uint8Array) => void;
  readonly trace?: TraceRegistry;
  /** Each binding gets its own copy, overwritten with 0xdd after `receive` returns, so kept views show. */
  readonly debugPoisonViews?: boolean;
  /** Reorder bindings by acceptance rate every this many frames (NDIS may); 0 (default) never does. */
  readonly reorderEvery?: number;
}

const POISON = 0xdd;
const NO_OOB: OutOfBand = Object.freeze({});
const NO_OPTIONS: IndicateOptions = Object.freeze({});

class Binding {
  readonly indication = new Indication();
  readonly multicast = new MulticastList();
  etherTypes: ReadonlySet<number> | undefined;
  lookahead: number;
  packetFilter: number;
  open = true;
  pendingComplete = false;
  indicated = 0;
  accepted = 0;
  rejected = 0;
  filtered = 0;
  handlerErrors = 0;

  constructor(
    readonly protocol: Protocol,
    readonly name: string,
    options: BindingOptions,
  ) {
    this.lookahead = options.lookahead ?? 128;
    this.packetFilter = options.packetFilter ?? PacketFilter.Directed | PacketFilter.Broadcast;
    this.etherTypes = options.etherTypes === undefined ? undefined : new Set(options.etherTypes);
    for (const mac of options.multicast ?? []) this.multicast.add(mac);
  }

  stats(): BindingStats {
    return {
      name: this.name,
      indicated: this.indicated,
      accepted: this.accepted,
      rejected: this.rejected,
      filtered: this.filtered,
      transfers: this.indication.transfers,
      retains: this.indication.retains,
      handlerErrors: this.handlerErrors,
    };
  }
}

/** A protocol's handle on an adapter (NdisOpenAdapter's result). */
export interface BindingHandle {
  readonly name: string;
  setLookahead(bytes: number): void;
  setPacketFilter(filter: number): void;
  addMulticast(mac: Uint8Array): void;
  removeMulticast(mac: Uint8Array): void;
  /** Sends a whole frame through the adapter. */
  send(frame: Uint8Array): void;
  stats(): BindingStats;
  /** Unbinds; idempotent. A binding closed during an indication gets no more calls. */
  close(): void;
}

/**
 * A network adapter (the miniport side of NDIS): it indicates received frames
 * to every bound protocol, each of which gets equal access and answers
 * accepted or not; after a burst it calls `receiveComplete` once per binding
 * that saw frames. See index.ts for the whole contract.
 */
export class Adapter {
  readonly name: string;
  readonly mac: Uint8Array;
  readonly mtu: number;
  private readonly lookaheadOnly: boolean;
  private readonly transmit: ((frame: Uint8Array) => void) | undefined;
  private readonly trace: TraceProvider | undefined;
  private readonly poison: boolean;
  private readonly reorderEvery: number;
  private bindings: Binding[] = [];
  private readonly taps: ((frame: Uint8Array, oob: OutOfBand) => void)[] = [];
  private readonly transmitTaps: ((frame: Uint8Array) => void)[] = [];
  private currentLookahead = 0;
  private completing = false;
  private indicated = 0;
  private accepted = 0;
  private unclaimed = 0;
  private runts = 0;
  private giants = 0;
  private bursts = 0;
  private retainedOutstanding = 0;
  private shared: FrameReference | undefined;
  private release: (() => void) | undefined;
  /** Made once: hands the current frame's reference to a retaining binding. */
  private readonly makeReference = (): FrameReference => {
    if (this.shared === undefined) {
      const release = this.release;
      this.shared = new FrameReference(() => {
        this.retainedOutstanding--;
        release?.();
      });
    }
    return this.shared;
  };

  constructor(options: AdapterOptions) {
    if (options.mac.length !== 6)
      throw new TypeError(`An adapter MAC address has 6 bytes: got ${options.mac.length}`);
    const mtu = options.mtu ?? 1500;
    if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) {
      throw new RangeError(`Adapter MTU must be an integer from 68 to 65535: got ${mtu}`);
    }
    this.name = options.name;
    this.mac = Uint8Array.from(options.mac);
    this.mtu = mtu;
    this.lookaheadOnly = options.indication === 'lookahead';
    this.transmit = options.transmit;
    this.trace = options.trace?.register(LINK_PROVIDER);
    this.poison = options.debugPoisonViews ?? false;
    this.reorderEvery = options.reorderEvery ?? 0;
  }

  /** Binds a protocol (NdisOpenAdapter). */
  openBinding(protocol: Protocol, options: BindingOptions): BindingHandle {
    const binding = new Binding(protocol, options.name, options);
    checkLookahead(binding.lookahead);
    this.bindings = [...this.bindings, binding];
    this.recomputeLookahead();
    this.trace?.emit(LinkEvent.bindingChanged, {
      adapter: this.name,
      binding: binding.name,
      change: 'open',
    });
    return {
      name: binding.name,
      setLookahead: (bytes) => {
        checkLookahead(bytes);
        binding.lookahead = bytes;
        this.recomputeLookahead();
      },
      setPacketFilter: (filter) => {
        binding.packetFilter = filter;
      },
      addMulticast: (mac) => binding.multicast.add(mac),
      removeMulticast: (mac) => void binding.multicast.delete(mac),
      send: (frame) => this.send(frame),
      stats: () => binding.stats(),
      close: () => {
        if (!binding.open) return;
        binding.open = false;
        // Copy on write: an indication in progress keeps iterating its own array.
        this.bindings = this.bindings.filter((b) => b !== binding);
        this.recomputeLookahead();
        this.trace?.emit(LinkEvent.bindingChanged, {
          adapter: this.name,
          binding: binding.name,
          change: 'close',
        });
      },
    };
  }

  /** Sees every frame before any binding, and cannot reject it (capture, pcap writing). */
  tap(listener: (frame: Uint8Array, oob: OutOfBand) => void): () => void {
    this.taps.push(listener);
    return () => {
      const at = this.taps.indexOf(listener);
      if (at >= 0) this.taps.splice(at, 1);
    };
  }

  /** Sees every frame sent, before the transmit function (pcap writing of both directions). */
  tapTransmit(listener: (frame: Uint8Array) => void): () => void {
    this.transmitTaps.push(listener);
    return () => {
      const at = this.transmitTaps.indexOf(listener);
      if (at >= 0) this.transmitTaps.splice(at, 1);
    };
  }

  /** Sends a frame out through the adapter's transmit function. */
  send(frame: Uint8Array): void {
    if (this.transmit === undefined)
      throw new TypeError(`Adapter ${this.name} cannot send: it has no transmit`);
    for (const tap of this.transmitTaps) tap(frame);
    this.transmit(frame);
  }

  /**
   * Indicates one received frame to every binding whose filters pass it, and
   * returns how many accepted it. Malformed frames (shorter than an Ethernet
   * header, longer than the MTU allows) are dropped, counted and traced.
   * Call `receiveComplete()` after a burst, or use `indicateBurst`.
   */
  indicate(frame: Uint8Array, options: IndicateOptions = NO_OPTIONS): number {
    const parsed = this.parseHeader(frame);
    if (parsed < 0) {
      options.release?.();
      return 0;
    }
    const headerSize = parsed & 0xff;
    const etherType = (parsed >>> 8) & 0xffff;
    this.indicated++;
    const oob = options.oob ?? NO_OOB;
    for (const tap of this.taps) tap(frame, oob);
    const available = frame.length - headerSize;
    const truncated = options.originalLength !== undefined && options.originalLength > frame.length;
    const packetSize = truncated ? options.originalLength - headerSize : available;
    const destination = classifyDestination(frame, this.mac);
    const vlanId =
      headerSize > 14
        ? ((frame[headerSize - 4] as number) & 0x0f) * 256 + (frame[headerSize - 3] as number)
        : -1;
    const lookaheadSize = this.lookaheadOnly
      ? Math.min(this.currentLookahead, available)
      : available;
    // The frame's reference is made only when a binding retains it; the
    // fields are saved and restored so a frame indicated from inside a
    // handler (a loopback reply) keeps its own. No closure per frame.
    const outerShared = this.shared;
    const outerRelease = this.release;
    this.shared = undefined;
    this.release = options.release;
    let accepts = 0;
    const bindings = this.bindings;
    for (const binding of bindings) {
      if (!binding.open) continue;
      if (
        !filterPasses(binding.packetFilter, destination, frame, binding.multicast) ||
        (binding.etherTypes !== undefined && !binding.etherTypes.has(etherType))
      ) {
        binding.filtered++;
        continue;
      }
      const indication = binding.indication;
      const view = this.poison ? frame.slice() : frame;
      indication.begin(view);
      indication.headerSize = headerSize;
      indication.packetSize = packetSize;
      indication.lookaheadSize = lookaheadSize;
      indication.etherType = etherType;
      indication.vlanId = vlanId;
      indication.destination = destination;
      indication.fullPacket = !this.lookaheadOnly && !truncated;
      indication.mustCopy = options.mustCopy ?? false;
      indication.oob = oob;
      indication.reference = this.shared;
      indication.makeReference = this.makeReference;
      let verdict: 'accepted' | 'not-accepted' = 'not-accepted';
      try {
        verdict = binding.protocol.receive(indication);
      } catch (error) {
        binding.handlerErrors++;
        this.trace?.emit(LinkEvent.handlerFailed, {
          binding: binding.name,
          message: String(error),
        });
      }
      indication.active = false;
      indication.makeReference = undefined;
      indication.reference = undefined;
      if (this.poison) view.fill(POISON);
      binding.indicated++;
      binding.pendingComplete = true;
      if (verdict === 'accepted') {
        binding.accepted++;
        accepts++;
        // Checked before building the payload object: this runs for every frame.
        if (
          this.trace?.isEnabled(LinkEvent.frameAccepted.level, LinkEvent.frameAccepted.keywords)
        ) {
          this.trace.emit(LinkEvent.frameAccepted, {
            binding: binding.name,
            etherType,
            length: frame.length,
          });
        }
      } else {
        binding.rejected++;
        // Checked before building the payload object: this runs for every frame.
        if (
          this.trace?.isEnabled(LinkEvent.frameRejected.level, LinkEvent.frameRejected.keywords)
        ) {
          this.trace.emit(LinkEvent.frameRejected, {
            binding: binding.name,
            etherType,
            length: frame.length,
          });
        }
      }
    }
    if (accepts > 0) this.accepted++;
    else this.unclaimed++;
    if (this.reorderEvery > 0 && this.indicated % this.reorderEvery === 0) this.reorder();
    // Set by makeReference during the loop, which TypeScript cannot see.
    const shared = this.shared as FrameReference | undefined;
    this.shared = outerShared;
    this.release = outerRelease;
    if (shared === undefined) options.release?.();
    else {
      this.retainedOutstanding++;
      // The indication's own hold ends here; retains keep the buffer until released.
      shared.drop();
    }
    return accepts;
  }

  /**
   * Runs each binding's `receiveComplete` once for the frames indicated since
   * the last call. A frame indicated while this runs is handled at once and
   * gets its own completion before this returns.
   */
  receiveComplete(): void {
    if (this.completing) return;
    this.completing = true;
    try {
      for (;;) {
        const due = this.bindings.filter((b) => b.pendingComplete);
        if (due.length === 0) break;
        this.bursts++;
        for (const binding of due) {
          binding.pendingComplete = false;
          try {
            binding.protocol.receiveComplete?.();
          } catch (error) {
            binding.handlerErrors++;
            this.trace?.emit(LinkEvent.handlerFailed, {
              binding: binding.name,
              message: String(error),
            });
          }
        }
      }
    } finally {
      this.completing = false;
    }
  }

  /** Indicates every frame of a burst, then runs `receiveComplete` once. */
  indicateBurst(frames: Iterable<Uint8Array>, options: IndicateOptions = NO_OPTIONS): number {
    let accepted = 0;
    for (const frame of frames) accepted += this.indicate(frame, options) > 0 ? 1 : 0;
    this.receiveComplete();
    return accepted;
  }

  /** The bindings in the order they are called now. */
  bindingOrder(): string[] {
    return this.bindings.map((b) => b.name);
  }

  stats(): AdapterStats {
    return {
      name: this.name,
      indicated: this.indicated,
      accepted: this.accepted,
      unclaimed: this.unclaimed,
      dropped: { runt: this.runts, giant: this.giants },
      bursts: this.bursts,
      retainedOutstanding: this.retainedOutstanding,
      bindings: this.bindings.map((b) => b.stats()),
    };
  }

  /**
   * Header size (low byte) and EtherType (next 16 bits) packed in one
   * number, or -1 after dropping the frame. Packed so the hot path allocates nothing.
   */
  private parseHeader(frame: Uint8Array): number {
    if (frame.length < 14) return this.drop('runt', frame.length);
    let headerSize = 14;
    let etherType = ((frame[12] as number) << 8) | (frame[13] as number);
    // 802.1Q (0x8100) and 802.1ad (0x88a8) tags: up to two, the inner type is the protocol.
    for (let tags = 0; tags < 2 && (etherType === 0x8100 || etherType === 0x88a8); tags++) {
      if (frame.length < headerSize + 4) return this.drop('runt', frame.length);
      etherType = ((frame[headerSize + 2] as number) << 8) | (frame[headerSize + 3] as number);
      headerSize += 4;
    }
    // Room for an FCS the adapter may have left on: protocols use their own lengths.
    if (frame.length - headerSize > this.mtu + 4) return this.drop('giant', frame.length);
    return headerSize | (etherType << 8);
  }

  private drop(reason: 'runt' | 'giant', length: number): -1 {
    if (reason === 'runt') this.runts++;
    else this.giants++;
    this.trace?.emit(LinkEvent.frameDropped, { adapter: this.name, reason, length });
    return -1;
  }

  private recomputeLookahead(): void {
    let largest = 0;
    for (const binding of this.bindings) largest = Math.max(largest, binding.lookahead);
    this.currentLookahead = Math.min(largest, this.mtu);
  }

  private reorder(): void {
    const rate = (b: Binding) => (b.indicated === 0 ? 0 : b.accepted / b.indicated);
    this.bindings = [...this.bindings].sort((a, b) => rate(b) - rate(a));
  }
}

function checkLookahead(bytes: number): void {
  if (!Number.isInteger(bytes) || bytes < 0 || bytes > 65535) {
    throw new RangeError(`Lookahead must be an integer from 0 to 65535: got ${bytes}`);
  }
}
