/**
 * EVENT_BUFFER contents (MS-LREC 2.2.2.1, 2.3.2): items back to back, no
 * alignment, each a NET_EVENT_DATA_HEADER then its payload; a NET_EVENT_LOST
 * item, if any, is the only one and the last.
 *
 *     NET_EVENT_DATA_HEADER: DataSize u32 (8 + payload) | DataType u16 | flags u16
 *     NET_EVENT_LOST payload: LostEventCount u32
 *
 * The spec says DataSize "≥ 6"; the header alone is 8 bytes, so decoders
 * refuse less than 8 (`bad-data-size`). The flags hold the "last item" bit
 * whose position the spec leaves ambiguous: encoders write a configurable
 * value on the last item (default 0x0100), decoders keep the flags as read
 * and never use them to find the end: they walk by DataSize to the end of
 * the buffer.
 */
import { decodeFailed, decoded, type Decoded } from '../result.js';
import {
  MAX_LOST_EVENT_COUNT,
  MAX_NET_EVENT_ITEM_LENGTH,
  NET_EVENT_DATA_HEADER_LENGTH,
  NET_EVENT_LAST_ITEM_FLAG,
  NET_EVENT_LOST_ITEM_LENGTH,
  NET_EVENT_LOST_LENGTH,
  NetEventDataType,
} from './constants.js';
import {
  eventRecordLength,
  parseEventRecord,
  writeEventRecord,
  type EventRecord,
  type EventRecordInit,
} from './event-record.js';

/** One decoded item. Unknown DataTypes are kept whole so newer senders stay readable. */
export type NetEventItem =
  | { readonly kind: 'event'; readonly flags: number; readonly record: EventRecord }
  | { readonly kind: 'lost'; readonly flags: number; readonly lostEventCount: number }
  | {
      readonly kind: 'unknown';
      readonly dataType: number;
      readonly flags: number;
      readonly payload: Uint8Array;
    };

/** What `encodeEventBuffer` writes. */
export type NetEventItemInit =
  | { readonly kind: 'event'; readonly record: EventRecordInit; readonly userData: Uint8Array }
  | { readonly kind: 'lost'; readonly lostEventCount: number };

export interface EventBufferEncodeOptions {
  /** Flags written on the last item (the A bit). Default 0x0100; 0 writes none. */
  readonly lastItemFlag?: number;
}

/** Writes a NET_EVENT_DATA_HEADER at `offset`. */
export function writeDataHeader(
  view: DataView,
  offset: number,
  dataSize: number,
  dataType: number,
  flags = 0,
): void {
  view.setUint32(offset, dataSize, true);
  view.setUint16(offset + 4, dataType, true);
  view.setUint16(offset + 6, flags, true);
}

/** Writes the flags of the item whose header starts at `offset` (to mark it last, say). */
export function setItemFlags(view: DataView, offset: number, flags: number): void {
  view.setUint16(offset + 6, flags, true);
}

/**
 * Writes a whole NET_EVENT_LOST item (12 bytes) at `offset`. The count is
 * clamped to 0..0xFFFFFFFF: LostEventCount saturates.
 */
export function writeLostItem(view: DataView, offset: number, lostEventCount: number, flags = 0) {
  writeDataHeader(view, offset, NET_EVENT_LOST_ITEM_LENGTH, NetEventDataType.Lost, flags);
  const count = Math.min(Math.max(Math.floor(lostEventCount), 0), MAX_LOST_EVENT_COUNT);
  view.setUint32(offset + NET_EVENT_DATA_HEADER_LENGTH, Number.isNaN(count) ? 0 : count, true);
}

/** The length of one EventRecord item carrying `userDataLength` bytes. */
export function eventItemLength(userDataLength: number): number {
  return NET_EVENT_DATA_HEADER_LENGTH + eventRecordLength(userDataLength);
}

/**
 * Writes one EventRecord item (header + record + user data) at `offset` and
 * returns its length. RangeError when it does not fit `out` or the 65,535-byte
 * item limit.
 */
export function writeEventItem(
  out: Uint8Array,
  view: DataView,
  offset: number,
  record: EventRecordInit,
  userData: Uint8Array,
  flags = 0,
): number {
  const length = eventItemLength(userData.length);
  if (length > MAX_NET_EVENT_ITEM_LENGTH) {
    throw new RangeError(
      `An EventRecord item is at most ${MAX_NET_EVENT_ITEM_LENGTH} bytes: this one would be ${length}`,
    );
  }
  writeEventRecord(out, view, offset + NET_EVENT_DATA_HEADER_LENGTH, record, userData);
  writeDataHeader(view, offset, length, NetEventDataType.EventRecord, flags);
  return length;
}

/**
 * Encodes `items` into one buffer, sized first and written in one pass.
 * RangeError (misuse) when a lost item is not the last or there are two.
 */
export function encodeEventBuffer(
  items: readonly NetEventItemInit[],
  options: EventBufferEncodeOptions = {},
): Uint8Array<ArrayBuffer> {
  const lastItemFlag = options.lastItemFlag ?? NET_EVENT_LAST_ITEM_FLAG;
  let size = 0;
  items.forEach((item, index) => {
    if (item.kind === 'lost') {
      if (index !== items.length - 1) {
        throw new RangeError('A NET_EVENT_LOST item must be the last item of the buffer');
      }
      size += NET_EVENT_LOST_ITEM_LENGTH;
    } else {
      size += eventItemLength(item.userData.length);
    }
  });
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  items.forEach((item, index) => {
    const flags = index === items.length - 1 ? lastItemFlag : 0;
    if (item.kind === 'lost') {
      writeLostItem(view, at, item.lostEventCount, flags);
      at += NET_EVENT_LOST_ITEM_LENGTH;
    } else {
      at += writeEventItem(out, view, at, item.record, item.userData, flags);
    }
  });
  return out;
}

/**
 * Decodes a whole EVENT_BUFFER. Never throws. Failures, with the offset of
 * the item: `truncated` (a header, or an item, runs past the end);
 * `bad-data-size` (DataSize below 8); `bad-lost` (a lost item without its
 * four bytes); `lost-not-last` (an item follows a NET_EVENT_LOST); and the
 * EventRecord's own `truncated` / `bad-user-data`.
 */
export function parseEventBuffer(bytes: Uint8Array): Decoded<NetEventItem[]> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const items: NetEventItem[] = [];
  let at = 0;
  let sawLost = false;
  while (at < bytes.length) {
    if (sawLost) {
      return decodeFailed('lost-not-last', 'An item follows the NET_EVENT_LOST item', at);
    }
    if (bytes.length - at < NET_EVENT_DATA_HEADER_LENGTH) {
      return decodeFailed(
        'truncated',
        `${bytes.length - at} bytes left: too few for an 8-byte NET_EVENT_DATA_HEADER`,
        at,
      );
    }
    const dataSize = view.getUint32(at, true);
    const dataType = view.getUint16(at + 4, true);
    const flags = view.getUint16(at + 6, true);
    if (dataSize < NET_EVENT_DATA_HEADER_LENGTH) {
      return decodeFailed('bad-data-size', `DataSize ${dataSize} is below the 8-byte header`, at);
    }
    if (dataSize > bytes.length - at) {
      return decodeFailed(
        'truncated',
        `Item of ${dataSize} bytes runs past the buffer (${bytes.length - at} left)`,
        at,
      );
    }
    const payload = bytes.subarray(at + NET_EVENT_DATA_HEADER_LENGTH, at + dataSize);
    if (dataType === NetEventDataType.EventRecord) {
      const record = parseEventRecord(payload);
      if (!record.ok) {
        const { code, message, offset } = record.failure;
        return decodeFailed(code, message, at + NET_EVENT_DATA_HEADER_LENGTH + (offset ?? 0));
      }
      items.push({ kind: 'event', flags, record: record.value });
    } else if (dataType === NetEventDataType.Lost) {
      if (payload.length < NET_EVENT_LOST_LENGTH) {
        return decodeFailed(
          'bad-lost',
          `NET_EVENT_LOST item has ${payload.length} bytes of payload, not 4`,
          at,
        );
      }
      items.push({ kind: 'lost', flags, lostEventCount: view.getUint32(at + 8, true) });
      sawLost = true;
    } else {
      items.push({ kind: 'unknown', dataType, flags, payload });
    }
    at += dataSize;
  }
  return decoded(items);
}
