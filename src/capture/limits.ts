/**
 * A session's limits, in MSFT_NetEventSession's terms: buffers of
 * `bufferBytes` (TraceBufferSize, at most 1 MiB) of which at most
 * `maxBuffers` (MaxNumberOfBuffers, a uint8) exist at once, so a session's
 * queued events never take more than `maxBuffers × bufferBytes` bytes. One
 * buffer is what one `receiveData` returns; a buffer is "enough" when it is
 * full, or holds `eventsPerBuffer` events when that is set. `timerMs` is the
 * Data Completion Timer (100–1000 ms, MS-LREC 3.1.2).
 */
import { NET_EVENT_LOST_ITEM_LENGTH, eventItemLength } from '../wire/index.js';

export interface SessionLimits {
  /** Bytes per EVENT_BUFFER, the NET_EVENT_LOST item included. Default 65,536; 128 to 1,048,576. */
  readonly bufferBytes: number;
  /** Buffers that may exist at once (filled, or being filled). Default 16; 1 to 255. */
  readonly maxBuffers: number;
  /** A buffer is sealed ("enough") at this many events; 0 = only when full. Default 0. */
  readonly eventsPerBuffer: number;
  /** The Data Completion Timer in ms. Default 500; 100 to 1000. */
  readonly timerMs: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = Object.freeze({
  bufferBytes: 65_536,
  maxBuffers: 16,
  eventsPerBuffer: 0,
  timerMs: 500,
});

/** The smallest buffer holds one empty event and the lost item. */
export const MIN_BUFFER_BYTES = 128;
export const MAX_BUFFER_BYTES = 1024 * 1024;

// An empty event and a lost item must fit the smallest buffer.
if (eventItemLength(0) + NET_EVENT_LOST_ITEM_LENGTH > MIN_BUFFER_BYTES) {
  throw new Error('MIN_BUFFER_BYTES is too small for one event and a lost item');
}

/** Fills in defaults and checks every limit (RangeError on a bad one). */
export function resolveLimits(limits: Partial<SessionLimits> = {}): SessionLimits {
  const resolved = { ...DEFAULT_SESSION_LIMITS, ...stripUndefined(limits) };
  check('bufferBytes', resolved.bufferBytes, MIN_BUFFER_BYTES, MAX_BUFFER_BYTES);
  check('maxBuffers', resolved.maxBuffers, 1, 255);
  check('eventsPerBuffer', resolved.eventsPerBuffer, 0, 0xffff_ffff);
  check('timerMs', resolved.timerMs, 100, 1000);
  return Object.freeze(resolved);
}

function check(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(
      `Session limit ${name} must be an integer from ${min} to ${max}: got ${value}`,
    );
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
