/**
 * MS-LREC's binary formats: the EVENT_BUFFER an `RpcNetEventReceiveData`
 * call returns, its NET_EVENT_DATA_HEADER items, the EventRecord (an ETW
 * EVENT_RECORD with offsets for pointers, user data at 0x60) and
 * NET_EVENT_LOST. Encoders write straight into one buffer; decoders never
 * throw and return `Decoded` values. Decisions on the spec's defects
 * (research notes 1.3: DataSize ≥ 6, the 92-byte fixed part with offset 0x60,
 * the ambiguous "last item" bit) are in each file's comment and docs/seeds.md.
 */
export {
  EVENT_HEADER_LENGTH,
  EVENT_RECORD_FIXED_FIELDS_LENGTH,
  EVENT_RECORD_RESERVED_BYTE,
  EVENT_RECORD_USER_DATA_OFFSET,
  EventHeaderFlag,
  EventHeaderProperty,
  MAX_EVENT_USER_DATA_LENGTH,
  MAX_LOST_EVENT_COUNT,
  MAX_NET_EVENT_ITEM_LENGTH,
  NET_EVENT_DATA_HEADER_LENGTH,
  NET_EVENT_LAST_ITEM_FLAG,
  NET_EVENT_LOST_ITEM_LENGTH,
  NET_EVENT_LOST_LENGTH,
  NetEventDataType,
} from './constants.js';
export { GUID_LENGTH, NULL_GUID, guidToBytes, isGuid, readGuid, writeGuid } from './guid.js';
export { MAX_ACTIVITY_HOST_LENGTH, netrxHostFromActivityId } from './activity-host.js';
export {
  FILETIME_UNIX_EPOCH,
  filetimeFromUnixMs,
  unixMsFromFiletime,
  unixNsFromFiletime,
  writeFiletimeFromUnixMs,
} from './filetime.js';
export {
  NDIS_PACKET_CAPTURE_PROVIDER_GUID,
  NDIS_PACKET_FRAGMENT_EVENT,
  NDIS_PACKET_METADATA_EVENT,
  NDIS_VMSWITCH_PACKET_FRAGMENT_EVENT,
  NdisCaptureKeyword,
  decodeNdisPacket,
  type NdisEventIdentity,
  type NdisPacket,
  type NdisPacketDecoded,
} from './ndis-packet.js';
export {
  eventRecordLength,
  isEventRecordAt,
  parseEventRecord,
  writeEventRecord,
  writeEventRecordTail,
  type EventRecord,
  type EventRecordHeader,
  type EventRecordInit,
} from './event-record.js';
export {
  encodeEventBuffer,
  eventItemLength,
  parseEventBuffer,
  setItemFlags,
  writeDataHeader,
  writeEventItem,
  writeLostItem,
  type EventBufferEncodeOptions,
  type NetEventItem,
  type NetEventItemInit,
} from './event-buffer.js';
