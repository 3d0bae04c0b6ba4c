/**
 * The EventRecord (MS-LREC 2.3.2.2): an ETW EVENT_RECORD with its pointers
 * replaced by offsets. An 80-byte EVENT_HEADER, then ProcessorId, a reserved
 * byte (0x08 from Windows), SessionId, ExtendedDataCount, UserDataLength,
 * ExtendedDataOffset and UserDataOffset: 92 bytes of fields. UserDataOffset
 * must be 0x60, so encoders zero bytes 92–95 and put the user data at 96;
 * decoders find the user data by the offset field, whatever it says, as long
 * as it lies past the fixed fields and inside the item. All little-endian;
 * GUIDs in Windows byte order.
 *
 *     0 Size u16 | 2 HeaderType u16 | 4 Flags u16 | 6 EventProperty u16
 *     8 ThreadId u32 | 12 ProcessId u32 | 16 TimeStamp i64 (FILETIME)
 *     24 ProviderId GUID | 40 Id u16 | 42 Version u8 | 43 Channel u8
 *     44 Level u8 | 45 Opcode u8 | 46 Task u16 | 48 Keyword u64
 *     56 KernelTime u32 | 60 UserTime u32 | 64 ActivityId GUID
 *     80 ProcessorId u8 | 81 Reserved u8 | 82 SessionId u16
 *     84 ExtendedDataCount u16 | 86 UserDataLength u16
 *     88 ExtendedDataOffset u16 | 90 UserDataOffset u16 | 92 pad(4) | 96 UserData
 */
import { decodeFailed, decoded, type Decoded } from '../result.js';
import {
  EVENT_RECORD_FIXED_FIELDS_LENGTH,
  EVENT_RECORD_RESERVED_BYTE,
  EVENT_RECORD_USER_DATA_OFFSET,
  EventHeaderFlag,
  MAX_EVENT_USER_DATA_LENGTH,
} from './constants.js';
import { NULL_GUID, readGuid, writeGuid } from './guid.js';

/** Every fixed field of an EventRecord, as decoded. */
export interface EventRecordHeader {
  readonly size: number;
  readonly headerType: number;
  readonly flags: number;
  readonly eventProperty: number;
  readonly threadId: number;
  readonly processId: number;
  /** FILETIME ticks (100 ns since 1601 UTC); see `unixMsFromFiletime`. */
  readonly timeStamp: bigint;
  readonly providerId: string;
  readonly id: number;
  readonly version: number;
  readonly channel: number;
  readonly level: number;
  readonly opcode: number;
  readonly task: number;
  readonly keyword: bigint;
  readonly kernelTime: number;
  readonly userTime: number;
  readonly activityId: string;
  readonly processorId: number;
  /** Byte 81; Windows sends 0x08 (x64 BufferContext.Alignment). */
  readonly reserved: number;
  readonly sessionId: number;
  readonly extendedDataCount: number;
  readonly extendedDataOffset: number;
}

export interface EventRecord {
  readonly header: EventRecordHeader;
  /** A view into the decoded bytes (no copy). */
  readonly userData: Uint8Array;
}

/**
 * What an encoder needs: the provider and the event's identity; everything
 * else defaults (Flags 0x0040 64-bit header, Reserved 0x08, Size = 96 + user
 * data length, the rest 0). GUIDs as text or as 16 bytes already in Windows
 * order (cheaper on a hot path: see `guidToBytes`).
 */
export interface EventRecordInit {
  readonly providerId: string | Uint8Array;
  readonly id?: number;
  readonly version?: number;
  readonly channel?: number;
  readonly level?: number;
  readonly opcode?: number;
  readonly task?: number;
  readonly keyword?: bigint;
  /** FILETIME ticks; default 0. */
  readonly timeStamp?: bigint;
  readonly size?: number;
  readonly headerType?: number;
  readonly flags?: number;
  readonly eventProperty?: number;
  readonly threadId?: number;
  readonly processId?: number;
  readonly kernelTime?: number;
  readonly userTime?: number;
  readonly activityId?: string | Uint8Array;
  readonly processorId?: number;
  readonly reserved?: number;
  readonly sessionId?: number;
}

/** An EventRecord of `userDataLength` bytes of user data takes this many bytes. */
export function eventRecordLength(userDataLength: number): number {
  return EVENT_RECORD_USER_DATA_OFFSET + userDataLength;
}

/**
 * Writes the EventRecord at `out[offset]` (the caller made room:
 * `eventRecordLength(userData.length)` bytes) and returns its length. The
 * user data is copied once, here. RangeError for user data over 65,431 bytes.
 */
export function writeEventRecord(
  out: Uint8Array,
  view: DataView,
  offset: number,
  record: EventRecordInit,
  userData: Uint8Array,
): number {
  const length = userData.length;
  if (length > MAX_EVENT_USER_DATA_LENGTH) {
    throw new RangeError(
      `EventRecord user data is at most ${MAX_EVENT_USER_DATA_LENGTH} bytes: got ${length}`,
    );
  }
  const total = EVENT_RECORD_USER_DATA_OFFSET + length;
  if (offset < 0 || offset + total > out.length) {
    throw new RangeError(`No room for a ${total}-byte EventRecord at offset ${offset}`);
  }
  view.setUint16(offset, record.size ?? total, true);
  view.setUint16(offset + 2, record.headerType ?? 0, true);
  view.setUint16(offset + 4, record.flags ?? EventHeaderFlag.Header64Bit, true);
  view.setUint16(offset + 6, record.eventProperty ?? 0, true);
  view.setUint32(offset + 8, record.threadId ?? 0, true);
  view.setUint32(offset + 12, record.processId ?? 0, true);
  view.setBigInt64(offset + 16, BigInt.asIntN(64, record.timeStamp ?? 0n), true);
  writeGuid(out, offset + 24, record.providerId);
  view.setUint16(offset + 40, record.id ?? 0, true);
  out[offset + 42] = record.version ?? 0;
  out[offset + 43] = record.channel ?? 0;
  out[offset + 44] = record.level ?? 0;
  out[offset + 45] = record.opcode ?? 0;
  view.setUint16(offset + 46, record.task ?? 0, true);
  view.setBigUint64(offset + 48, BigInt.asUintN(64, record.keyword ?? 0n), true);
  view.setUint32(offset + 56, record.kernelTime ?? 0, true);
  view.setUint32(offset + 60, record.userTime ?? 0, true);
  writeGuid(out, offset + 64, record.activityId ?? NULL_GUID);
  writeEventRecordTail(out, view, offset, record.processorId ?? 0, record.sessionId ?? 0, userData);
  if (record.reserved !== undefined) out[offset + 81] = record.reserved;
  return total;
}

/**
 * Bytes 80–95 and the user data: the part every event of a session writes
 * the same way. Exported for netrx/capture's hot path, which writes bytes
 * 0–79 itself from values it keeps pre-encoded.
 */
export function writeEventRecordTail(
  out: Uint8Array,
  view: DataView,
  offset: number,
  processorId: number,
  sessionId: number,
  userData: Uint8Array,
): void {
  out[offset + 80] = processorId;
  out[offset + 81] = EVENT_RECORD_RESERVED_BYTE;
  view.setUint16(offset + 82, sessionId, true);
  view.setUint16(offset + 84, 0, true); // ExtendedDataCount: LREC cannot carry extended data
  view.setUint16(offset + 86, userData.length, true);
  view.setUint16(offset + 88, 0, true); // ExtendedDataOffset
  view.setUint16(offset + 90, EVENT_RECORD_USER_DATA_OFFSET, true);
  view.setUint32(offset + 92, 0, true); // bytes 92–95: padding up to UserDataOffset
  out.set(userData, offset + EVENT_RECORD_USER_DATA_OFFSET);
}

/**
 * Whether the `length` bytes at `offset` of `view` are an EventRecord that
 * `parseEventRecord` decodes (the same checks, nothing decoded): for a
 * reader that passes the record's bytes on unchanged and needs only to
 * know they are well formed, without the header object, its GUID strings
 * and BigInts per event.
 */
export function isEventRecordAt(view: DataView, offset: number, length: number): boolean {
  if (length < EVENT_RECORD_FIXED_FIELDS_LENGTH) return false;
  const userDataLength = view.getUint16(offset + 86, true);
  const userDataOffset = view.getUint16(offset + 90, true);
  return (
    userDataOffset >= EVENT_RECORD_FIXED_FIELDS_LENGTH && userDataOffset + userDataLength <= length
  );
}

/**
 * Decodes an EventRecord from an item's payload (the bytes after its
 * NET_EVENT_DATA_HEADER). Never throws: `truncated` below the 92 bytes of
 * fixed fields; `bad-user-data` when UserDataOffset points into the fixed
 * fields or the user data runs past the payload. Extended data is not
 * decoded (LREC cannot send it); its count and offset are kept.
 */
export function parseEventRecord(payload: Uint8Array): Decoded<EventRecord> {
  if (payload.length < EVENT_RECORD_FIXED_FIELDS_LENGTH) {
    return decodeFailed(
      'truncated',
      `EventRecord of ${payload.length} bytes is shorter than its ${EVENT_RECORD_FIXED_FIELDS_LENGTH} bytes of fixed fields`,
      payload.length,
    );
  }
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const userDataLength = view.getUint16(86, true);
  const userDataOffset = view.getUint16(90, true);
  if (
    userDataOffset < EVENT_RECORD_FIXED_FIELDS_LENGTH ||
    userDataOffset + userDataLength > payload.length
  ) {
    return decodeFailed(
      'bad-user-data',
      `EventRecord user data (offset ${userDataOffset}, ${userDataLength} bytes) is not inside its ${payload.length}-byte item past the fixed fields`,
      90,
    );
  }
  const header: EventRecordHeader = {
    size: view.getUint16(0, true),
    headerType: view.getUint16(2, true),
    flags: view.getUint16(4, true),
    eventProperty: view.getUint16(6, true),
    threadId: view.getUint32(8, true),
    processId: view.getUint32(12, true),
    timeStamp: view.getBigInt64(16, true),
    providerId: readGuid(payload, 24),
    id: view.getUint16(40, true),
    version: payload[42] as number,
    channel: payload[43] as number,
    level: payload[44] as number,
    opcode: payload[45] as number,
    task: view.getUint16(46, true),
    keyword: view.getBigUint64(48, true),
    kernelTime: view.getUint32(56, true),
    userTime: view.getUint32(60, true),
    activityId: readGuid(payload, 64),
    processorId: payload[80] as number,
    reserved: payload[81] as number,
    sessionId: view.getUint16(82, true),
    extendedDataCount: view.getUint16(84, true),
    extendedDataOffset: view.getUint16(88, true),
  };
  return decoded({
    header,
    userData: payload.subarray(userDataOffset, userDataOffset + userDataLength),
  });
}
