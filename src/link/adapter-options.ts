/**
 * The adapter's public vocabulary: its options and statistics, what taps
 * receive, the descriptors of a burst, and the reasons it drops frames.
 */
import type { TraceRegistry } from '../trace/index.js';
import type { BindingStats } from './binding.js';
import type { ControlledPortOptions } from './controlled-port.js';
import type { OutOfBand } from './indication.js';

/**
 * Why the adapter dropped a received frame before any binding saw it:
 * `runt` (shorter than its Ethernet header and tags), `giant` (longer than
 * MTU + header + a 4-byte FCS), `bad-source-mac` (the Ethernet source is a
 * group address or all zeros: IEEE 802.3 §3.2.3 makes it an individual
 * address, and a reply to it would go to the whole segment), `unauthorized` (the 802.1X controlled port
 * held it back), `too-deep` (indicated from inside more than `maxNesting`
 * nested indications).
 */
export const FRAME_DROP_REASONS = [
  'runt',
  'giant',
  'bad-source-mac',
  'unauthorized',
  'too-deep',
] as const;
export type FrameDropReason = (typeof FRAME_DROP_REASONS)[number];
/** Why the adapter did not send a frame: `unauthorized` (the controlled port, direction both). */
export const SEND_DROP_REASONS = ['unauthorized'] as const;
export type SendDropReason = (typeof SEND_DROP_REASONS)[number];

/** Sees every received frame first; `dropped` says why the adapter dropped it, if it did. */
export type ReceiveTap = (
  frame: Uint8Array,
  oob: OutOfBand,
  dropped: FrameDropReason | undefined,
) => void;
/** Sees every frame handed to `send`; `dropped` says why it was not sent, if it was not. */
export type TransmitTap = (frame: Uint8Array, dropped: SendDropReason | undefined) => void;

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

/**
 * One packet descriptor of a burst (NdisMIndicateReceivePacket's array).
 * `status: 'resources'` is NDIS_STATUS_RESOURCES in its out-of-band block:
 * that descriptor and every one after it in the burst are indicated
 * must-copy.
 */
export interface ReceiveDescriptor {
  readonly frame: Uint8Array;
  readonly oob?: OutOfBand;
  readonly status?: 'success' | 'resources';
  readonly release?: () => void;
}

export interface AdapterStats {
  readonly name: string;
  readonly indicated: number;
  readonly accepted: number;
  /** Frames no binding accepted. */
  readonly unclaimed: number;
  /** Received frames dropped before any binding, by reason. */
  readonly dropped: Readonly<Record<FrameDropReason, number>>;
  /** Frames `send` did not send, by reason. */
  readonly sendDropped: Readonly<Record<SendDropReason, number>>;
  readonly bursts: number;
  readonly retainedOutstanding: number;
  /** Tap listeners (receive or transmit) that threw: counted, traced as `HandlerFailed`, isolated. */
  readonly tapErrors: number;
  /** Release callbacks (the indicator's) that threw: counted and isolated. */
  readonly releaseErrors: number;
  /** Failures of the adapter's own inside `indicate` (none known): counted, traced, never thrown. */
  readonly internalErrors: number;
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
  /** Reorder bindings by decayed acceptance rate every this many frames (NDIS may); 0 (default) never does. */
  readonly reorderEvery?: number;
  /**
   * Weight of the past in the acceptance rate at each reorder, from 0 (only
   * the last period counts) to below 1. Default 0.5: a period's rate counts
   * half, the one before a quarter, and so on.
   */
  readonly reorderDecay?: number;
  /** Indications nested inside indications (loopback, injecting taps) allowed at most. Default 8. */
  readonly maxNesting?: number;
  /** The 802.1X controlled port; open by default. */
  readonly controlledPort?: ControlledPortOptions;
}

/**
 * The settings `new Adapter` checks, with their defaults (MTU 1500, decay
 * 0.5, nesting 8); throws a TypeError or RangeError naming the bad one.
 */
export function checkAdapterOptions(options: AdapterOptions): {
  mtu: number;
  decay: number;
  maxNesting: number;
} {
  if (options.mac.length !== 6)
    throw new TypeError(`An adapter MAC address has 6 bytes: got ${options.mac.length}`);
  const mtu = options.mtu ?? 1500;
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) {
    throw new RangeError(`Adapter MTU must be an integer from 68 to 65535: got ${mtu}`);
  }
  const decay = options.reorderDecay ?? 0.5;
  if (!(decay >= 0 && decay < 1)) {
    throw new RangeError(`reorderDecay must be from 0 to below 1: got ${decay}`);
  }
  const maxNesting = options.maxNesting ?? 8;
  if (!Number.isInteger(maxNesting) || maxNesting < 1 || maxNesting > 64) {
    throw new RangeError(`maxNesting must be an integer from 1 to 64: got ${maxNesting}`);
  }
  return { mtu, decay, maxNesting };
}
