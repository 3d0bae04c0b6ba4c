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
 * counts it **where it happened**: on the buffer holding the last event
 * accepted before the drop (the newest one). Every buffer keeps 12 bytes
 * spare, so its NET_EVENT_LOST item always fits, last, as the spec puts it;
 * when the buffer is taken for delivery the item is written with that
 * buffer's count (saturated at 0xFFFFFFFF). A reader that walks the buffers
 * in order therefore sees each loss between the events it fell between, and
 * a pcapng writer can put it on the right packet. An event dropped for its
 * size seals the filling buffer first, so that loss too sits after the last
 * event before it. A loss with no event queued before it (an empty queue)
 * goes out as a buffer holding only a NET_EVENT_LOST, ahead of the events
 * queued after it. Across buffers, a loss is therefore reported in the
 * receive that delivers the events before it, not necessarily the next one
 * (a netrx decision, docs/seeds.md).
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
  /** Events lost right after this buffer's last event (exact; saturated when written). */
  lostAfter: number;
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
  /** The newest sealed buffer (a drop with no filling buffer is counted on it). */
  private newest: Filling | undefined;
  /** Events lost while no event was queued: reported ahead of everything queued later. */
  private headLost = 0;
  /** Lost and not yet reported, over all buffers (exact, not saturated). */
  private unreported = 0;

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

  /** Events lost and not yet reported, wherever they are to be reported (exact). */
  get lostEventCount(): number {
    return this.unreported;
  }

  /**
   * Encodes the event into the filling buffer. `sealed` when that sealed a
   * buffer (it is full, or at `eventsPerBuffer`); `lost` when the queue is
   * full or the event can never fit: the event is dropped and counted.
   */
  add(event: QueuedEventFields): AddResult {
    const length =
      NET_EVENT_DATA_HEADER_LENGTH + EVENT_RECORD_USER_DATA_OFFSET + event.userData.length;
    const place = this.reserve(length);
    if (typeof place === 'string') return place;
    writeEvent(place.target, event, length, this.sessionId);
    return this.written(place.target, place.target.used, length, place.result);
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
    const place = this.reserve(length);
    if (typeof place === 'string') return place;
    const target = place.target;
    const at = target.used;
    const at2 = at + NET_EVENT_DATA_HEADER_LENGTH;
    writeDataHeader(target.view, at, length, NetEventDataType.EventRecord);
    // The one copy of a remote event: from the stream message into the buffer.
    target.bytes.set(record, at2);
    target.view.setUint16(at2, record.length, true); // Size
    target.view.setUint16(at2 + 82, this.sessionId, true);
    if (activityId !== undefined) target.bytes.set(activityId.subarray(0, 16), at2 + 64);
    return this.written(target, at, length, place.result);
  }

  /**
   * Whether an EventRecord of `recordLength` bytes would be queued now
   * rather than dropped for want of room, so a source that can wait (the
   * cluster reader leaves events in its stream) offers only what fits.
   * An item too big for any buffer "fits": waiting never makes room for it,
   * so `addRecord` drops and counts it.
   */
  fits(recordLength: number): boolean {
    const length = NET_EVENT_DATA_HEADER_LENGTH + recordLength;
    const room = this.bufferBytes - NET_EVENT_LOST_ITEM_LENGTH;
    if (length > room || length > MAX_NET_EVENT_ITEM_LENGTH) return true;
    const filling = this.filling;
    if (filling !== undefined && filling.used + length <= room) return true;
    // A full filling buffer is sealed first, then a new one needs a free slot.
    return this.sealed.length + (filling === undefined ? 0 : 1) < this.maxBuffers;
  }

  /**
   * Room for one item of `length` bytes in the filling buffer (sealing it or
   * starting one as needed), or the result when the item is dropped and
   * counted: too big for any buffer, or the queue is full.
   */
  private reserve(length: number): AddResult | { target: Filling; result: AddResult } {
    const room = this.bufferBytes - NET_EVENT_LOST_ITEM_LENGTH;
    if (length > room || length > MAX_NET_EVENT_ITEM_LENGTH) {
      this.oversize++;
      // The loss goes after the last event queued: seal the filling buffer so no later event joins it.
      const sealing = this.filling !== undefined;
      if (sealing) this.sealFilling();
      this.countLost(1);
      return sealing ? 'sealed' : 'lost';
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
      target = {
        bytes,
        view: new DataView(bytes.buffer),
        used: 0,
        events: 0,
        lastItem: 0,
        lostAfter: 0,
      };
      this.filling = target;
    }
    return { target, result };
  }

  /** Books an item written at `at`; seals the buffer at `eventsPerBuffer`. */
  private written(target: Filling, at: number, length: number, result: AddResult): AddResult {
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
    this.unreported += count;
    // After the newest queued event: the filling buffer's, else the newest sealed one's.
    const after = this.filling ?? this.newest;
    if (after === undefined) this.headLost += count;
    else after.lostAfter += count;
  }

  /**
   * Loss an earlier open of the session counted and never reported (it closed
   * with no receive pending): reported ahead of everything this queue holds.
   * Already in the session's exact totals, so not added to `lostTotal`.
   */
  carryUnreported(count: number): void {
    this.unreported += count;
    this.headLost += count;
  }

  /** Seals the filling buffer if it holds events (the Data Completion Timer fired). */
  sealFilling(): void {
    const filling = this.filling;
    if (filling === undefined || filling.events === 0) return;
    this.filling = undefined;
    // Always fits: sealed + filling never exceed maxBuffers.
    this.sealed.push(filling);
    this.newest = filling;
  }

  /**
   * Takes the next buffer for delivery: a pending loss that no queued event
   * precedes (as a buffer holding only the NET_EVENT_LOST), else the oldest
   * sealed buffer, or, with `evenIfNotSealed`, the filling one. Writes the
   * buffer's NET_EVENT_LOST item when a loss followed its last event, and the
   * last-item flag. Undefined when there is nothing to say.
   */
  take(evenIfNotSealed: boolean): TakenBuffer | undefined {
    let buffer: Filling | undefined;
    if (this.headLost > 0) {
      const bytes = new Uint8Array(NET_EVENT_LOST_ITEM_LENGTH);
      buffer = {
        bytes,
        view: new DataView(bytes.buffer),
        used: 0,
        events: 0,
        lastItem: 0,
        lostAfter: this.headLost,
      };
      this.headLost = 0;
    } else {
      buffer = this.sealed.shift();
      if (buffer === undefined && evenIfNotSealed) {
        buffer = this.filling;
        this.filling = undefined;
      }
      if (this.sealed.length === 0) this.newest = undefined;
    }
    if (buffer === undefined) return undefined;
    this.queuedEvents -= buffer.events;
    // LostEventCount saturates; the exact count is settled all the same (lostTotal keeps it).
    const lost = Math.min(buffer.lostAfter, MAX_LOST_EVENT_COUNT);
    if (lost > 0) {
      writeLostItem(buffer.view, buffer.used, lost, this.lastItemFlag);
      buffer.used += NET_EVENT_LOST_ITEM_LENGTH;
      this.unreported -= buffer.lostAfter;
    } else if (buffer.events > 0) {
      setItemFlags(buffer.view, buffer.lastItem, this.lastItemFlag);
    }
    // The consumer owns the buffer from here: a view of exactly what was written.
    return { bytes: buffer.bytes.subarray(0, buffer.used), events: buffer.events, lost };
  }

  /**
   * Throws every queued event away (Stop, Close) and returns how many. They
   * are added to the Lost Event Count so that a final report accounts for
   * them (a netrx decision; the spec only says the queue is discarded),
   * except `givenBack` of them, which their source keeps to deliver again.
   */
  discard(givenBack = 0): number {
    const discarded = this.queuedEvents;
    this.sealed.clear();
    this.filling = undefined;
    this.newest = undefined;
    this.queuedEvents = 0;
    // Every unreported loss and the discarded events: one report, nothing queued before it.
    this.unreported += discarded - Math.min(discarded, Math.max(0, givenBack));
    this.headLost = this.unreported;
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
