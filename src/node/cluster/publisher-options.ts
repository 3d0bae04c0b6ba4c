/**
 * The capture publisher's settings, notices and counters
 * (`CapturePublisher`, publisher.ts), and the checks of its limits: what a
 * caller passes and what it is told, kept apart from the batching and
 * loss reporting so that each file stays one concern.
 */
import type { Clock } from '../../runtime/index.js';
import type { SessionProvider } from '../../capture/index.js';
import type { TraceRegistry } from '../../trace/index.js';
import type { LinkStatus, PublishPort } from './ports.js';
import {
  STREAM_BATCH_BYTES,
  STREAM_BATCH_EVENTS,
  checkBatchBytes,
  checkBatchEvents,
} from './stream-budget.js';

export interface CapturePublisherOptions {
  readonly port: PublishPort;
  readonly registry: TraceRegistry;
  readonly clock: Clock;
  readonly host: string;
  /** The capture session (and stream) name. */
  readonly session: string;
  readonly providers: readonly SessionProvider[];
  /** Distinguishes this run's message IDs and loss counters from an earlier run's. */
  readonly instance: string;
  /** Events held, waiting (disconnected, or behind `maxInFlight`) or in flight; past it, dropped. Default 4096. */
  readonly maxBuffered?: number;
  /**
   * The encoded bytes (items) of those events; past it, dropped. 64 KiB to
   * 1 GiB, default 4 MiB (4096 events of 1 KiB; 64 of the largest).
   */
  readonly maxBufferedBytes?: number;
  /** Publishes (batches) awaiting their acknowledgement at once. Default 64. */
  readonly maxInFlight?: number;
  /**
   * The largest message: a batch closes before it would pass this (an event
   * larger than that travels alone). 1 KiB to 64 KiB, default STREAM_BATCH_BYTES
   * (8 KiB). The stream's message limit is derived from the cut
   * (`streamMessageLimit(maxBytes, batchBytes)`): pass the same value as
   * `CaptureStreamLimits.batchBytes`, or the stream holds (this cut / the
   * stream's) × its byte budget.
   */
  readonly maxBatchBytes?: number;
  /** A batch closes at this many events. 1 to 65,536, default STREAM_BATCH_EVENTS (64). */
  readonly maxBatchEvents?: number;
  /** Delay before retrying after an unsent publish or a refused loss report. Default 250 ms. */
  readonly retryMs?: number;
  /** Told of connection changes, refusals and drops (host wiring traces them). */
  readonly onNotice?: (notice: PublisherNotice) => void;
}

export type PublisherNotice =
  | { readonly kind: 'refused'; readonly reason: string; readonly refused: number }
  | { readonly kind: 'dropped'; readonly reason: DropReason; readonly dropped: number }
  | { readonly kind: 'status'; readonly status: LinkStatus };

/**
 * Why an event was dropped locally: `events` (`maxBuffered` held), `bytes`
 * (`maxBufferedBytes` held), `oversize` (larger than an LREC item can be).
 */
export type DropReason = 'events' | 'bytes' | 'oversize';

/** Free batch buffers a publisher keeps for reuse (each `maxBatchBytes`), at least. */
export const POOLED_BATCH_BUFFERS = 8;

/**
 * Free batch buffers a publisher keeps: one per publish that can be in
 * flight (each holds its buffer until answered) and one for the open
 * batch, within `maxBufferedBytes`, and at least POOLED_BATCH_BUFFERS. A
 * pool of 8 behind 64 or 256 publishes in flight allocated (and zeroed) a
 * new buffer for almost every batch: 10 % of a busy publisher's CPU
 * (perf16c). Idle buffers kept are at most what the window held at once.
 */
export function pooledBatchBuffers(limits: PublisherLimits): number {
  const withinBytes = Math.floor(limits.maxBufferedBytes / limits.maxBatchBytes);
  return Math.max(POOLED_BATCH_BUFFERS, Math.min(limits.maxInFlight + 1, withinBytes));
}

export interface CapturePublisherStats {
  /** Events offered by the providers. */
  readonly offered: number;
  /** Stored in the stream (exactly once each). */
  readonly stored: number;
  readonly refused: number;
  readonly dropped: number;
  /** `dropped`, by reason. */
  readonly droppedFor: Readonly<Record<DropReason, number>>;
  /** Offered, neither stored nor lost yet (buffered or in flight). */
  readonly pending: number;
  /** Their encoded bytes (what `maxBufferedBytes` bounds). */
  readonly pendingBytes: number;
  /** Messages (batches) stored. */
  readonly messages: number;
  /** The loss the stream holds a report of (the last acknowledged report's count). */
  readonly reportedLost: number;
  readonly retries: number;
  readonly connected: boolean;
}

/** The limits of `CapturePublisherOptions`, defaults filled in and checked. */
export interface PublisherLimits {
  readonly maxBuffered: number;
  readonly maxBufferedBytes: number;
  readonly maxInFlight: number;
  readonly maxBatchBytes: number;
  readonly maxBatchEvents: number;
  readonly retryMs: number;
}

/** Fills in the defaults and checks each limit (RangeError on a bad one). */
export function publisherLimits(options: CapturePublisherOptions): PublisherLimits {
  const maxBuffered = positive('maxBuffered', options.maxBuffered ?? 4096);
  const maxBufferedBytes = options.maxBufferedBytes ?? 4 * 1024 * 1024;
  if (
    !Number.isInteger(maxBufferedBytes) ||
    maxBufferedBytes < 65_536 ||
    maxBufferedBytes > 2 ** 30
  ) {
    throw new RangeError(`maxBufferedBytes must be an integer from 65536 to 2^30`);
  }
  const maxInFlight = positive('maxInFlight', options.maxInFlight ?? 64);
  const maxBatchBytes = checkBatchBytes(options.maxBatchBytes ?? STREAM_BATCH_BYTES);
  const maxBatchEvents = checkBatchEvents(options.maxBatchEvents ?? STREAM_BATCH_EVENTS);
  const retryMs = positive('retryMs', options.retryMs ?? 250);
  return { maxBuffered, maxBufferedBytes, maxInFlight, maxBatchBytes, maxBatchEvents, retryMs };
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 1_000_000) {
    throw new RangeError(`${name} must be an integer from 1 to 1000000: got ${value}`);
  }
  return value;
}
