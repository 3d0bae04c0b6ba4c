/**
 * Ethernet II frames (IEEE 802.3 §3.2, the DIX layout) with up to two VLAN
 * tags: an IEEE 802.1Q customer tag (TPID 0x8100) and, outside it, an
 * 802.1ad service tag (TPID 0x88a8, "QinQ"). A TPID of 0x8100 is also accepted
 * in the outer position, as many switches still send it.
 *
 * The frame check sequence is not part of the view: adapters strip it. Nor is
 * padding handled here: an Ethernet frame shorter than 60 bytes is padded by
 * the sender, and only the payload's own length field (IPv4 total length, ARP's
 * fixed size, EAPOL body length) says where the payload ends. The EtherType is
 * kept as a number; a value below 0x0600 is an 802.3 length, not a type, and is
 * preserved as well.
 */
import { decodeFailed, decoded, type Decoded } from './result.js';
import { readU16, writeU16 } from './big-endian.js';
import { ANCHOR_BYTES, keepShape } from './view-shapes.js';

/** Well-known EtherTypes (IEEE registry). Unknown values stay plain numbers. */
export const EtherType = {
  Ipv4: 0x0800,
  Arp: 0x0806,
  WakeOnLan: 0x0842,
  Rarp: 0x8035,
  Vlan: 0x8100,
  Ipv6: 0x86dd,
  Eapol: 0x888e,
  QinQ: 0x88a8,
  Lldp: 0x88cc,
  MacSec: 0x88e5,
} as const;
export type EtherType = (typeof EtherType)[keyof typeof EtherType];

/** Ethernet II header without tags: destination, source, EtherType. */
export const ETHERNET_HEADER_LENGTH = 14;
/** Bytes one VLAN tag adds (TPID + TCI). */
export const VLAN_TAG_LENGTH = 4;
/** How many VLAN tags a frame may carry here: an 802.1ad outer tag and an 802.1Q inner tag. */
export const MAX_VLAN_TAGS = 2;
/** The broadcast address, for printing and comparing. */
export const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff';

/** One VLAN tag (IEEE 802.1Q §9.6): tag protocol id and the tag control information. */
export interface VlanTag {
  /** 0x8100 (C-tag) or 0x88a8 (S-tag). */
  readonly tpid: number;
  /** Priority code point, 0..7. */
  readonly pcp: number;
  /** Drop eligible indicator. */
  readonly dei: boolean;
  /** VLAN identifier, 0..4095 (0 = priority tag only, 4095 reserved). */
  readonly vid: number;
}

/** An Ethernet II header as a plain value. Addresses are 6-byte views into the input. */
export interface EthernetHeader {
  readonly destination: Uint8Array;
  readonly source: Uint8Array;
  /** Outermost first. Empty for an untagged frame. */
  readonly vlanTags: readonly VlanTag[];
  /** The EtherType after the last tag (or the 802.3 length when below 0x0600). */
  readonly etherType: number;
}

function isTpid(value: number): boolean {
  return value === 0x8100 || value === 0x88a8;
}

/**
 * A view of an Ethernet II frame. `checked` makes sure the whole header,
 * tags included, is present; after that no getter can read out of bounds.
 */
export class EthernetFrame {
  readonly bytes: Uint8Array;

  private constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  // One view kept alive so the hidden class (and code built on it) survives full GCs: view-shapes.ts.
  static {
    keepShape(new EthernetFrame(ANCHOR_BYTES));
  }

  /** Trusts the caller that `bytes` holds a whole header (as after `checked`, or when building). */
  static unchecked(bytes: Uint8Array): EthernetFrame {
    return new EthernetFrame(bytes);
  }

  /** Fails with `truncated` unless `bytes` holds the whole header, tags included. */
  static checked(bytes: Uint8Array): Decoded<EthernetFrame> {
    if (bytes.length < ETHERNET_HEADER_LENGTH) {
      return decodeFailed(
        'truncated',
        `Ethernet frame of ${bytes.length} bytes is shorter than the 14-byte header`,
        bytes.length,
      );
    }
    const frame = new EthernetFrame(bytes);
    if (frame.headerLength > bytes.length) {
      return decodeFailed(
        'truncated',
        `Ethernet frame of ${bytes.length} bytes ends inside its VLAN tags`,
        bytes.length,
      );
    }
    return decoded(frame);
  }

  /** The destination address, a 6-byte view. */
  get destination(): Uint8Array {
    return this.bytes.subarray(0, 6);
  }
  /** The source address, a 6-byte view. */
  get source(): Uint8Array {
    return this.bytes.subarray(6, 12);
  }
  /** Whether the destination is ff:ff:ff:ff:ff:ff. Does not allocate. */
  get isBroadcast(): boolean {
    return isBroadcastMac(this.bytes, 0);
  }
  /** Whether the destination is a group address (I/G bit set), broadcast included. */
  get isMulticast(): boolean {
    return ((this.bytes[0] as number) & 1) === 1;
  }
  /** Whether the destination equals `mac` (6 bytes). Does not allocate. */
  destinationIs(mac: Uint8Array): boolean {
    return macEquals(this.bytes, 0, mac);
  }

  /**
   * How many VLAN tags precede the EtherType (0..2). A frame that ends inside
   * a tag still counts it, so `checked` can see that the header is cut short.
   */
  get vlanCount(): number {
    if (this.bytes.length < 14 || !isTpid(readU16(this.bytes, 12))) return 0;
    if (this.bytes.length < 18 || !isTpid(readU16(this.bytes, 16))) return 1;
    return 2;
  }
  /** Header length: 14 plus 4 per VLAN tag. */
  get headerLength(): number {
    return ETHERNET_HEADER_LENGTH + VLAN_TAG_LENGTH * this.vlanCount;
  }
  /** The TPID of tag `index` (0 = outermost). */
  vlanTpid(index: number): number {
    return readU16(this.bytes, 12 + 4 * index);
  }
  /** The VLAN id of tag `index` (0 = outermost). */
  vlanId(index: number): number {
    return readU16(this.bytes, 14 + 4 * index) & 0x0fff;
  }
  /** The priority code point of tag `index`. */
  vlanPriority(index: number): number {
    return (this.bytes[14 + 4 * index] as number) >> 5;
  }
  /** The drop eligible indicator of tag `index`. */
  vlanDei(index: number): boolean {
    return (((this.bytes[14 + 4 * index] as number) >> 4) & 1) === 1;
  }
  /** The EtherType after the tags: what the payload is. */
  get etherType(): number {
    return readU16(this.bytes, 12 + 4 * this.vlanCount);
  }
  /** Everything after the header, padding included (a view). */
  get payload(): Uint8Array {
    return this.bytes.subarray(this.headerLength);
  }

  setDestination(mac: Uint8Array): void {
    this.bytes.set(mac.subarray(0, 6), 0);
  }
  setSource(mac: Uint8Array): void {
    this.bytes.set(mac.subarray(0, 6), 6);
  }
  /** Sets the EtherType after the tags that are present. */
  setEtherType(value: number): void {
    writeU16(this.bytes, 12 + 4 * this.vlanCount, value);
  }
  /** Rewrites the tag control information of tag `index`, which must exist. */
  setVlan(index: number, tag: Omit<VlanTag, 'tpid'>): void {
    writeU16(this.bytes, 14 + 4 * index, tci(tag));
  }
}

function tci(tag: Omit<VlanTag, 'tpid'>): number {
  return ((tag.pcp & 7) << 13) | ((tag.dei ? 1 : 0) << 12) | (tag.vid & 0x0fff);
}

/** Header length for `header`: 14 plus 4 per tag. */
export function ethernetHeaderLength(header: EthernetHeader): number {
  return ETHERNET_HEADER_LENGTH + VLAN_TAG_LENGTH * header.vlanTags.length;
}

/** Parses an Ethernet II header; `payload` is everything after it, padding included. */
export function parseEthernet(
  bytes: Uint8Array,
): Decoded<{ header: EthernetHeader; payload: Uint8Array }> {
  const result = EthernetFrame.checked(bytes);
  if (!result.ok) return result;
  const frame = result.value;
  const count = frame.vlanCount;
  const vlanTags: VlanTag[] = [];
  for (let i = 0; i < count; i++) {
    vlanTags.push({
      tpid: frame.vlanTpid(i),
      pcp: frame.vlanPriority(i),
      dei: frame.vlanDei(i),
      vid: frame.vlanId(i),
    });
  }
  return decoded({
    header: {
      destination: frame.destination,
      source: frame.source,
      vlanTags,
      etherType: frame.etherType,
    },
    payload: frame.payload,
  });
}

/**
 * Writes `header` into `into` at `offset` and returns the bytes written.
 * Throws `RangeError` if it does not fit, if an address is not 6 bytes, or if
 * there are more than two tags.
 */
export function emitEthernet(header: EthernetHeader, into: Uint8Array, offset = 0): number {
  const length = ethernetHeaderLength(header);
  if (header.destination.length !== 6 || header.source.length !== 6) {
    throw new RangeError('Cannot emit an Ethernet header: addresses must be 6 bytes');
  }
  if (header.vlanTags.length > MAX_VLAN_TAGS) {
    throw new RangeError(
      `Cannot emit an Ethernet header: at most ${MAX_VLAN_TAGS} VLAN tags: got ${header.vlanTags.length}`,
    );
  }
  if (offset < 0 || offset + length > into.length) {
    throw new RangeError(
      `Cannot emit a ${length}-byte Ethernet header at offset ${offset}: buffer is ${into.length} bytes`,
    );
  }
  const view = new DataView(into.buffer, into.byteOffset, into.byteLength);
  into.set(header.destination, offset);
  into.set(header.source, offset + 6);
  let at = offset + 12;
  for (const tag of header.vlanTags) {
    view.setUint16(at, tag.tpid);
    view.setUint16(at + 2, tci(tag));
    at += 4;
  }
  view.setUint16(at, header.etherType);
  return length;
}

// --- MAC address helpers -------------------------------------------------

/** Parses "aa:bb:cc:dd:ee:ff" (or with `-`); returns undefined for anything else. */
export function parseMac(text: string): Uint8Array<ArrayBuffer> | undefined {
  const parts = text.split(/[:-]/);
  if (parts.length !== 6) return undefined;
  const out = new Uint8Array(6);
  for (let i = 0; i < 6; i++) {
    const part = parts[i] as string;
    if (!/^[0-9a-fA-F]{1,2}$/.test(part)) return undefined;
    out[i] = parseInt(part, 16);
  }
  return out;
}

/** Formats 6 bytes at `offset` as lower-case "aa:bb:cc:dd:ee:ff". */
export function formatMac(bytes: Uint8Array, offset = 0): string {
  let out = '';
  for (let i = 0; i < 6; i++) {
    if (i > 0) out += ':';
    out += (bytes[offset + i] ?? 0).toString(16).padStart(2, '0');
  }
  return out;
}

/** Whether the 6 bytes at `offset` are ff:ff:ff:ff:ff:ff. */
export function isBroadcastMac(bytes: Uint8Array, offset = 0): boolean {
  for (let i = 0; i < 6; i++) if (bytes[offset + i] !== 0xff) return false;
  return true;
}

/** Whether the address at `offset` is a group address (I/G bit, IEEE 802 §8.2), broadcast included. */
export function isMulticastMac(bytes: Uint8Array, offset = 0): boolean {
  return ((bytes[offset] ?? 0) & 1) === 1;
}

/** Whether the address at `offset` is locally administered (U/L bit). */
export function isLocalMac(bytes: Uint8Array, offset = 0): boolean {
  return ((bytes[offset] ?? 0) & 2) === 2;
}

/** Whether the 6 bytes of `bytes` at `offset` equal `mac`. Does not allocate. */
export function macEquals(bytes: Uint8Array, offset: number, mac: Uint8Array): boolean {
  if (mac.length !== 6 || offset + 6 > bytes.length) return false;
  for (let i = 0; i < 6; i++) if (bytes[offset + i] !== mac[i]) return false;
  return true;
}
