/**
 * How the reader hands a message's events to the session (reader.ts): a
 * message is an EVENT_BUFFER of EventRecord items, checked in place and
 * nothing decoded, so each record's bytes go to the session's queue as
 * they are. It stops at the first record the queue has no room for (the
 * pull window keeps the rest: review16 R8).
 */
import type { SessionSink } from '../../capture/index.js';
import {
  NET_EVENT_DATA_HEADER_LENGTH,
  NetEventDataType,
  isEventRecordAt,
} from '../../wire/index.js';
import type { Unacked } from './reader-acks.js';
import type { WaitingMessage } from './pull-window.js';

/** What the walk tells the reader's counters. */
export interface RecordCounts {
  /** An item that is not an EventRecord, or broken framing: one event lost (in the sink too). */
  malformed(): void;
  /** A record went to the session's queue. */
  queued(): void;
  /** The queue refused a record (the sink counted it lost). */
  refused(): void;
}

/**
 * Hands `waiting`'s records over from `waiting.at`: each good record goes
 * to the session with `activityId`; a bad item is one event lost, and the
 * walk stops there when the framing itself is broken (what follows cannot
 * be found). Counts in `waiting.entry` the records the queue took. Returns
 * false, `waiting.at` at the record, when the queue has no room for it;
 * true when the message is done.
 */
export function handOverRecords(
  sink: SessionSink,
  waiting: WaitingMessage<Unacked>,
  activityId: Uint8Array,
  counts: RecordCounts,
): boolean {
  const { data, entry } = waiting;
  // A plain Uint8Array over the message (the client's is a Buffer, whose subarray costs more).
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let at = waiting.at;
  while (at < bytes.length) {
    const size = bytes.length - at >= NET_EVENT_DATA_HEADER_LENGTH ? view.getUint32(at, true) : 0;
    if (size < NET_EVENT_DATA_HEADER_LENGTH || size > bytes.length - at) {
      counts.malformed();
      waiting.at = data.length;
      return true;
    }
    const start = at + NET_EVENT_DATA_HEADER_LENGTH;
    const length = size - NET_EVENT_DATA_HEADER_LENGTH;
    if (!sink.fits(length)) {
      waiting.at = at;
      return false;
    }
    at += size;
    if (
      view.getUint16(start - NET_EVENT_DATA_HEADER_LENGTH + 4, true) !==
        NetEventDataType.EventRecord ||
      !isEventRecordAt(view, start, length)
    ) {
      counts.malformed();
      continue;
    }
    counts.queued();
    entry.remaining++;
    entry.queued++;
    if (!sink.record(bytes.subarray(start, at), activityId)) {
      entry.remaining--;
      entry.queued--;
      counts.refused();
    }
  }
  waiting.at = at;
  if (data.length === 0) counts.malformed();
  return true;
}
