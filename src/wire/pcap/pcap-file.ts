/**
 * The classic pcap format's two decoders: the 24-byte file header (version,
 * SnapLen, LinkType field with its FCS bits) and a packet record. The reader
 * (reader.ts) detects the format, waits for the bytes and enforces the
 * limits; these read bytes it already holds, without side effects.
 */
import {
  LINKTYPE_FCS_SHIFT,
  LINKTYPE_MASK,
  LINKTYPE_P_BIT,
  LINKTYPE_R_BIT,
  LINKTYPE_RESERVED3_MASK,
  PCAP_RECORD_HEADER_LENGTH,
  PCAP_VERSION_MAJOR,
  PCAP_VERSION_MINOR,
} from './constants.js';
import { PcapFailureCode, formatFailure, type FormatFailure } from './pcap-failure.js';
import {
  MICROSECONDS,
  NANOSECONDS,
  type PcapInterface,
  type PcapRecord,
  type PcapSection,
} from './types.js';

/** What a pcap file header declares: its one section with its one interface. */
export interface PcapFileHeader {
  readonly section: PcapSection;
  readonly iface: PcapInterface;
  /** 0 means no limit. */
  readonly snapLength: number;
  readonly linkType: number;
}

/** Reads the file header (`header` holds its 24 bytes) in the byte order and resolution the magic gave. */
export function readPcapFileHeader(
  header: Uint8Array,
  little: boolean,
  nano: boolean,
): PcapFileHeader | FormatFailure {
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  const major = view.getUint16(4, little);
  const minor = view.getUint16(6, little);
  if (major !== PCAP_VERSION_MAJOR || minor !== PCAP_VERSION_MINOR) {
    return formatFailure(
      PcapFailureCode.BadVersion,
      `unsupported pcap version ${major}.${minor}: only 2.4 is defined`,
      4,
    );
  }
  // SnapLen 0 breaks a writer's MUST, but libpcap and Wireshark read such files;
  // it is taken as "no limit" (maxPacketLength still applies).
  const snapLength = view.getUint32(16, little);
  const field = view.getUint32(20, little);
  if ((field & (LINKTYPE_RESERVED3_MASK | LINKTYPE_R_BIT)) !== 0) {
    return formatFailure(
      PcapFailureCode.BadLinkType,
      `pcap LinkType field 0x${field.toString(16).padStart(8, '0')} has reserved bits set`,
      20,
    );
  }
  const linkType = field & LINKTYPE_MASK;
  const resolution = nano ? NANOSECONDS : MICROSECONDS;
  const fcs = field & LINKTYPE_P_BIT ? { fcsLength: (field >>> LINKTYPE_FCS_SHIFT) * 2 } : {};
  const iface: PcapInterface = {
    sectionIndex: 0,
    id: 0,
    linkType,
    snapLength,
    resolution,
    tsOffset: 0n,
    ...fcs,
  };
  const section: PcapSection = {
    index: 0,
    byteOrder: little ? 'little' : 'big',
    versionMajor: major,
    versionMinor: minor,
    sectionLength: -1n,
    interfaces: [iface],
  };
  return { section, iface, snapLength, linkType };
}

/** The record in `bytes` (its 16-byte header and `capturedLength` bytes of data, a view). */
export function readPcapRecord(
  bytes: Uint8Array,
  capturedLength: number,
  little: boolean,
  nano: boolean,
  linkType: number,
): PcapRecord {
  const view = new DataView(bytes.buffer, bytes.byteOffset, PCAP_RECORD_HEADER_LENGTH);
  const seconds = BigInt(view.getUint32(0, little));
  const fraction = BigInt(view.getUint32(4, little));
  return {
    sectionIndex: 0,
    interfaceId: 0,
    linkType,
    timestamp: seconds * 1_000_000_000n + (nano ? fraction : fraction * 1000n),
    timestampUnits: seconds * (nano ? 1_000_000_000n : 1_000_000n) + fraction,
    resolution: nano ? NANOSECONDS : MICROSECONDS,
    capturedLength,
    originalLength: view.getUint32(12, little),
    data: bytes.subarray(PCAP_RECORD_HEADER_LENGTH),
    source: 'pcap-record',
  };
}
