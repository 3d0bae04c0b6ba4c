/**
 * Trace events of the link bindings (ARP, IPv4, IPv6, UDP), written through
 * the link provider (`LINK_PROVIDER`, ids from 10). Frames accepted and
 * rejected per binding are the adapter's `FrameAccepted`/`FrameRejected`
 * (they name the binding); these add why a binding dropped a frame, how
 * neighbour entries (ARP and ND) change state, and what happens to addresses
 * (DAD, conflicts). Every emit is guarded by `isEnabled`, so with nobody
 * listening no payload object is built.
 */
import { defineEvent, TraceLevel, type TraceProvider } from '../trace/index.js';
import { LinkKeyword } from './events.js';

/** Keywords of the binding events, beside `LinkKeyword`. */
export const BindingKeyword = { Neighbors: 0x8n, Addresses: 0x10n } as const;

export const BindingEvent = {
  frameDropped: defineEvent({
    id: 10,
    name: 'BindingFrameDropped',
    level: TraceLevel.Information,
    keywords: LinkKeyword.Drops,
    fields: [
      { name: 'binding', type: 'string' },
      { name: 'reason', type: 'string' },
      { name: 'length', type: 'u32' },
    ],
  }),
  neighborStateChanged: defineEvent({
    id: 11,
    name: 'NeighborStateChanged',
    level: TraceLevel.Information,
    keywords: BindingKeyword.Neighbors,
    fields: [
      { name: 'protocol', type: 'string' },
      { name: 'address', type: 'string' },
      { name: 'mac', type: 'string' },
      { name: 'from', type: 'string' },
      { name: 'to', type: 'string' },
    ],
  }),
  addressChanged: defineEvent({
    id: 12,
    name: 'AddressChanged',
    level: TraceLevel.Information,
    keywords: BindingKeyword.Addresses,
    fields: [
      { name: 'family', type: 'u8' },
      { name: 'address', type: 'string' },
      { name: 'state', type: 'string' },
    ],
  }),
} as const;

/** Traces a drop if anyone listens; allocation-free otherwise. */
export function traceDrop(
  trace: TraceProvider | undefined,
  binding: string,
  reason: string,
  length: number,
): void {
  const event = BindingEvent.frameDropped;
  if (trace === undefined || !trace.isEnabled(event.level, event.keywords)) return;
  trace.emit(event, { binding, reason, length });
}

/** Traces an address state change (tentative, preferred, duplicate, conflict, removed). */
export function traceAddress(
  trace: TraceProvider | undefined,
  family: 4 | 6,
  address: string,
  state: string,
): void {
  const event = BindingEvent.addressChanged;
  if (trace === undefined || !trace.isEnabled(event.level, event.keywords)) return;
  trace.emit(event, { family, address, state });
}
