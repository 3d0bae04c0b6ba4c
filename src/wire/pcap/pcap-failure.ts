/**
 * The pcap/pcapng reader's failure codes, and the failure value its format
 * decoders (pcap-file.ts, pcapng-blocks.ts) return for the reader to report,
 * kept apart from the reader so those decoders need not import it.
 */

/**
 * Every failure code the reader reports. Stable; match on these, not on messages.
 */
export const PcapFailureCode = {
  /** The first four bytes are neither a pcap magic (either order, µs or ns) nor a pcapng SHB. */
  NotACapture: 'not-a-capture',
  /** The input ended inside a file header, record or block (or was empty). */
  Truncated: 'truncated',
  /** pcap version other than 2.4, or pcapng SHB version other than 1.0 (1.2 is read as 1.0). */
  BadVersion: 'bad-version',
  /** pcap LinkType field with its reserved bits (Reserved3 or R) set. */
  BadLinkType: 'bad-link-type',
  /** A captured length above `maxPacketLength`. */
  PacketTooLarge: 'packet-too-large',
  /** A pcap record whose captured length exceeds the file's SnapLen. */
  CaplenExceedsSnaplen: 'caplen-exceeds-snaplen',
  /** A pcapng block length that is not a multiple of 4, below the type's minimum, disagrees with its trailing copy, or cannot hold the packet it claims. */
  BadBlockLength: 'bad-block-length',
  /** A pcapng block longer than `maxBlockLength`. */
  BlockTooLarge: 'block-too-large',
  /** An SHB whose byte-order magic is neither 0x1A2B3C4D nor 0x4D3C2B1A. */
  BadByteOrder: 'bad-byte-order',
  /** An option that overruns its block, has the wrong length for its code, or repeats where it must not. */
  BadOption: 'bad-option',
  /** A packet before any IDB in its section, or naming an interface the section does not have. */
  UnknownInterface: 'unknown-interface',
  /** More IDBs than `maxInterfaces`. */
  TooManyInterfaces: 'too-many-interfaces',
  /** More SHBs than `maxSections`. */
  TooManySections: 'too-many-sections',
} as const;
export type PcapFailureCode = (typeof PcapFailureCode)[keyof typeof PcapFailureCode];

/** Why a header, record or block is malformed; `at` is its offset from the reader's position. */
export interface FormatFailure {
  readonly failed: true;
  readonly code: PcapFailureCode;
  readonly message: string;
  readonly at: number;
}

export function formatFailure(code: PcapFailureCode, message: string, at: number): FormatFailure {
  return { failed: true, code, message, at };
}
