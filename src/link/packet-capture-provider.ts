/**
 * The packet-capture provider: frames an adapter received or sent, as trace
 * events, for netrx/capture's event sessions (MSFT_NetEventPacketCaptureProvider).
 * It lives here, beside the adapter's capture taps, because capture knows
 * providers, not protocols: each session's filters arrive as filter data in
 * the trace enable callback (see packet-capture-filter.ts), and the provider
 * applies them per session before anything is written.
 *
 * It writes Microsoft-Windows-NDIS-PacketCapture's event 1001 "Packet
 * Fragment" layout (MiniportIfIndex u32, LowerIfIndex u32, FragmentSize u32,
 * Fragment), so Windows-side tools that know that manifest can read it (the
 * layout comes from a third-party catalogue: research notes §1.4), then
 * netrx's OriginalSize u32 (the frame's length before truncation), with
 * opcode Receive (240) or Send (9) for the direction. Frames the adapter
 * dropped (runts, giants, the 802.1X controlled port) are captured too, as a
 * sniffer on the wire would see them; the drop reason is in the link
 * layer's own `FrameDropped` trace event.
 *
 * Taps are attached only while some session listens, so an idle provider
 * costs the adapters nothing. Frames are copied once, into one scratch
 * payload per distinct truncation length (listeners copy what they keep).
 */
import {
  defineEvent,
  TraceLevel,
  TraceOpcode,
  type TraceProvider,
  type TraceRegistry,
} from '../trace/index.js';
import type { Adapter } from './adapter.js';
import { openCaptureTap, type CaptureDirection, type CaptureTap } from './capture-tap.js';
import { compilePacketFilter, type CompiledPacketFilter } from './packet-capture-filter.js';

export const PACKET_CAPTURE_PROVIDER_GUID = '2ed6006e-4729-4609-b423-3ee7bcd678ef';
export const PACKET_CAPTURE_PROVIDER_NAME = 'Microsoft-Windows-NDIS-PacketCapture';

const fields = [
  { name: 'miniportIfIndex', type: 'u32' },
  { name: 'lowerIfIndex', type: 'u32' },
  { name: 'fragment', type: 'bytes' },
  // A netrx extension after NDIS's layout (which ends at Fragment, so readers
  // that follow the manifest stop before it): the frame's length on the wire,
  // which a truncated Fragment no longer tells. pcapng needs it as orig_len.
  { name: 'originalSize', type: 'u32' },
] as const;

/** Event 1001, inbound: the `bytes` field's u32 length is FragmentSize. */
export const PacketFragmentReceived = defineEvent({
  id: 1001,
  name: 'PacketFragment',
  level: TraceLevel.Information,
  opcode: TraceOpcode.Receive,
  fields,
});
/** Event 1001, outbound. */
export const PacketFragmentSent = defineEvent({
  id: 1001,
  name: 'PacketFragment',
  level: TraceLevel.Information,
  opcode: TraceOpcode.Send,
  fields,
});

export interface PacketCaptureStats {
  /** Frames seen by the taps while someone listened. */
  readonly seen: number;
  /** Frames written to at least one session. */
  readonly captured: number;
  /** Frames no session's filter wanted. */
  readonly filteredOut: number;
  /** Sessions whose filter data was malformed (they receive nothing). */
  readonly invalidFilters: number;
  readonly adapters: number;
  readonly tapped: boolean;
}

export interface PacketCaptureProvider {
  readonly provider: TraceProvider;
  /** Captures `adapter` under interface index `ifIndex`; returns a detach function. */
  attach(adapter: Adapter, ifIndex: number): () => void;
  /** The reason a session's filter data was refused, if it was. */
  filterProblem(sessionId: number): string | undefined;
  stats(): PacketCaptureStats;
  /** Detaches from every adapter and stops listening for enablements. */
  close(): void;
}

const HEADER = 12;
/** OriginalSize, after the fragment. */
const TRAILER = 4;

/** Working state for one frame being captured. */
interface Scratch {
  /** The event payload, rewritten per frame: valid only during the write (listeners copy). */
  payload: Uint8Array;
  view: DataView;
  /** Session id → the truncated length it wants, for sessions whose filter passed the frame. */
  readonly matched: Map<number, number>;
  /** The distinct lengths among them. */
  readonly lengths: number[];
}

function newScratch(): Scratch {
  const payload = new Uint8Array(HEADER + 2048 + TRAILER);
  return { payload, view: new DataView(payload.buffer), matched: new Map(), lengths: [] };
}

export function openPacketCaptureProvider(options: {
  readonly registry: TraceRegistry;
}): PacketCaptureProvider {
  const provider = options.registry.register({
    guid: PACKET_CAPTURE_PROVIDER_GUID,
    name: PACKET_CAPTURE_PROVIDER_NAME,
  });
  const filters = new Map<number, CompiledPacketFilter>();
  const adapters = new Map<Adapter, { ifIndex: number; tap: CaptureTap | undefined }>();
  let tapped = false;
  let seen = 0;
  let captured = 0;
  let filteredOut = 0;
  // Per-frame working state: one, reused, for the usual case; a frame captured
  // from inside a listener's call (it sent a frame) gets its own, so the outer
  // frame's payload and session set stay intact.
  const top = newScratch();
  let depth = 0;

  const onFrame = (ifIndex: number) => (frame: Uint8Array, direction: CaptureDirection) => {
    if (!provider.isEnabled(TraceLevel.Information)) return;
    seen++;
    const state = depth === 0 ? top : newScratch();
    depth++;
    try {
      captureFrame(state, frame, direction, ifIndex);
    } finally {
      depth--;
    }
  };

  const captureFrame = (
    state: Scratch,
    frame: Uint8Array,
    direction: CaptureDirection,
    ifIndex: number,
  ) => {
    const { matched, lengths } = state;
    matched.clear();
    lengths.length = 0;
    for (const session of provider.listeners()) {
      const filter = filters.get(session.sessionId);
      if (filter === undefined || !filter.matches(frame)) continue;
      const length =
        filter.truncationLength === 0
          ? frame.length
          : Math.min(frame.length, filter.truncationLength);
      matched.set(session.sessionId, length);
      if (!lengths.includes(length)) lengths.push(length);
    }
    if (matched.size === 0) {
      filteredOut++;
      return;
    }
    captured++;
    const descriptor = direction === 'in' ? PacketFragmentReceived : PacketFragmentSent;
    for (const length of lengths) {
      if (state.payload.length < HEADER + length + TRAILER) {
        state.payload = new Uint8Array(HEADER + length + TRAILER);
        state.view = new DataView(state.payload.buffer);
      }
      state.view.setUint32(0, ifIndex, true);
      state.view.setUint32(4, ifIndex, true);
      state.view.setUint32(8, length, true);
      state.payload.set(frame.subarray(0, length), HEADER);
      state.view.setUint32(HEADER + length, frame.length, true);
      provider.write(
        descriptor,
        state.payload.subarray(0, HEADER + length + TRAILER),
        (session) => matched.get(session.sessionId) === length,
      );
    }
  };

  const setTapped = (on: boolean) => {
    if (on === tapped) return;
    tapped = on;
    for (const [adapter, entry] of adapters) {
      if (on) entry.tap = openCaptureTap(adapter, onFrame(entry.ifIndex));
      else {
        entry.tap?.close();
        entry.tap = undefined;
      }
    }
  };

  const offEnable = provider.onEnable((notification) => {
    if (notification.control === 'enable') {
      filters.set(
        notification.session.sessionId,
        compilePacketFilter(notification.session.filterData),
      );
    } else {
      filters.delete(notification.session.sessionId);
    }
    setTapped(notification.combined.enabled);
  });

  return {
    provider,
    attach(adapter, ifIndex) {
      if (!Number.isInteger(ifIndex) || ifIndex < 0 || ifIndex > 0xffff_ffff) {
        throw new RangeError(`ifIndex must be a u32: got ${ifIndex}`);
      }
      if (adapters.has(adapter)) throw new TypeError(`Adapter ${adapter.name} is attached already`);
      const entry = {
        ifIndex,
        tap: tapped ? openCaptureTap(adapter, onFrame(ifIndex)) : undefined,
      };
      adapters.set(adapter, entry);
      return () => {
        entry.tap?.close();
        adapters.delete(adapter);
      };
    },
    filterProblem: (sessionId) => filters.get(sessionId)?.invalid,
    stats: () => ({
      seen,
      captured,
      filteredOut,
      invalidFilters: [...filters.values()].filter((f) => f.invalid !== undefined).length,
      adapters: adapters.size,
      tapped,
    }),
    close() {
      offEnable();
      setTapped(false);
      adapters.clear();
    },
  };
}
