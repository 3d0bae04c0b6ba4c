import type { TraceProvider } from '../trace/index.js';
import { traceFailure } from './adapter-failures.js';
import {
  FRAME_DROP_REASONS,
  SEND_DROP_REASONS,
  type AdapterOptions,
  type AdapterStats,
  type FrameDropReason,
  type IndicateOptions,
  type ReceiveDescriptor,
  type ReceiveTap,
  type SendDropReason,
  type TransmitTap,
  checkAdapterOptions,
} from './adapter-options.js';
import { Binding, type BindingHandle, type BindingOptions, type Protocol } from './binding.js';
import { checkLookahead, largestLookahead, reorderBindings } from './binding-order.js';
import { ControlledPort } from './controlled-port.js';
import { countsByReason } from './counters.js';
import { LINK_PROVIDER, LinkEvent } from './events.js';
import {
  badSourceMac,
  FCS_ALLOWANCE,
  GIANT,
  innerVlanId,
  innerVlanTpid,
  parseFrameHeader,
  RUNT,
} from './frame-header.js';
import { FrameMeta, type OutOfBand } from './indication.js';
import { segmentOfFrame } from './link-header.js';
import { classifyDestination, Destination } from './packet-filter.js';
import { dispatchToBindings } from './binding-dispatch.js';

export type { BindingHandle, BindingOptions, BindingStats, Protocol } from './binding.js';
export {
  FRAME_DROP_REASONS,
  SEND_DROP_REASONS,
  type AdapterOptions,
  type AdapterStats,
  type FrameDropReason,
  type IndicateOptions,
  type ReceiveDescriptor,
  type ReceiveTap,
  type SendDropReason,
  type TransmitTap,
} from './adapter-options.js';

const NO_OOB: OutOfBand = Object.freeze({});
const NO_OPTIONS: IndicateOptions = Object.freeze({});

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
  /** The 802.1X controlled port, open unless configured: what an EAPOL authenticator drives. */
  readonly controlledPort: ControlledPort;
  private readonly lookaheadOnly: boolean;
  private readonly transmit: ((frame: Uint8Array) => void) | undefined;
  private readonly trace: TraceProvider | undefined;
  private readonly poison: boolean;
  private readonly reorderEvery: number;
  private readonly reorderDecay: number;
  private readonly maxNesting: number;
  // Copy on write, all three: a listener or binding removed during a call must not skip its neighbour.
  private bindings: Binding[] = [];
  private taps: ReceiveTap[] = [];
  private transmitTaps: TransmitTap[] = [];
  /** The frame state of each nesting depth of `indicate`: index 0 for a frame off the wire. */
  private readonly metas: FrameMeta[] = [];
  private depth = 0;
  private currentLookahead = 0;
  private completing = false;
  /** `indicateBurst` calls in progress: only the outermost one completes. */
  private burstDepth = 0;
  private indicated = 0;
  private accepted = 0;
  private unclaimed = 0;
  private readonly dropped = countsByReason(FRAME_DROP_REASONS);
  private readonly sendDropped = countsByReason(SEND_DROP_REASONS);
  private bursts = 0;
  private retainedOutstanding = 0;
  private tapErrors = 0;
  private releaseErrors = 0;
  private internalErrors = 0;
  /** Runs when the last retain of a frame lets go; made once, shared by every frame. */
  private readonly onRetainedReleased = (release: (() => void) | undefined): void => {
    this.retainedOutstanding--;
    this.callRelease(release);
  };

  constructor(options: AdapterOptions) {
    const { mtu, decay, maxNesting } = checkAdapterOptions(options);
    this.name = options.name;
    this.mac = Uint8Array.from(options.mac);
    this.mtu = mtu;
    this.lookaheadOnly = options.indication === 'lookahead';
    this.transmit = options.transmit;
    this.trace = options.trace?.register(LINK_PROVIDER);
    this.poison = options.debugPoisonViews ?? false;
    this.reorderEvery = options.reorderEvery ?? 0;
    this.reorderDecay = decay;
    this.maxNesting = maxNesting;
    this.controlledPort = new ControlledPort(this.name, this.trace, options.controlledPort);
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

  /**
   * Sees every frame the adapter receives before any binding, and cannot
   * reject it (capture, pcap writing): runts, giants and frames the
   * controlled port holds back too, with the drop reason. Not a frame refused
   * as `too-deep` (a tap that injects would recurse there). A listener that
   * throws is counted (`tapErrors`), traced and skipped.
   */
  tap(listener: ReceiveTap): () => void {
    this.taps = [...this.taps, listener];
    return () => {
      this.taps = this.taps.filter((t) => t !== listener);
    };
  }

  /** Sees every frame handed to `send`, before the transmit function, with the reason if it is not sent. */
  tapTransmit(listener: TransmitTap): () => void {
    this.transmitTaps = [...this.transmitTaps, listener];
    return () => {
      this.transmitTaps = this.transmitTaps.filter((t) => t !== listener);
    };
  }

  /**
   * Sends a frame out through the adapter's transmit function; returns false
   * when the controlled port held it back (counted in `sendDropped`, traced).
   */
  send(frame: Uint8Array): boolean {
    if (this.transmit === undefined)
      throw new TypeError(`Adapter ${this.name} cannot send: it has no transmit`);
    const port = this.controlledPort;
    const dropped: SendDropReason | undefined =
      port.gatesSend && !port.admitsSent(frame) ? 'unauthorized' : undefined;
    for (const tap of this.transmitTaps) {
      try {
        tap(frame, dropped);
      } catch (error) {
        this.tapErrors++;
        this.traceFailure('tap', error);
      }
    }
    if (dropped !== undefined) {
      this.sendDropped[dropped]++;
      const event = LinkEvent.sendDropped;
      if (this.trace?.isEnabled(event.level, event.keywords)) {
        this.trace.emit(event, { adapter: this.name, reason: dropped, length: frame.length });
      }
      return false;
    }
    this.transmit(frame);
    return true;
  }

  /**
   * Indicates one received frame to every binding whose filters pass it, and
   * returns how many accepted it. Malformed frames (shorter than an Ethernet
   * header, longer than the MTU allows) and frames the controlled port holds
   * back are dropped, counted and traced, after the taps saw them. Never
   * throws: bindings, taps and the release callback are isolated. Call
   * `receiveComplete()` after a burst, or use `indicateBurst`.
   */
  indicate(frame: Uint8Array, options: IndicateOptions = NO_OPTIONS): number {
    return this.indicateFrame(
      frame,
      options.oob ?? NO_OOB,
      options.mustCopy ?? false,
      options.release,
      options.originalLength,
    );
  }

  /**
   * Indicates every frame of a burst, then runs `receiveComplete` once, and
   * returns how many frames some binding accepted. A burst indicated from
   * inside a binding during another burst joins it: the outermost burst
   * completes once, after its last frame. A descriptor with
   * `status: 'resources'` (NDIS_STATUS_RESOURCES) makes itself and every
   * later one in the burst must-copy; `options` apply to plain frames (and
   * `options.mustCopy` to all of them).
   */
  indicateBurst(
    frames: Iterable<Uint8Array | ReceiveDescriptor>,
    options: IndicateOptions = NO_OPTIONS,
  ): number {
    let accepted = 0;
    let mustCopy = options.mustCopy ?? false;
    const oob = options.oob ?? NO_OOB;
    // A binding may indicate a burst of its own mid-burst (a loopback reply):
    // completing there would tell every binding the outer burst had ended.
    this.burstDepth++;
    try {
      for (const item of frames) {
        let accepts: number;
        if (item instanceof Uint8Array) {
          accepts = this.indicateFrame(item, oob, mustCopy, options.release);
        } else {
          if (item.status === 'resources') mustCopy = true;
          accepts = this.indicateFrame(item.frame, item.oob ?? NO_OOB, mustCopy, item.release);
        }
        if (accepts > 0) accepted++;
      }
    } finally {
      this.burstDepth--;
    }
    if (this.burstDepth === 0) this.receiveComplete();
    return accepted;
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
            this.traceFailure(binding.name, error);
          }
        }
      }
    } finally {
      this.completing = false;
    }
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
      dropped: { ...this.dropped },
      sendDropped: { ...this.sendDropped },
      bursts: this.bursts,
      retainedOutstanding: this.retainedOutstanding,
      tapErrors: this.tapErrors,
      releaseErrors: this.releaseErrors,
      internalErrors: this.internalErrors,
      bindings: this.bindings.map((b) => b.stats()),
    };
  }

  /**
   * One indication at the current nesting depth, with its own `FrameMeta`
   * (and each binding its own `Indication` for that depth), so a frame
   * indicated from inside a handler or a tap leaves the outer frame's
   * indications, retain state and release callback untouched. Restores the
   * depth and hands the buffer back whatever happens.
   */
  private indicateFrame(
    frame: Uint8Array,
    oob: OutOfBand,
    mustCopy: boolean,
    release: (() => void) | undefined,
    originalLength?: number,
  ): number {
    const depth = this.depth;
    if (depth >= this.maxNesting) {
      this.countDrop('too-deep', frame.length);
      this.callRelease(release);
      return 0;
    }
    const meta = (this.metas[depth] ??= new FrameMeta(this.onRetainedReleased));
    meta.release = release;
    this.depth = depth + 1;
    let accepts = 0;
    try {
      accepts = this.deliver(frame, oob, mustCopy, meta, depth, originalLength);
    } catch (error) {
      // Everything `deliver` calls out to is isolated already; this keeps a
      // bug of the adapter's own from escaping into the driver that indicated.
      this.internalErrors++;
      this.traceFailure('adapter', error);
    } finally {
      this.depth = depth;
      const shared = meta.shared;
      meta.clear();
      // Tested here: most frames have no release callback, and this runs for every one.
      if (shared === undefined) {
        if (release !== undefined) this.callRelease(release);
      } else {
        this.retainedOutstanding++;
        // The indication's own hold ends here; retains keep the buffer until released.
        shared.drop();
      }
    }
    return accepts;
  }

  private deliver(
    frame: Uint8Array,
    oob: OutOfBand,
    mustCopy: boolean,
    meta: FrameMeta,
    depth: number,
    originalLength: number | undefined,
  ): number {
    const parsed = parseFrameHeader(frame, this.mtu);
    let dropped: FrameDropReason | undefined;
    if (parsed === RUNT) dropped = 'runt';
    else if (parsed === GIANT) dropped = 'giant';
    // A cut capture record is judged by the frame it came from, as the
    // bytes present would let a giant through.
    else if (
      originalLength !== undefined &&
      originalLength - (parsed & 0xff) > this.mtu + FCS_ALLOWANCE
    )
      dropped = 'giant';
    else if (badSourceMac(frame)) dropped = 'bad-source-mac';
    const destination =
      dropped === undefined ? classifyDestination(frame, this.mac) : Destination.Other;
    const etherType = (parsed >>> 8) & 0xffff;
    const port = this.controlledPort;
    if (
      dropped === undefined &&
      port.gatesReceive &&
      !port.admitsReceived(
        frame,
        etherType,
        destination === Destination.Directed,
        segmentOfFrame(frame, parsed & 0xff, oob.vlan),
      )
    ) {
      dropped = 'unauthorized';
    }
    if (dropped === undefined) this.indicated++;
    else this.countDrop(dropped, frame.length);
    if (this.taps.length > 0) this.runTaps(frame, oob, dropped);
    if (dropped !== undefined) return 0;

    const headerSize = parsed & 0xff;
    // A capture record cut at its snapshot length: the packet is longer than
    // the bytes there are, so the lookahead holds what there is (NDIS partial
    // lookahead) and `transferData` reports the rest missing.
    const available = frame.length - headerSize;
    const truncated = originalLength !== undefined && originalLength > frame.length;
    meta.headerSize = headerSize;
    meta.packetSize = truncated ? originalLength - headerSize : available;
    meta.lookaheadSize = this.lookaheadOnly
      ? Math.min(this.currentLookahead, available)
      : available;
    meta.etherType = etherType;
    meta.vlanId = innerVlanId(frame, headerSize);
    meta.vlanTpid = innerVlanTpid(frame, headerSize);
    meta.destination = destination;
    meta.fullPacket = !this.lookaheadOnly && !truncated;
    meta.mustCopy = mustCopy;
    meta.oob = oob;
    const accepts = dispatchToBindings(this.bindings, frame, meta, depth, this.poison, this.trace);
    if (accepts > 0) this.accepted++;
    else this.unclaimed++;
    if (this.reorderEvery > 0 && this.indicated % this.reorderEvery === 0) this.reorder();
    return accepts;
  }

  /** Each tap, isolated: a listener that throws is counted and traced, and the rest still run. */
  private runTaps(frame: Uint8Array, oob: OutOfBand, dropped: FrameDropReason | undefined): void {
    for (const tap of this.taps) {
      try {
        tap(frame, oob, dropped);
      } catch (error) {
        this.tapErrors++;
        this.traceFailure('tap', error);
      }
    }
  }

  private countDrop(reason: FrameDropReason, length: number): void {
    this.dropped[reason]++;
    const event = LinkEvent.frameDropped;
    // Guarded: gated frames can come as a flood, and the reject path allocates nothing.
    if (this.trace?.isEnabled(event.level, event.keywords)) {
      this.trace.emit(event, { adapter: this.name, reason, length });
    }
  }

  /** The indicator's release callback, isolated: a miniport bug must not break the receive path. */
  private callRelease(release: (() => void) | undefined): void {
    if (release === undefined) return;
    try {
      release();
    } catch (error) {
      this.releaseErrors++;
      this.traceFailure('release', error);
    }
  }

  private traceFailure(source: string, error: unknown): void {
    traceFailure(this.trace, source, error);
  }

  private recomputeLookahead(): void {
    this.currentLookahead = largestLookahead(this.bindings, this.mtu);
  }

  /** Reorders the bindings by decayed acceptance rate (binding-order.ts). */
  private reorder(): void {
    this.bindings = reorderBindings(this.bindings, this.reorderDecay);
  }
}
