/**
 * A capture tap: sees every frame an adapter receives, before any binding
 * (Linux's ptype_all, NDIS's equal access with taps first), and every frame
 * it sends, before the transmit function. It cannot reject or change a frame.
 * Pcap writing (src/node/link) and, later, the packet-capture provider use
 * it. The frame is a view valid only during the call: copy what you keep.
 * A listener that throws is counted and never breaks the data path.
 */
import type { Adapter } from './adapter.js';
import type { OutOfBand } from './indication.js';

export type CaptureDirection = 'in' | 'out';

export type CaptureListener = (
  frame: Uint8Array,
  direction: CaptureDirection,
  oob: OutOfBand,
) => void;

export interface CaptureTap {
  /** Frames seen per direction, and listener calls that threw. */
  stats(): { readonly received: number; readonly sent: number; readonly listenerErrors: number };
  /** Detaches; idempotent. */
  close(): void;
}

const OUTBOUND: OutOfBand = Object.freeze({});

/** Attaches `listener` to both directions of `adapter`. */
export function openCaptureTap(adapter: Adapter, listener: CaptureListener): CaptureTap {
  let received = 0;
  let sent = 0;
  let listenerErrors = 0;
  const call = (frame: Uint8Array, direction: CaptureDirection, oob: OutOfBand) => {
    try {
      listener(frame, direction, oob);
    } catch {
      listenerErrors++;
    }
  };
  const offIn = adapter.tap((frame, oob) => {
    received++;
    call(frame, 'in', oob);
  });
  const offOut = adapter.tapTransmit((frame) => {
    sent++;
    call(frame, 'out', OUTBOUND);
  });
  let open = true;
  return {
    stats: () => ({ received, sent, listenerErrors }),
    close: () => {
      if (!open) return;
      open = false;
      offIn();
      offOut();
    },
  };
}
