/**
 * The Queued Event List and Lost Event Count of one open session, kept as
 * EVENT_BUFFERs being filled: each event is encoded once, straight into the
 * buffer a later `receiveData` hands out whole (no second copy, no per-event
 * allocation). Buffers are filled one at a time; a full one (or one at
 * `eventsPerBuffer` events, or one the Data Completion Timer closed) is
 * *sealed* and waits for a receive. At most `maxBuffers` exist, sealed or
 * filling, so memory is bounded by `maxBuffers × bufferBytes`.
 *
 * A full queue drops the **new** event (tail drop, MS-LREC 3.1.6.2) and
 * counts it. Every buffer keeps 12 bytes spare, so the NET_EVENT_LOST item
 * always fits: when a buffer is taken for delivery and the count is nonzero,
 * the item is written last, the count (saturated at 0xFFFFFFFF) goes with it
 * and is reset.
 */
import {
  EVENT_RECORD_USER_DATA_OFFSET,
  EventHeaderFlag,
  MAX_LOST_EVENT_COUNT,
  MAX_NET_EVENT_ITEM_LENGTH,
  NET_EVENT_DATA_HEADER_LENGTH,
  NET_EVENT_LOST_ITEM_LENGTH,
  NetEventDataType,
  setItemFlags,
  writeDataHeader,
  writeEventRecordTail,
  writeFiletimeFromUnixMs,
  writeLostItem,
} from '../wire/index.js';
import { BoundedQueue } from '../receive/index.js';
import type { SessionLimits } from './limits.js';

/** What one event brings: the trace event's identity, its time and its payload. */
export interface QueuedEventFields {
  /** The provider GUID in Windows byte order (16 bytes). */
  readonly providerId: Uint8Array;
  readonly id: number;
  readonly version: number;
  readonly level: number;
  readonly opcode: number;
  readonly task: number;
  readonly keywords: bigint;
  /** Unix ms. */
  readonly timestamp: number;
  readonly userData: Uint8Array;
}

/** A buffer handed out: the EVENT_BUFFER bytes and what they hold. */
export interface TakenBuffer {
  readonly bytes: Uint8Array;
  readonly events: number;
  /** The LostEventCount reported in it (0: no NET_EVENT_LOST item). */
  readonly lost: number;
}

interface Filling {
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly view: DataView;
  used: number;
  events: number;
  /** Header offset of the last item written, for the last-item flag. */
  lastItem: number;
}

export type AddResult = 'queued' | 'sealed' | 'lost';

export class EventQueue {
  private readonly bufferBytes: number;
  private readonly maxBuffers: number;
  private readonly eventsPerBuffer: number;
  private readonly lastItemFlag: number;
  private readonly sessionId: number;
  private readonly sealed: BoundedQueue<Filling>;
  private filling: Filling | undefined;
  /** The Lost Event Count: lost since it was last reported (saturating). */
  private lostCount = 0;

  /** Events queued now (sealed and filling buffers). */
  queuedEvents = 0;
  /** Every event refused, exact (the reported count saturates; this does not). */
  lostTotal = 0;
  /** Of those, events too large for any buffer. */
  oversize = 0;

  constructor(limits: SessionLimits, options: { lastItemFlag: number; sessionId: number }) {
    this.bufferBytes = limits.bufferBytes;
    this.maxBuffers = limits.maxBuffers;
    this.eventsPerBuffer = limits.eventsPerBuffer;
    this.lastItemFlag = options.lastItemFlag;
    this.sessionId = options.sessionId;
    this.sealed = new BoundedQueue(limits.maxBuffers);
  }

  /** Bytes held in buffers now: never above `maxBuffers × bufferBytes`. */
  get allocatedBytes(): number {
    return (this.sealed.length + (this.filling === undefined ? 0 : 1)) * this.bufferBytes;
  }

  /** A sealed buffer is waiting: a receive can complete at once. */
  get hasSealed(): boolean {
    return this.sealed.length > 0;
  }

  /** Events in the buffer being filled (the timer's concern). */
  get fillingEvents(): number {
    return this.filling?.events ?? 0;
  }

  /** The Lost Event Count as it would be reported now. */
  get lostEventCount(): number {
    return this.lostCount;
  }

  /**
   * Encodes the event into the filling buffer. `sealed` when that sealed a
   * buffer (it is full, or at `eventsPerBuffer`); `lost` when the queue is
   * full or the event can never fit: the event is dropped and counted.
   */
  add(event: QueuedEventFields): AddResult {
    const length =
      NET_EVENT_DATA_HEADER_LENGTH + EVENT_RECORD_USER_DATA_OFFSET + event.userData.length;
    const room = this.bufferBytes - NET_EVENT_LOST_ITEM_LENGTH;
    if (length > room || length > MAX_NET_EVENT_ITEM_LENGTH) {
      this.oversize++;
      this.countLost(1);
      return 'lost';
    }
    let result: AddResult = 'queued';
    let target = this.filling;
    if (target !== undefined && target.used + length > room) {
      this.sealFilling();
      result = 'sealed';
      target = undefined;
    }
    if (target === undefined) {
      if (this.sealed.length >= this.maxBuffers) {
        this.countLost(1);
        return result === 'sealed' ? 'sealed' : 'lost';
      }
      const bytes = new Uint8Array(this.bufferBytes);
      target = { bytes, view: new DataView(bytes.buffer), used: 0, events: 0, lastItem: 0 };
      this.filling = target;
    }
    writeEvent(target, event, length, this.sessionId);
    target.lastItem = target.used;
    target.used += length;
    target.events++;
    this.queuedEvents++;
    if (this.eventsPerBuffer > 0 && target.events >= this.eventsPerBuffer) {
      this.sealFilling();
      return 'sealed';
    }
    return result;
  }

  /**
   * Copies an EventRecord encoded elsewhere (a remote host's, read from a
   * stream) into the filling buffer as one item: the same tail drop and
   * sealing as `add`. SessionId is rewritten to this session's, and
   * `activityId` (16 bytes), when given, replaces the record's ActivityId
   * (the host of origin, netrx/node's cluster reader). The caller checked
   * the record with `parseEventRecord`; its Size field is rewritten too.
   */
  addRecord(record: Uint8Array, activityId?: Uint8Array): AddResult {
    const length = NET_EVENT_DATA_HEADER_LENGTH + record.length;
    const room = this.bufferBytes - NET_EVENT_LOST_ITEM_LENGTH;
    if (length > room || length > MAX_NET_EVENT_ITEM_LENGTH) {
      this.oversize++;
      this.countLost(1);
      return 'lost';
    }
    let result: AddResult = 'queued';
    let target = this.filling;
    if (target !== undefined && target.used + length > room) {
      this.sealFilling();
      result = 'sealed';
      target = undefined;
    }
    if (target === undefined) {
      if (this.sealed.length >= this.maxBuffers) {
        this.countLost(1);
        return result === 'sealed' ? 'sealed' : 'lost';
      }
      const bytes = new Uint8Array(this.bufferBytes);
      target = { bytes, view: new DataView(bytes.buffer), used: 0, events: 0, lastItem: 0 };
      this.filling = target;
    }
    const at = target.used;
    const at2 = at + NET_EVENT_DATA_HEADER_LENGTH;
    writeDataHeader(target.view, at, length, NetEventDataType.EventRecord);
    // The one copy of a remote event: from the stream message into the buffer.
    target.bytes.set(record, at2);
    target.view.setUint16(at2, record.length, true); // Size
    target.view.setUint16(at2 + 82, this.sessionId, true);
    if (activityId !== undefined) target.bytes.set(activityId.subarray(0, 16), at2 + 64);
    target.lastItem = at;
    target.used += length;
    target.events++;
    this.queuedEvents++;
    if (this.eventsPerBuffer > 0 && target.events >= this.eventsPerBuffer) {
      this.sealFilling();
      return 'sealed';
    }
    return result;
  }

  /**
   * Adds `count` to the Lost Event Count (saturating) and to `lostTotal`.
   * @internal also used by tests to reach saturation without 2^32 events
   */
  countLost(count: number): void {
    this.lostTotal += count;
    this.lostCount = Math.min(this.lostCount + count, MAX_LOST_EVENT_COUNT);
  }

  /** Seals the filling buffer if it holds events (the Data Completion Timer fired). */
  sealFilling(): void {
    const filling = this.filling;
    if (filling === undefined || filling.events === 0) return;
    this.filling = undefined;
    // Always fits: sealed + filling never exceed maxBuffers.
    this.sealed.push(filling);
  }

  /**
   * Takes the oldest sealed buffer for delivery, or, with `evenIfNotSealed`,
   * the filling one, or an empty one when only a loss is to be reported.
   * Writes the NET_EVENT_LOST item (and resets the count) when the count is
   * nonzero, and the last-item flag. Undefined when there is nothing to say.
   */
  take(evenIfNotSealed: boolean): TakenBuffer | undefined {
    let buffer = this.sealed.shift();
    if (buffer === undefined && evenIfNotSealed) {
      buffer = this.filling;
      this.filling = undefined;
      if (buffer === undefined && this.lostCount > 0) {
        const bytes = new Uint8Array(NET_EVENT_LOST_ITEM_LENGTH);
        buffer = { bytes, view: new DataView(bytes.buffer), used: 0, events: 0, lastItem: 0 };
      }
    }
    if (buffer === undefined) return undefined;
    this.queuedEvents -= buffer.events;
    const lost = this.lostCount;
    if (lost > 0) {
      writeLostItem(buffer.view, buffer.used, lost, this.lastItemFlag);
      buffer.used += NET_EVENT_LOST_ITEM_LENGTH;
      this.lostCount = 0;
    } else if (buffer.events > 0) {
      setItemFlags(buffer.view, buffer.lastItem, this.lastItemFlag);
    }
    // The consumer owns the buffer from here: a view of exactly what was written.
    return { bytes: buffer.bytes.subarray(0, buffer.used), events: buffer.events, lost };
  }

  /**
   * Throws every queued event away (Stop, Close) and returns how many. They
   * are added to the Lost Event Count so that a final report accounts for
   * them (a netrx decision; the spec only says the queue is discarded).
   */
  discard(): number {
    const discarded = this.queuedEvents;
    this.sealed.clear();
    this.filling = undefined;
    this.queuedEvents = 0;
    if (discarded > 0) {
      this.lostCount = Math.min(this.lostCount + discarded, MAX_LOST_EVENT_COUNT);
    }
    return discarded;
  }
}

/**
 * One EventRecord item at `buffer.used`. Fields that are zero are not
 * written: every buffer is freshly allocated (zeroed) and never reused.
 */
function writeEvent(buffer: Filling, event: QueuedEventFields, length: number, sessionId: number) {
  const { bytes, view } = buffer;
  const at = buffer.used;
  const record = at + NET_EVENT_DATA_HEADER_LENGTH;
  writeDataHeader(view, at, length, NetEventDataType.EventRecord);
  view.setUint16(record, length - NET_EVENT_DATA_HEADER_LENGTH, true); // Size
  view.setUint16(record + 4, EventHeaderFlag.Header64Bit, true);
  writeFiletimeFromUnixMs(view, record + 16, event.timestamp);
  bytes.set(event.providerId, record + 24);
  view.setUint16(record + 40, event.id, true);
  bytes[record + 42] = event.version;
  bytes[record + 44] = event.level;
  bytes[record + 45] = event.opcode;
  view.setUint16(record + 46, event.task, true);
  if (event.keywords !== 0n) view.setBigUint64(record + 48, event.keywords, true);
  writeEventRecordTail(bytes, view, record, 0, sessionId, event.userData);
}
