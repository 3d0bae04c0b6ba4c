/**
 * What the parts of the IPv4 binding (ICMP here; the binding keeps UDP and
 * the demultiplexer) see of it, and ICMP itself (RFC 792): echo replies
 * (one buffer: our link header, a fresh 20-byte IP header, the message
 * copied once and its checksum updated, RFC 1624; fragmented past the MTU)
 * and the errors the binding sends, under the rules of RFC 1122 §3.2.2.
 */
import { allocFromSlab as allocFrame } from '../bytes/index.js';
import {
  foldChecksum,
  Icmpv4Packet,
  sumBytes,
  updateChecksum,
  type Ipv4Packet,
} from '../wire/index.js';
import { readU16, readU32 } from '../wire/big-endian.js';
import { putU16 } from './frame-write.js';
import type { Indication } from './indication.js';
import { fragmentIpv4 } from './ipv4-fragments.js';
import { writeLinkHeader, writeReplyHeader } from './link-header.js';

export const ETHERTYPE_IPV4 = 0x0800;

const IPV4_DROP_REASONS = [
  'truncated',
  'bad-version',
  'bad-header-length',
  'bad-length',
  'bad-checksum',
  'bad-source',
  'source-routed',
  'not-for-us',
  'other-vlan',
  'bad-fragment',
  'fragment-overlap',
  'fragment-too-large',
  'fragment-too-many',
  'fragment-discarded',
  'reassembly-full',
  'bad-icmp',
  'bad-icmp-checksum',
  'bad-udp',
  'bad-udp-checksum',
  'no-socket',
  'socket-queue-full',
  'unknown-protocol',
  'icmp-rate-limited',
] as const;

/** Why the IPv4 binding dropped a datagram (`stats().drops`). */
export type Ipv4DropReason = (typeof IPV4_DROP_REASONS)[number];
export { IPV4_DROP_REASONS };

export const NOT_OURS = 0;
export const UNICAST = 1;
export const BROADCAST = 2;

export const PROTOCOL_ICMP = 1;
export const PROTOCOL_UDP = 17;
const ICMP_ECHO_REPLY = 0;
export const ICMP_UNREACHABLE = 3;
const ICMP_TIME_EXCEEDED = 11;
/** Time Exceeded code 1: fragment reassembly time exceeded (RFC 792). */
const REASSEMBLY_TIME_EXCEEDED = 1;
const ICMP_ECHO_REQUEST = 8;

/** Counters the parts update (`stats()` copies them). */
export interface Ipv4Counters {
  received: number;
  delivered: number;
  echoRequests: number;
  echoReplies: number;
  icmpErrorsSent: number;
  icmpOther: number;
  sent: number;
  fragmented: number;
  fragmentsSent: number;
  local: number;
}

export interface Ipv4Host {
  readonly mac: Uint8Array;
  /** The binding's VLAN id, or -1 (untagged). */
  readonly vlan: number;
  readonly linkHeader: number;
  readonly mtu: number;
  readonly counters: Ipv4Counters;
  drop(reason: Ipv4DropReason, length: number): 'not-accepted';
  /** Link-level rules and the rate limit for an ICMP error about `ind`. */
  mayReportError(ind: Indication): boolean;
  /** The rate limit for an ICMP error sent with no frame being indicated (a reassembly timeout). */
  mayReportLater(): boolean;
  /** A 20-byte IPv4 header at `into[at..]` with the binding's TTL and identification. */
  writeIpHeader(
    into: Uint8Array,
    at: number,
    totalLength: number,
    protocol: number,
    tos: number,
    source: number,
    destination: number,
  ): void;
  /** Hands a whole frame to the adapter. */
  transmit(frame: Uint8Array): void;
}

/** An ICMP message in the datagram `ip` (accepted as `kind`): echo answered, others counted. */
export function receiveIcmp(
  host: Ipv4Host,
  ind: Indication,
  ip: Ipv4Packet,
  kind: number,
): 'accepted' | 'not-accepted' {
  // Read and written at the RFC 792 offsets inside the datagram's own bytes:
  // no payload subarray and no message views per echo (bench/link-replies).
  const bytes = ip.bytes;
  const start = ip.headerLength;
  const end = ip.totalLength;
  const length = end - start;
  if (length < 8) return host.drop('bad-icmp', ind.packetSize);
  if (foldChecksum(sumBytes(bytes, start, end)) !== 0xffff) {
    return host.drop('bad-icmp-checksum', ind.packetSize);
  }
  if (bytes[start + ICMP_TYPE] !== ICMP_ECHO_REQUEST) {
    host.counters.icmpOther++;
    return 'accepted';
  }
  host.counters.echoRequests++;
  if (kind !== UNICAST) return 'accepted';
  // One buffer: the reply. Our link header, a fresh 20-byte IP header, the
  // ICMP message copied once, type 8 → 0 with the checksum updated (RFC 1624)
  // rather than summed again over the payload.
  const reply = allocFrame(host.linkHeader + 20 + length);
  const at = writeReplyHeader(ind, reply, host.mac, host.vlan, ETHERTYPE_IPV4);
  host.writeIpHeader(
    reply,
    at,
    20 + length,
    PROTOCOL_ICMP,
    bytes[1] as number,
    readU32(bytes, 16),
    readU32(bytes, 12),
  );
  const icmp = at + 20;
  // Deliberate copy: the echo data goes into the reply being built. A byte
  // loop for the usual ping sizes (a subarray per reply costs more than it
  // saves); `set` past that.
  if (length <= SMALL_COPY) {
    for (let i = 0; i < length; i++) reply[icmp + i] = bytes[start + i] as number;
  } else {
    reply.set(bytes.subarray(start, end), icmp);
  }
  const code = reply[icmp + ICMP_CODE] as number;
  reply[icmp + ICMP_TYPE] = ICMP_ECHO_REPLY;
  putU16(
    reply,
    icmp + ICMP_CHECKSUM,
    updateChecksum(
      readU16(reply, icmp + ICMP_CHECKSUM),
      (ICMP_ECHO_REQUEST << 8) | code,
      (ICMP_ECHO_REPLY << 8) | code,
    ),
  );
  host.counters.echoReplies++;
  sendReply(host, reply, at);
  return 'accepted';
}

/** Offsets in an ICMP message (RFC 792). */
const ICMP_TYPE = 0;
const ICMP_CODE = 1;
const ICMP_CHECKSUM = 2;
/** Echo messages up to this size are copied byte by byte (see `receiveIcmp`). */
const SMALL_COPY = 256;

/** Sends a reply whose IP datagram starts at `reply[at]`, in fragments if it exceeds the MTU. */
function sendReply(host: Ipv4Host, reply: Uint8Array, at: number): void {
  if (reply.length - at <= host.mtu) {
    host.counters.sent++;
    host.transmit(reply);
    return;
  }
  const sender = reply.subarray(0, 6);
  const fragments = fragmentIpv4(reply.subarray(at), host.mtu, at, (fragment) =>
    writeLinkHeader(fragment, sender, host.mac, host.vlan, ETHERTYPE_IPV4),
  );
  host.counters.fragmented++;
  for (const fragment of fragments) {
    host.counters.sent++;
    host.counters.fragmentsSent++;
    host.transmit(fragment);
  }
}

/** An ICMP error quoting the datagram (RFC 792; at most 576 bytes, RFC 1812 §4.3.2.3). */
export function sendIcmpError(
  host: Ipv4Host,
  ind: Indication,
  ip: Ipv4Packet,
  type: number,
  code: number,
): void {
  // RFC 1122 §3.2.2 forbids errors about an ICMP error, a fragment other
  // than the first, or a datagram whose source names no single host. None
  // can reach here, so nothing is checked again: the callers are UDP's
  // no-socket and the unknown protocol (never ICMP), for a whole datagram
  // (fragments are held by reassembly and arrive joined, offset 0) whose
  // source the binding vetted (`isForbiddenSource`, own addresses) before
  // accepting it. The link-level rules and the rate limit remain.
  if (!host.mayReportError(ind)) return;
  const quoted = Math.min(ip.totalLength, 576 - 28);
  const reply = allocFrame(host.linkHeader + 28 + quoted);
  const at = writeReplyHeader(ind, reply, host.mac, host.vlan, ETHERTYPE_IPV4);
  host.writeIpHeader(
    reply,
    at,
    28 + quoted,
    PROTOCOL_ICMP,
    0,
    ip.destinationAddress,
    ip.sourceAddress,
  );
  const icmp = Icmpv4Packet.unchecked(reply.subarray(at + 20));
  icmp.setType(type);
  icmp.setCode(code);
  icmp.bytes.set(ip.bytes.subarray(0, quoted), 8);
  icmp.fillChecksum();
  host.counters.icmpErrorsSent++;
  host.counters.sent++;
  host.transmit(reply);
}

/** ICMP error types (RFC 792): unreachable, source quench, redirect, time exceeded, parameter problem. */
const ICMP_ERROR_TYPES = new Set([3, 4, 5, 11, 12]);

/**
 * Whether `payload`, the data of a datagram (or of its first fragment) of
 * `protocol`, is an ICMP error message: RFC 1122 §3.2.2 forbids answering
 * one with an error, the reassembly Time Exceeded included.
 */
export function carriesIcmpError(protocol: number, payload: Uint8Array): boolean {
  return (
    protocol === PROTOCOL_ICMP && payload.length > 0 && ICMP_ERROR_TYPES.has(payload[0] as number)
  );
}

/**
 * ICMP Time Exceeded code 1 (RFC 792, RFC 1122 §3.3.2) for a datagram whose
 * reassembly timed out: to `senderMac` (the first fragment's link sender),
 * quoting the first fragment (`header` and the start of its `payload`).
 * The binding kept the fragment's context only when an error about it is
 * allowed (a unicast datagram to us, link-directed, from a source we may
 * answer, not carrying an ICMP error: `carriesIcmpError`); the rate limit
 * is checked here.
 */
export function sendTimeExceeded(
  host: Ipv4Host,
  senderMac: Uint8Array,
  header: Uint8Array,
  payload: Uint8Array,
): void {
  const source = readU32(header, 12);
  // No martian-source check: martian sources are dropped before reassembly
  // (as sendIcmpError relies on too), so no such datagram gets here.
  if (!host.mayReportLater()) return;
  const quotedPayload = Math.min(payload.length, 576 - 28 - header.length);
  const quoted = header.length + quotedPayload;
  const reply = allocFrame(host.linkHeader + 28 + quoted);
  const at = writeLinkHeader(reply, senderMac, host.mac, host.vlan, ETHERTYPE_IPV4);
  host.writeIpHeader(reply, at, 28 + quoted, PROTOCOL_ICMP, 0, readU32(header, 16), source);
  const icmp = Icmpv4Packet.unchecked(reply.subarray(at + 20));
  icmp.setType(ICMP_TIME_EXCEEDED);
  icmp.setCode(REASSEMBLY_TIME_EXCEEDED);
  icmp.bytes.set(header, 8);
  icmp.bytes.set(payload.subarray(0, quotedPayload), 8 + header.length);
  icmp.fillChecksum();
  host.counters.icmpErrorsSent++;
  host.counters.sent++;
  host.transmit(reply);
}

/**
 * Sources RFC 1122 §3.2.1.3 says a host must drop: 0/8 ("this host on this
 * network", valid as a source only while a host learns its address: netrx
 * runs no DHCP server; RFC 1122 §3.2.1.3 (a) and (b), Linux drops the whole
 * /8 as a martian source), 127/8
 * (loopback never appears on a wire), 224/4 (multicast) and 240/4 (reserved,
 * 255.255.255.255 included). Own subnet broadcasts and own addresses are
 * checked by the binding.
 */
export function isForbiddenSource(source: number): boolean {
  const first = source >>> 24;
  return first === 0 || first === 127 || source >>> 28 >= 0xe;
}
