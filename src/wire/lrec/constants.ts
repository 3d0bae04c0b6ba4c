/**
 * MS-LREC constants (sections 2.2.2 and 2.3.2): the item header, the item
 * types, the EventRecord layout and the bounds the 16-bit and 32-bit fields
 * impose.
 */

/** NET_EVENT_DATA_HEADER: DataSize u32, DataType u16, flags u16. */
export const NET_EVENT_DATA_HEADER_LENGTH = 8;

/** DataSize counts the header, so one item is at most 65,535 bytes in all. */
export const MAX_NET_EVENT_ITEM_LENGTH = 0xffff;

/** NET_EVENT_DATA_HEADER.DataType values. */
export const NetEventDataType = {
  EventRecord: 1,
  Lost: 2,
} as const;

/**
 * The "last item" (A) bit of the header's flags, read as a little-endian u16.
 * The spec's diagram numbers it bit 55 of the header; under the MS-DTYP
 * diagram convention that is the u16 value 0x0100 (byte 7 = 0x01). Senders
 * may choose another reading (`lastItemFlag`); readers ignore it.
 */
export const NET_EVENT_LAST_ITEM_FLAG = 0x0100;

/** NET_EVENT_LOST: one u32, saturating at 0xFFFFFFFF. */
export const NET_EVENT_LOST_LENGTH = 4;
/** A whole NET_EVENT_LOST item: header + count. */
export const NET_EVENT_LOST_ITEM_LENGTH = NET_EVENT_DATA_HEADER_LENGTH + NET_EVENT_LOST_LENGTH;
export const MAX_LOST_EVENT_COUNT = 0xffff_ffff;

/** The EVENT_HEADER part of an EventRecord (MS-DTYP 2.3.2). */
export const EVENT_HEADER_LENGTH = 80;
/**
 * The fixed fields of an EventRecord end at byte 92 (research 1.3, defect 3),
 * but UserDataOffset must be 0x60: encoders zero bytes 92–95 and put user data
 * at 96; decoders find it by UserDataOffset.
 */
export const EVENT_RECORD_FIXED_FIELDS_LENGTH = 92;
export const EVENT_RECORD_USER_DATA_OFFSET = 0x60;
/** The most user data one EventRecord item can carry: 65,535 − 8 − 96. */
export const MAX_EVENT_USER_DATA_LENGTH =
  MAX_NET_EVENT_ITEM_LENGTH - NET_EVENT_DATA_HEADER_LENGTH - EVENT_RECORD_USER_DATA_OFFSET;

/** EVENT_HEADER.Flags bits. */
export const EventHeaderFlag = {
  ExtendedInfo: 0x0001,
  PrivateSession: 0x0002,
  StringOnly: 0x0004,
  TraceMessage: 0x0008,
  NoCpuTime: 0x0010,
  Header32Bit: 0x0020,
  Header64Bit: 0x0040,
  Classic: 0x0100,
} as const;

/** EVENT_HEADER.EventProperty bits. */
export const EventHeaderProperty = {
  Xml: 0x0001,
  ForwardedXml: 0x0002,
  LegacyEventLog: 0x0004,
} as const;

/** EventRecord byte 81: x64 BufferContext.Alignment, as Windows sends it. */
export const EVENT_RECORD_RESERVED_BYTE = 0x08;
