/**
 * The filters of MSFT_NetEventPacketCaptureProvider, as a session hands them
 * to the packet-capture provider in its filter data: EtherType, IPAddresses,
 * IPProtocols and LinkLayerAddress lists (values in one list ORed, lists
 * ANDed, an absent or empty list matches everything) and TruncationLength
 * (default 128, minimum 14, 0 = whole frames). Filter data comes from a
 * remote session's configuration, so compiling never throws: a malformed
 * filter compiles to one that matches nothing, with the reason.
 *
 * Matching reads the frame in place, allocation-free: the EtherType after up
 * to two VLAN tags; for IPv4 the protocol and both addresses; for IPv6 the
 * Next Header field of the fixed header (extension headers are not walked)
 * and both addresses; MACs from the Ethernet header.
 */
import { parseIpv4Address, parseIpv6Address, parseMac } from '../wire/index.js';

export interface PacketCaptureFilter {
  readonly etherTypes?: readonly number[];
  /** IPv4 or IPv6 addresses in text form; a frame matches when its source or destination is one. */
  readonly ipAddresses?: readonly string[];
  readonly ipProtocols?: readonly number[];
  /** MACs (`aa:bb:cc:dd:ee:ff` or with `-`); a frame matches when its source or destination is one. */
  readonly linkLayerAddresses?: readonly string[];
  /** Bytes of each frame kept. Default 128; 0 keeps whole frames; otherwise at least 14. */
  readonly truncationLength?: number;
}

export const DEFAULT_TRUNCATION_LENGTH = 128;
export const MIN_TRUNCATION_LENGTH = 14;

export interface CompiledPacketFilter {
  /** 0 = whole frames. */
  readonly truncationLength: number;
  /** Set when the filter data was malformed: the filter matches nothing. */
  readonly invalid: string | undefined;
  matches(frame: Uint8Array): boolean;
}

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;

export function compilePacketFilter(data: unknown): CompiledPacketFilter {
  const refuse = (invalid: string): CompiledPacketFilter => ({
    truncationLength: DEFAULT_TRUNCATION_LENGTH,
    invalid,
    matches: () => false,
  });
  if (data !== undefined && (typeof data !== 'object' || data === null)) {
    return refuse('filter data is not an object');
  }
  const filter = (data ?? {}) as Record<string, unknown>;
  const numbers = (key: string, max: number): number[] | string => {
    const value = filter[key];
    if (value === undefined) return [];
    if (!Array.isArray(value)) return `${key} is not a list`;
    for (const n of value) {
      if (!Number.isInteger(n) || (n as number) < 0 || (n as number) > max) {
        return `${key} holds ${JSON.stringify(n)}, not an integer from 0 to ${max}`;
      }
    }
    return value as number[];
  };
  const strings = (key: string): string[] | string => {
    const value = filter[key];
    if (value === undefined) return [];
    if (!Array.isArray(value) || value.some((s) => typeof s !== 'string')) {
      return `${key} is not a list of strings`;
    }
    return value as string[];
  };
  const etherTypes = numbers('etherTypes', 0xffff);
  const ipProtocols = numbers('ipProtocols', 0xff);
  const ipTexts = strings('ipAddresses');
  const macTexts = strings('linkLayerAddresses');
  for (const list of [etherTypes, ipProtocols, ipTexts, macTexts]) {
    if (typeof list === 'string') return refuse(list);
  }
  const truncation = filter['truncationLength'] ?? DEFAULT_TRUNCATION_LENGTH;
  if (
    !Number.isInteger(truncation) ||
    (truncation as number) < 0 ||
    (truncation as number) > 0xffff ||
    ((truncation as number) > 0 && (truncation as number) < MIN_TRUNCATION_LENGTH)
  ) {
    return refuse(`truncationLength ${JSON.stringify(truncation)} is not 0 or 14 to 65535`);
  }
  const v4: number[] = [];
  const v6: Uint8Array[] = [];
  for (const text of ipTexts as string[]) {
    const a4 = parseIpv4Address(text);
    if (a4 !== undefined) {
      v4.push(a4 >>> 0);
      continue;
    }
    const a6 = parseIpv6Address(text);
    if (a6 === undefined)
      return refuse(`ipAddresses holds ${JSON.stringify(text)}, not an IP address`);
    v6.push(a6);
  }
  const macs: Uint8Array[] = [];
  for (const text of macTexts as string[]) {
    const mac = parseMac(text);
    if (mac === undefined)
      return refuse(`linkLayerAddresses holds ${JSON.stringify(text)}, not a MAC`);
    macs.push(mac);
  }
  const etherTypeSet = new Set(etherTypes as number[]);
  const protocolSet = new Set(ipProtocols as number[]);
  const wantIp = v4.length + v6.length > 0;
  return {
    truncationLength: truncation as number,
    invalid: undefined,
    matches(frame: Uint8Array): boolean {
      if (frame.length < 14)
        return etherTypeSet.size === 0 && !wantIp && protocolSet.size === 0 && macs.length === 0;
      if (macs.length > 0 && !macs.some((m) => sameBytes(frame, 0, m) || sameBytes(frame, 6, m))) {
        return false;
      }
      let at = 12;
      let etherType = u16(frame, at);
      for (let tags = 0; tags < 2 && (etherType === 0x8100 || etherType === 0x88a8); tags++) {
        at += 4;
        if (frame.length < at + 2) return false;
        etherType = u16(frame, at);
      }
      if (etherTypeSet.size > 0 && !etherTypeSet.has(etherType)) return false;
      if (!wantIp && protocolSet.size === 0) return true;
      const ip = at + 2;
      if (etherType === ETHERTYPE_IPV4 && frame.length >= ip + 20) {
        if (protocolSet.size > 0 && !protocolSet.has(frame[ip + 9] as number)) return false;
        if (!wantIp) return true;
        const source = u32(frame, ip + 12);
        const destination = u32(frame, ip + 16);
        return v4.some((a) => a === source || a === destination);
      }
      if (etherType === ETHERTYPE_IPV6 && frame.length >= ip + 40) {
        if (protocolSet.size > 0 && !protocolSet.has(frame[ip + 6] as number)) return false;
        if (!wantIp) return true;
        return v6.some((a) => sameBytes(frame, ip + 8, a) || sameBytes(frame, ip + 24, a));
      }
      // Not IP (or too short to be): an IP filter cannot match it.
      return false;
    },
  };
}

function u16(bytes: Uint8Array, at: number): number {
  return ((bytes[at] as number) << 8) | (bytes[at + 1] as number);
}

function u32(bytes: Uint8Array, at: number): number {
  return (
    (((bytes[at] as number) << 24) |
      ((bytes[at + 1] as number) << 16) |
      ((bytes[at + 2] as number) << 8) |
      (bytes[at + 3] as number)) >>>
    0
  );
}

function sameBytes(bytes: Uint8Array, at: number, want: Uint8Array): boolean {
  for (let i = 0; i < want.length; i++) if (bytes[at + i] !== want[i]) return false;
  return true;
}
