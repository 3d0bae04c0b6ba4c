/**
 * A capture tap: sees every frame an adapter receives, before any binding
 * (Linux's ptype_all, NDIS's equal access with taps first), and every frame
 * it is asked to send, before the transmit function. It cannot reject or
 * change a frame. Frames the adapter dropped are seen too, with the reason:
 * runts, giants and frames the 802.1X controlled port held back (`dropped`
 * is undefined for a frame that went on to the bindings or the wire). Pcap
 * writing (src/node/link) uses it, and the packet-capture provider of the
 * capture issue is to be built on it. The frame is a view valid only during
 * the call: copy what you keep. A listener that throws is counted and never
 * breaks the data path.
 */
import type { Adapter, FrameDropReason, SendDropReason } from './adapter.js';
import type { OutOfBand } from './indication.js';

export type CaptureDirection = 'in' | 'out';

export type CaptureListener = (
  frame: Uint8Array,
  direction: CaptureDirection,
  oob: OutOfBand,
  dropped: FrameDropReason | SendDropReason | undefined,
) => void;

export interface CaptureTap {
  /** Frames seen per direction (dropped ones included), and listener calls that threw. */
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
  const call = (
    frame: Uint8Array,
    direction: CaptureDirection,
    oob: OutOfBand,
    dropped: FrameDropReason | SendDropReason | undefined,
  ) => {
    try {
      listener(frame, direction, oob, dropped);
    } catch {
      listenerErrors++;
    }
  };
  const offIn = adapter.tap((frame, oob, dropped) => {
    received++;
    call(frame, 'in', oob, dropped);
  });
  const offOut = adapter.tapTransmit((frame, dropped) => {
    sent++;
    call(frame, 'out', OUTBOUND, dropped);
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
