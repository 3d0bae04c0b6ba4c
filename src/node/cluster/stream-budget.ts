/**
 * How a capture session's byte budget becomes its stream's limits (review
 * F3). nats-server 2.9.10 can only bound a `discard: new` stream exactly by
 * message count (a byte limit acknowledges and then trims, and a byte
 * backstop reserves its whole size at creation), so the bytes are bounded
 * through the message: the publisher cuts every batch at
 * STREAM_BATCH_BYTES of items or STREAM_BATCH_EVENTS events, whichever
 * comes first, and the stream takes `maxBytes / STREAM_BATCH_BYTES`
 * messages. Then the stream's bytes stay within the budget (one event
 * larger than a batch travels alone, the one exception), and its events
 * within a known range: one per message for a quiet host, up to
 * STREAM_BATCH_EVENTS per message for a busy one.
 */

/** A publisher batch closes before its items would pass this many bytes. */
export const STREAM_BATCH_BYTES = 8192;
/** A publisher batch closes at this many events. */
export const STREAM_BATCH_EVENTS = 64;
/** The fewest messages a capture stream takes (a tiny budget still rides out a burst). */
export const MIN_STREAM_MESSAGES = 16;

/**
 * How many host-and-provider subjects may each fill their own budget before
 * the stream's total refuses everyone (review16 R1). Each subject
 * (`netrx.<session>.<host>.<provider>`) has the session's budget to itself
 * (`max_msgs_per_subject`, `discard_new_per_subject`), so a host nobody reads
 * fills only its own; the total (`max_msgs`) is this many budgets, the bound
 * on the stream's storage whatever the fleet does.
 */
export const STREAM_FULL_SUBJECTS = 16;

/** The event stream's per-subject `max_msgs_per_subject` for a session's byte budget. */
export function streamMessageLimit(maxBytes: number): number {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    throw new RangeError(`maxBytes must be a positive integer: got ${maxBytes}`);
  }
  return Math.max(MIN_STREAM_MESSAGES, Math.floor(maxBytes / STREAM_BATCH_BYTES));
}

/** What a stream of `maxMsgs` messages holds, as the docs state it. */
export interface StreamCapacity {
  /** Events when every message carries one (a quiet host). */
  readonly fewestEvents: number;
  /** Events when every message is a full batch (a busy host of small events). */
  readonly mostEvents: number;
  /** Item bytes of full batches (events of at most STREAM_BATCH_BYTES each). */
  readonly mostBytes: number;
}

/** The stream-wide `max_msgs` for a per-subject limit: STREAM_FULL_SUBJECTS budgets. */
export function streamTotalMessageLimit(maxMsgsPerSubject: number): number {
  return maxMsgsPerSubject * STREAM_FULL_SUBJECTS;
}

export function streamCapacity(maxMsgs: number): StreamCapacity {
  return {
    fewestEvents: maxMsgs,
    mostEvents: maxMsgs * STREAM_BATCH_EVENTS,
    mostBytes: maxMsgs * STREAM_BATCH_BYTES,
  };
}
