/**
 * netrx/wire/pcap: pcap and pcapng capture files, read and written sans-I/O.
 *
 * Reading is streaming and incremental: `new PcapReader()`, `push(chunk)` as
 * bytes arrive, `next()` until it says `need-more`, `end()` at end of input.
 * The reader detects classic pcap (draft-ietf-opsawg-pcap: either byte order,
 * µs or ns, version 2.4 only) and pcapng (draft-ietf-opsawg-pcapng: sections
 * of either byte order, version 1.0, with 1.2 read as 1.0; IDB, EPB, SPB and
 * the obsolete PB are read; NRB, ISB, DSB, custom and unknown blocks are
 * skipped by length).
 * It holds at most one record or block beyond the caller's chunks (default
 * limits: 256 KiB per packet, 16 MiB per block), checks every length before
 * allocating, and hands out packet data as views into the pushed chunks,
 * copying only a block that spans chunks. Malformed input never throws: it
 * yields `{ kind: 'error', failure }` with a stable `PcapFailureCode`.
 *
 * Writing: `PcapWriter` and `PcapngWriter` return each header, block or record
 * as a `Uint8Array`; the caller decides where the bytes go. Timestamps are
 * bigint nanoseconds since the epoch everywhere. No Node APIs here.
 */
export {
  PcapReader,
  PcapFailureCode,
  readCapture,
  type Capture,
  type PcapReaderOptions,
  type PcapReadResult,
} from './reader.js';
export {
  PcapWriter,
  PcapngWriter,
  type InterfaceToWrite,
  type InterfaceStatisticsToWrite,
  type PacketToWrite,
  type PcapngPacketToWrite,
  type PcapngWriterOptions,
  type PcapWriterOptions,
} from './writer.js';
export {
  MICROSECONDS,
  NANOSECONDS,
  type ByteOrder,
  type CaptureFormat,
  type Direction,
  type PacketFlags,
  type PcapFileInfo,
  type PcapInterface,
  type PcapRecord,
  type PcapSection,
  type ReceptionType,
  type TimestampResolution,
} from './types.js';
export { nanosecondsToUnits, unitsToNanoseconds } from './timestamp.js';
export { decodeFlags, encodeFlags } from './options.js';
export {
  BlockType,
  DEFAULT_MAX_BLOCK_LENGTH,
  DEFAULT_MAX_PACKET_LENGTH,
  DEFAULT_MAX_INTERFACES,
  DEFAULT_MAX_SECTIONS,
} from './constants.js';
