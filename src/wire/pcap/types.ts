/** The shapes the pcap/pcapng reader produces and the writers accept. */

export type ByteOrder = 'big' | 'little';
export type CaptureFormat = 'pcap' | 'pcapng';

/**
 * A timestamp unit: one unit is `base ** -exponent` seconds. Microseconds are
 * `{ base: 10, exponent: 6 }`, nanoseconds `{ base: 10, exponent: 9 }`; pcapng's
 * power-of-two form (`if_tsresol` with the top bit set) has `base: 2`.
 */
export interface TimestampResolution {
  readonly base: 10 | 2;
  readonly exponent: number;
}

export const MICROSECONDS: TimestampResolution = { base: 10, exponent: 6 };
export const NANOSECONDS: TimestampResolution = { base: 10, exponent: 9 };

export type Direction = 'inbound' | 'outbound';
export type ReceptionType = 'unicast' | 'multicast' | 'broadcast' | 'promiscuous';

/** pcapng `epb_flags` (and the obsolete `pack_flags`), decoded. */
export interface PacketFlags {
  /** Bits 0–1: 01 inbound, 10 outbound; `undefined` when not given (00) or invalid (11). */
  readonly direction: Direction | undefined;
  /** Bits 2–4; `undefined` when unspecified (000) or a value the draft does not define. */
  readonly receptionType: ReceptionType | undefined;
  /** Bits 5–8: octets of FCS at the end of the frame, 0 when not given. */
  readonly fcsLength: number;
  /** Bits 16–31: link-layer-dependent error bits (bit 31 symbol error … bit 24 CRC error). */
  readonly linkErrors: number;
  /** The whole 32-bit word, so unknown bits survive a round trip. */
  readonly raw: number;
}

/** One captured packet, from a pcap Packet Record or a pcapng EPB, SPB or PB. */
export interface PcapRecord {
  /** Index of the section (pcapng SHB) the packet belongs to; always 0 for pcap. */
  readonly sectionIndex: number;
  /** Interface id within the section; always 0 for pcap. */
  readonly interfaceId: number;
  readonly linkType: number;
  /**
   * Nanoseconds since 1970-01-01 UTC, including the interface's `if_tsoffset`;
   * rounded down when the interface's resolution is finer than 1 ns.
   * `undefined` only for a Simple Packet Block, which carries no time.
   */
  readonly timestamp: bigint | undefined;
  /** The timestamp exactly as stored, in units of `resolution` (offset not applied). */
  readonly timestampUnits: bigint | undefined;
  readonly resolution: TimestampResolution;
  readonly capturedLength: number;
  readonly originalLength: number;
  /**
   * The captured bytes. A view into the pushed chunk when the record lay inside
   * one chunk; a copy only when it spanned chunks.
   */
  readonly data: Uint8Array;
  readonly flags?: PacketFlags;
  readonly comments?: readonly string[];
  /** Which structure carried the packet. */
  readonly source: 'pcap-record' | 'epb' | 'spb' | 'pb';
}

/** A capture interface: the one of a pcap file, or a pcapng IDB. */
export interface PcapInterface {
  readonly sectionIndex: number;
  /** Interface id within its section (the IDB's position). */
  readonly id: number;
  readonly linkType: number;
  /** Snapshot length; 0 means unlimited (pcapng only). */
  readonly snapLength: number;
  readonly resolution: TimestampResolution;
  /** `if_tsoffset`: seconds added to every timestamp. 0n when absent. */
  readonly tsOffset: bigint;
  /** Octets of FCS per frame: pcap's FCS len (when the P bit is set) × 2, or pcapng `if_fcslen`. */
  readonly fcsLength?: number;
  readonly name?: string;
  readonly description?: string;
  readonly comments?: readonly string[];
}

/** A pcapng section (SHB), or the single implicit section of a pcap file. */
export interface PcapSection {
  readonly index: number;
  readonly byteOrder: ByteOrder;
  readonly versionMajor: number;
  readonly versionMinor: number;
  /** SHB section length; -1n when unknown (and always -1n for pcap). */
  readonly sectionLength: bigint;
  readonly hardware?: string;
  readonly os?: string;
  readonly userApplication?: string;
  readonly comments?: readonly string[];
  readonly interfaces: readonly PcapInterface[];
}

/** What the reader has learned about the file so far. */
export interface PcapFileInfo {
  /** `undefined` until the first four bytes have been seen. */
  readonly format: CaptureFormat | undefined;
  readonly sections: readonly PcapSection[];
  /** Every interface of every section, in order of appearance. */
  readonly interfaces: readonly PcapInterface[];
}
