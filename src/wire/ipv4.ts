/**
 * IPv4 headers (RFC 791 §3.1), options included.
 *
 * Lengths: the header is IHL × 4 bytes (20..60) and the datagram is Total
 * Length bytes. Bytes after Total Length are link padding (Ethernet pads
 * frames to 60 bytes) and are ignored; a buffer shorter than Total Length is
 * `truncated`. `checked` validates exactly these lengths, so no getter reads
 * out of bounds; `parseIpv4` also checks the version and the header checksum
 * (RFC 1071), and `emitIpv4` computes the checksum, which is why the header
 * object has no checksum field: the header is everything it covers.
 *
 * Options are kept as raw bytes, padding included, so they round-trip;
 * `walkIpv4Options` reads them into a list (RFC 791 §3.1, "Options").
 * Fragments (RFC 791 §2.3) are flagged, not reassembled: that is a bounded
 * job for the layer above.
 */
import { finishChecksum, onesComplementSum, verifyInternetChecksum } from './checksum.js';
import { decodeFailed, decoded, type Decoded } from './result.js';
import { readU16, readU32, writeU16, writeU32 } from './big-endian.js';
import { ANCHOR_BYTES, keepShape } from './view-shapes.js';

export const IPV4_MIN_HEADER_LENGTH = 20;
export const IPV4_MAX_HEADER_LENGTH = 60;

/** An IPv4 header as a plain value. Addresses are uint32 (network order read as a number). */
export interface Ipv4Header {
  /** Differentiated Services code point (RFC 2474), 0..63. */
  readonly dscp: number;
  /** Explicit Congestion Notification (RFC 3168), 0..3. */
  readonly ecn: number;
  /** Header plus payload, in bytes. */
  readonly totalLength: number;
  readonly identification: number;
  /** The reserved flag bit (must be zero on the wire; preserved). */
  readonly reservedFlag: boolean;
  readonly dontFragment: boolean;
  readonly moreFragments: boolean;
  /** Fragment offset in units of 8 bytes, as on the wire (0..8191). */
  readonly fragmentOffset: number;
  readonly timeToLive: number;
  /** An `IpProtocol` number. */
  readonly protocol: number;
  readonly sourceAddress: number;
  readonly destinationAddress: number;
  /** Raw option bytes, padding included; length a multiple of 4, at most 40. */
  readonly options: Uint8Array;
}

/** One IPv4 option as walked by `walkIpv4Options`. */
export interface Ipv4Option {
  /** The option-type octet (copied flag, class and number together). */
  readonly type: number;
  /** The option data after type and length (empty for NOP). A view. */
  readonly data: Uint8Array;
}

export const Ipv4OptionType = {
  EndOfOptions: 0,
  NoOperation: 1,
  RecordRoute: 7,
  Timestamp: 68,
  LooseSourceRoute: 131,
  StrictSourceRoute: 137,
  RouterAlert: 148,
} as const;

/**
 * A view of an IPv4 datagram. After `checked`, every getter stays inside the
 * header and `payload` ends at Total Length.
 */
export class Ipv4Packet {
  readonly bytes: Uint8Array;

  private constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  // One view kept alive so the hidden class (and code built on it) survives full GCs: view-shapes.ts.
  static {
    keepShape(new Ipv4Packet(ANCHOR_BYTES));
  }

  static unchecked(bytes: Uint8Array): Ipv4Packet {
    return new Ipv4Packet(bytes);
  }

  /**
   * Validates lengths only: the fixed header present (`truncated`), IHL at
   * least 5 (`bad-header-length`), the options present (`truncated`), Total
   * Length at least the header (`bad-length`) and present (`truncated`).
   */
  static checked(bytes: Uint8Array): Decoded<Ipv4Packet> {
    if (bytes.length < IPV4_MIN_HEADER_LENGTH) {
      return decodeFailed(
        'truncated',
        `IPv4 datagram of ${bytes.length} bytes is shorter than the 20-byte header`,
        bytes.length,
      );
    }
    const packet = new Ipv4Packet(bytes);
    const headerLength = packet.headerLength;
    if (headerLength < IPV4_MIN_HEADER_LENGTH) {
      return decodeFailed(
        'bad-header-length',
        `IPv4 header length ${headerLength} is below 20 bytes`,
        0,
      );
    }
    if (headerLength > bytes.length) {
      return decodeFailed(
        'truncated',
        `IPv4 header of ${headerLength} bytes is cut off at ${bytes.length} bytes`,
        bytes.length,
      );
    }
    const totalLength = packet.totalLength;
    if (totalLength < headerLength) {
      return decodeFailed(
        'bad-length',
        `IPv4 total length ${totalLength} is shorter than its ${headerLength}-byte header`,
        2,
      );
    }
    if (totalLength > bytes.length) {
      return decodeFailed(
        'truncated',
        `IPv4 datagram of total length ${totalLength} is cut off at ${bytes.length} bytes`,
        bytes.length,
      );
    }
    return decoded(packet);
  }

  get version(): number {
    return (this.bytes[0] as number) >> 4;
  }
  /** Header length in bytes (IHL × 4). */
  get headerLength(): number {
    return ((this.bytes[0] as number) & 0x0f) * 4;
  }
  get dscp(): number {
    return (this.bytes[1] as number) >> 2;
  }
  get ecn(): number {
    return (this.bytes[1] as number) & 3;
  }
  get totalLength(): number {
    return readU16(this.bytes, 2);
  }
  get identification(): number {
    return readU16(this.bytes, 4);
  }
  get reservedFlag(): boolean {
    return ((this.bytes[6] as number) & 0x80) !== 0;
  }
  get dontFragment(): boolean {
    return ((this.bytes[6] as number) & 0x40) !== 0;
  }
  get moreFragments(): boolean {
    return ((this.bytes[6] as number) & 0x20) !== 0;
  }
  /** Fragment offset in units of 8 bytes. */
  get fragmentOffset(): number {
    return readU16(this.bytes, 6) & 0x1fff;
  }
  /** Whether this datagram is one piece of a larger one (MF set or offset non-zero). */
  get isFragment(): boolean {
    return (readU16(this.bytes, 6) & 0x3fff) !== 0;
  }
  get timeToLive(): number {
    return this.bytes[8] as number;
  }
  get protocol(): number {
    return this.bytes[9] as number;
  }
  get checksum(): number {
    return readU16(this.bytes, 10);
  }
  /** Source address as uint32. */
  get sourceAddress(): number {
    return readU32(this.bytes, 12);
  }
  /** Destination address as uint32. */
  get destinationAddress(): number {
    return readU32(this.bytes, 16);
  }
  /** Raw option bytes (a view). */
  get options(): Uint8Array {
    return this.bytes.subarray(IPV4_MIN_HEADER_LENGTH, this.headerLength);
  }
  /** The payload up to Total Length; link padding after it is left out (a view). */
  get payload(): Uint8Array {
    return this.bytes.subarray(this.headerLength, this.totalLength);
  }
  /** Whether the header checksum verifies. */
  verifyChecksum(): boolean {
    return verifyInternetChecksum(this.bytes.subarray(0, this.headerLength));
  }

  setVersionAndHeaderLength(version: number, headerLength: number): void {
    this.bytes[0] = ((version & 0x0f) << 4) | ((headerLength >> 2) & 0x0f);
  }
  setDscp(value: number): void {
    this.bytes[1] = ((value & 0x3f) << 2) | ((this.bytes[1] as number) & 3);
  }
  setEcn(value: number): void {
    this.bytes[1] = ((this.bytes[1] as number) & 0xfc) | (value & 3);
  }
  setTotalLength(value: number): void {
    writeU16(this.bytes, 2, value);
  }
  setIdentification(value: number): void {
    writeU16(this.bytes, 4, value);
  }
  /** Sets the flags and fragment offset (in units of 8 bytes) together. */
  setFragment(dontFragment: boolean, moreFragments: boolean, fragmentOffset: number): void {
    const reserved = (this.bytes[6] as number) & 0x80;
    writeU16(
      this.bytes,
      6,
      (reserved << 8) |
        (dontFragment ? 0x4000 : 0) |
        (moreFragments ? 0x2000 : 0) |
        (fragmentOffset & 0x1fff),
    );
  }
  setTimeToLive(value: number): void {
    this.bytes[8] = value;
  }
  setProtocol(value: number): void {
    this.bytes[9] = value;
  }
  setChecksum(value: number): void {
    writeU16(this.bytes, 10, value);
  }
  setSourceAddress(address: number): void {
    writeU32(this.bytes, 12, address >>> 0);
  }
  setDestinationAddress(address: number): void {
    writeU32(this.bytes, 16, address >>> 0);
  }
  /** Computes the header checksum and writes it in place. */
  fillChecksum(): void {
    writeU16(this.bytes, 10, 0);
    writeU16(
      this.bytes,
      10,
      finishChecksum(onesComplementSum(this.bytes.subarray(0, this.headerLength))),
    );
  }
}

/** Header length for `header`: 20 plus the option bytes. */
export function ipv4HeaderLength(header: Ipv4Header): number {
  return IPV4_MIN_HEADER_LENGTH + header.options.length;
}

/**
 * Parses an IPv4 header: the lengths as `Ipv4Packet.checked`, then the
 * version (`bad-version`) and, unless `verifyChecksum` is false, the header
 * checksum (`bad-checksum`). `payload` ends at Total Length.
 */
export function parseIpv4(
  bytes: Uint8Array,
  options: { readonly verifyChecksum?: boolean } = {},
): Decoded<{ header: Ipv4Header; payload: Uint8Array }> {
  const result = Ipv4Packet.checked(bytes);
  if (!result.ok) return result;
  const packet = result.value;
  if (packet.version !== 4) {
    return decodeFailed('bad-version', `IP version ${packet.version} is not 4`, 0);
  }
  if (options.verifyChecksum !== false && !packet.verifyChecksum()) {
    return decodeFailed(
      'bad-checksum',
      `IPv4 header checksum 0x${packet.checksum.toString(16).padStart(4, '0')} does not verify`,
      10,
    );
  }
  return decoded({
    header: {
      dscp: packet.dscp,
      ecn: packet.ecn,
      totalLength: packet.totalLength,
      identification: packet.identification,
      reservedFlag: packet.reservedFlag,
      dontFragment: packet.dontFragment,
      moreFragments: packet.moreFragments,
      fragmentOffset: packet.fragmentOffset,
      timeToLive: packet.timeToLive,
      protocol: packet.protocol,
      sourceAddress: packet.sourceAddress,
      destinationAddress: packet.destinationAddress,
      options: packet.options,
    },
    payload: packet.payload,
  });
}

/**
 * Writes `header` (version 4, computed checksum) at `offset` and returns the
 * header length. The payload is the caller's to write after it. Throws
 * `RangeError` if the options are not a multiple of 4 bytes up to 40, or the
 * header does not fit.
 */
export function emitIpv4(header: Ipv4Header, into: Uint8Array, offset = 0): number {
  const length = ipv4HeaderLength(header);
  if (header.options.length % 4 !== 0 || length > IPV4_MAX_HEADER_LENGTH) {
    throw new RangeError(
      `Cannot emit IPv4 options of ${header.options.length} bytes: need a multiple of 4 up to 40`,
    );
  }
  if (offset < 0 || offset + length > into.length) {
    throw new RangeError(
      `Cannot emit a ${length}-byte IPv4 header at offset ${offset}: buffer is ${into.length} bytes`,
    );
  }
  const bytes = into.subarray(offset, offset + length);
  const packet = Ipv4Packet.unchecked(bytes);
  packet.setVersionAndHeaderLength(4, length);
  bytes[1] = ((header.dscp & 0x3f) << 2) | (header.ecn & 3);
  packet.setTotalLength(header.totalLength);
  packet.setIdentification(header.identification);
  bytes[6] = header.reservedFlag ? 0x80 : 0;
  packet.setFragment(header.dontFragment, header.moreFragments, header.fragmentOffset);
  packet.setTimeToLive(header.timeToLive);
  packet.setProtocol(header.protocol);
  packet.setSourceAddress(header.sourceAddress);
  packet.setDestinationAddress(header.destinationAddress);
  bytes.set(header.options, IPV4_MIN_HEADER_LENGTH);
  packet.fillChecksum();
  return length;
}

/**
 * Walks raw option bytes into a list. End of Options stops the walk (what
 * follows is padding); No Operation is listed with empty data; every other
 * option needs a length octet of at least 2 that stays inside the bytes, else
 * `bad-option`.
 */
export function walkIpv4Options(options: Uint8Array): Decoded<Ipv4Option[]> {
  const list: Ipv4Option[] = [];
  let at = 0;
  while (at < options.length) {
    const type = options[at] as number;
    if (type === Ipv4OptionType.EndOfOptions) break;
    if (type === Ipv4OptionType.NoOperation) {
      list.push({ type, data: options.subarray(at + 1, at + 1) });
      at += 1;
      continue;
    }
    const length = options[at + 1];
    if (length === undefined || length < 2 || at + length > options.length) {
      return decodeFailed(
        'bad-option',
        `IPv4 option ${type} at offset ${at} has a bad length: ${length ?? 'missing'}`,
        at,
      );
    }
    list.push({ type, data: options.subarray(at + 2, at + length) });
    at += length;
  }
  return decoded(list);
}

// --- Address helpers -----------------------------------------------------

/** Parses a dotted quad ("192.0.2.1") into a uint32; undefined if it is not one. */
export function parseIpv4Address(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    // Decimal only, no leading zeros: "010" is octal to some parsers, so refuse it.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

/** Formats a uint32 address, or 4 bytes at `offset`, as a dotted quad. */
export function formatIpv4Address(address: number | Uint8Array, offset = 0): string {
  const value = typeof address === 'number' ? address >>> 0 : ipv4AddressFromBytes(address, offset);
  return `${value >>> 24}.${(value >>> 16) & 0xff}.${(value >>> 8) & 0xff}.${value & 0xff}`;
}

/** Reads 4 bytes at `offset` as a uint32 address (missing bytes read as zero). */
export function ipv4AddressFromBytes(bytes: Uint8Array, offset = 0): number {
  return (
    (((bytes[offset] ?? 0) << 24) |
      ((bytes[offset + 1] ?? 0) << 16) |
      ((bytes[offset + 2] ?? 0) << 8) |
      (bytes[offset + 3] ?? 0)) >>>
    0
  );
}

/** A new 4-byte array holding a uint32 address. */
export function ipv4AddressToBytes(address: number): Uint8Array<ArrayBuffer> {
  const value = address >>> 0;
  return new Uint8Array([value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff]);
}

/** 255.255.255.255, the limited broadcast address. */
export const IPV4_BROADCAST = 0xffffffff;

/** Whether a uint32 address is multicast (224.0.0.0/4). */
export function isIpv4Multicast(address: number): boolean {
  return address >>> 28 === 0xe;
}

/** The Ethernet address of an IPv4 multicast address (RFC 1112 §6.4): 01:00:5e + its low 23 bits. */
export function ipv4MulticastMac(address: number): Uint8Array<ArrayBuffer> {
  return Uint8Array.of(
    0x01,
    0x00,
    0x5e,
    (address >>> 16) & 0x7f,
    (address >>> 8) & 0xff,
    address & 0xff,
  );
}
