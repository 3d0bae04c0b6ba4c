/**
 * How a capture session's byte budget becomes its stream's limits (review
 * F3). nats-server 2.9.10 can only bound a `discard: new` stream exactly by
 * message count (a byte limit acknowledges and then trims, and a byte
 * backstop reserves its whole size at creation), so the bytes are bounded
 * through the message: the publisher cuts every batch at `maxBatchBytes`
 * of items or `maxBatchEvents` events, whichever comes first (the cut:
 * STREAM_BATCH_BYTES / STREAM_BATCH_EVENTS unless configured, issue #16),
 * and the stream takes `maxBytes / batchBytes` messages of the cut in
 * force. Then the stream's bytes stay within the budget whatever the cut
 * (one event larger than a batch travels alone, the one exception), and
 * its events within a known range: one per message for a quiet host, up to
 * the cut's events per message for a busy one. A bigger cut therefore
 * gives a quiet host fewer events for the same budget: the price of its
 * throughput (docs/cluster.md, "Choosing the cut").
 */

/** A publisher batch closes before its items would pass this many bytes. */
export const STREAM_BATCH_BYTES = 8192;
/** A publisher batch closes at this many events. */
export const STREAM_BATCH_EVENTS = 64;
/** The smallest cut in bytes the publisher's library option `maxBatchBytes` takes. */
export const MIN_BATCH_BYTES = 1024;
/**
 * The smallest cut `capture.nats.batchBytes` and `--batch-bytes` take: the
 * default (review16e L1). Below it an ordinary full-size packet event
 * (1,514-byte frame, 1,618 bytes as an item) no longer shares a batch, so
 * every packet travels alone and the stream holds well past its byte
 * budget (1.58x at 1 KiB); and a smaller cut buys nothing back: batching
 * is Nagle's, so a quiet host's events go out at once whatever the cut.
 */
export const MIN_CONFIGURED_BATCH_BYTES = STREAM_BATCH_BYTES;
/** The largest: a message of the stream's `max_msg_size` less room for subject and headers. */
export const MAX_BATCH_BYTES = 65_536;
/** The most events a batch may be cut at (`maxBatchEvents`, `capture.nats.batchEvents`). */
export const MAX_BATCH_EVENTS = 65_536;
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

/**
 * The event stream's per-subject `max_msgs_per_subject` for a session's
 * byte budget, when publishers cut batches at `batchBytes`: full batches of
 * that cut then fill the budget and no more.
 */
export function streamMessageLimit(maxBytes: number, batchBytes = STREAM_BATCH_BYTES): number {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    throw new RangeError(`maxBytes must be a positive integer: got ${maxBytes}`);
  }
  checkBatchBytes(batchBytes);
  return Math.max(MIN_STREAM_MESSAGES, Math.floor(maxBytes / batchBytes));
}

/** A publisher's batch cut: a batch closes before `bytes` of items or at `events` events. */
export interface BatchCut {
  readonly bytes: number;
  readonly events: number;
}

/** The default cut (8 KiB / 64 events). */
export const DEFAULT_BATCH_CUT: BatchCut = {
  bytes: STREAM_BATCH_BYTES,
  events: STREAM_BATCH_EVENTS,
};

/** Throws a RangeError unless `batchBytes` is an integer cut from MIN_BATCH_BYTES to MAX_BATCH_BYTES. */
export function checkBatchBytes(batchBytes: number): number {
  if (
    !Number.isInteger(batchBytes) ||
    batchBytes < MIN_BATCH_BYTES ||
    batchBytes > MAX_BATCH_BYTES
  ) {
    throw new RangeError(
      `maxBatchBytes must be an integer from ${MIN_BATCH_BYTES} to ${MAX_BATCH_BYTES}: got ${batchBytes}`,
    );
  }
  return batchBytes;
}

/** Throws a RangeError unless `batchEvents` is an integer from 1 to MAX_BATCH_EVENTS. */
export function checkBatchEvents(batchEvents: number): number {
  if (!Number.isInteger(batchEvents) || batchEvents < 1 || batchEvents > MAX_BATCH_EVENTS) {
    throw new RangeError(
      `maxBatchEvents must be an integer from 1 to ${MAX_BATCH_EVENTS}: got ${batchEvents}`,
    );
  }
  return batchEvents;
}

/** What a stream of `maxMsgs` messages holds, as the docs state it. */
export interface StreamCapacity {
  /** Events when every message carries one (a quiet host). */
  readonly fewestEvents: number;
  /** Events when every message is a full batch (a busy host of small events). */
  readonly mostEvents: number;
  /** Item bytes of full batches (events of at most the cut's bytes each). */
  readonly mostBytes: number;
}

/** The stream-wide `max_msgs` for a per-subject limit: STREAM_FULL_SUBJECTS budgets. */
export function streamTotalMessageLimit(maxMsgsPerSubject: number): number {
  return maxMsgsPerSubject * STREAM_FULL_SUBJECTS;
}

/** What `maxMsgs` messages hold when publishers cut batches at `cut`. */
export function streamCapacity(maxMsgs: number, cut: BatchCut = DEFAULT_BATCH_CUT): StreamCapacity {
  return {
    fewestEvents: maxMsgs,
    mostEvents: maxMsgs * cut.events,
    mostBytes: maxMsgs * cut.bytes,
  };
}
