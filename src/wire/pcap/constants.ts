/** Numbers from draft-ietf-opsawg-pcap and draft-ietf-opsawg-pcapng. */

export const PCAP_MAGIC_MICROSECONDS = 0xa1b2c3d4;
export const PCAP_MAGIC_NANOSECONDS = 0xa1b23c4d;
export const PCAP_VERSION_MAJOR = 2;
export const PCAP_VERSION_MINOR = 4;
export const PCAP_FILE_HEADER_LENGTH = 24;
export const PCAP_RECORD_HEADER_LENGTH = 16;

/** LinkType field layout (pcap draft, figure 2). */
export const LINKTYPE_MASK = 0x0000ffff;
export const LINKTYPE_RESERVED3_MASK = 0x03ff0000;
export const LINKTYPE_P_BIT = 0x04000000;
export const LINKTYPE_R_BIT = 0x08000000;
export const LINKTYPE_FCS_SHIFT = 28;

export const BlockType = {
  SectionHeader: 0x0a0d0d0a,
  InterfaceDescription: 0x00000001,
  Packet: 0x00000002,
  SimplePacket: 0x00000003,
  NameResolution: 0x00000004,
  InterfaceStatistics: 0x00000005,
  EnhancedPacket: 0x00000006,
  DecryptionSecrets: 0x0000000a,
  Custom: 0x00000bad,
  CustomNoCopy: 0x40000bad,
} as const;

export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
export const PCAPNG_VERSION_MAJOR = 1;
export const PCAPNG_VERSION_MINOR = 0;

/** Smallest legal total length per block type (header, fixed fields, trailer). */
export const MIN_BLOCK_LENGTH = 12;
export const MIN_SHB_LENGTH = 28;
export const MIN_IDB_LENGTH = 20;
export const MIN_EPB_LENGTH = 32;
export const MIN_SPB_LENGTH = 16;
export const MIN_PB_LENGTH = 32;

export const OptionCode = {
  EndOfOpt: 0,
  Comment: 1,
  ShbHardware: 2,
  ShbOs: 3,
  ShbUserAppl: 4,
  IfName: 2,
  IfDescription: 3,
  IfTsResol: 9,
  IfFcsLen: 13,
  IfTsOffset: 14,
  EpbFlags: 2,
  EpbDropCount: 4,
  IsbStartTime: 2,
  IsbEndTime: 3,
  IsbIfRecv: 4,
  IsbIfDrop: 5,
  IsbFilterAccept: 6,
  IsbOsDrop: 7,
  IsbUsrDeliv: 8,
} as const;

/** Default limits of the reader; both configurable. */
export const DEFAULT_MAX_PACKET_LENGTH = 256 * 1024;
export const DEFAULT_MAX_BLOCK_LENGTH = 16 * 1024 * 1024;
/** Interfaces (all sections together) and sections the reader will remember. */
export const DEFAULT_MAX_INTERFACES = 65_536;
export const DEFAULT_MAX_SECTIONS = 65_536;
