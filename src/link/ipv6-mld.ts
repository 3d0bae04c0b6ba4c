/**
 * MLDv2 (RFC 3810) for the solicited-node groups the IPv6 binding joins, so
 * switches that snoop MLD forward Neighbor Solicitations to netrx. A group
 * joined sends a state-change report (CHANGE_TO_EXCLUDE, no sources), a group
 * left sends CHANGE_TO_INCLUDE with no sources; a General Query is answered
 * with MODE_IS_EXCLUDE for every group, a Group-Specific Query for one of
 * ours with that group. Reports go to ff02::16 with hop limit 1 and a Router
 * Alert option, from the link-local address, or `::` before it is usable
 * (RFC 3810 §5.2.13). Two simplifications, as cores have no randomness:
 * queries are answered at once rather than after a random delay, and a
 * state change is reported once rather than Robustness Variable times. The
 * all-nodes group is never reported (RFC 3810 §6). Queries must come from a
 * link-local source with hop limit 1 (§5.1.14); MLDv1 queries (24 bytes) are
 * not answered (no MLDv1 compatibility mode).
 */
import { allocFromSlab as allocFrame } from '../bytes/index.js';
import {
  Icmpv6Packet,
  Icmpv6Type,
  ipv6MulticastMac,
  isIpv6Unspecified,
  type Ipv6Packet,
} from '../wire/index.js';
import { putU16 } from './frame-write.js';
import type { Indication } from './indication.js';
import { equalAt, isLinkLocalAt } from './ipv6-address.js';
import { NEXT_HEADER_ICMPV6, writeIpv6Frame, type Ipv6Host } from './ipv6-host.js';

/** Multicast address record types (RFC 3810 §5.2.12). */
export const MldRecord = { ModeIsExclude: 2, ChangeToInclude: 3, ChangeToExclude: 4 } as const;

/** ff02::16, all MLDv2-capable routers. */
const ALL_MLD_ROUTERS = Uint8Array.of(0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x16);
/** Hop-by-Hop header: next header ICMPv6, Router Alert (MLD, RFC 2711), PadN. */
const ROUTER_ALERT = Uint8Array.of(NEXT_HEADER_ICMPV6, 0, 5, 2, 0, 0, 1, 0);
const MLD_QUERY_V2_LENGTH = 28;

/** Sends one MLDv2 report with a record of `type` for each of `groups`. */
export function sendMldReport(
  host: Ipv6Host,
  type: number,
  groups: readonly Uint8Array[],
  source: Uint8Array,
): void {
  if (groups.length === 0) return;
  const length = 8 + 20 * groups.length;
  const frame = allocFrame(host.linkHeader + 40 + 8 + length);
  const at = writeIpv6Frame(
    host,
    frame,
    ipv6MulticastMac(ALL_MLD_ROUTERS),
    undefined,
    8 + length,
    0, // Hop-by-Hop first
    1,
    source,
    ALL_MLD_ROUTERS,
  );
  frame.set(ROUTER_ALERT, at + 40);
  const icmp = Icmpv6Packet.unchecked(frame.subarray(at + 48, at + 48 + length));
  icmp.setType(Icmpv6Type.MulticastListenerReportV2);
  putU16(icmp.bytes, 6, groups.length);
  let record = 8;
  for (const group of groups) {
    icmp.bytes[record] = type; // aux data length and number of sources stay 0
    icmp.bytes.set(group, record + 4);
    record += 20;
  }
  icmp.fillChecksum(source, ALL_MLD_ROUTERS);
  host.counters.mldReports++;
  host.send(frame);
}

/** A Multicast Listener Query (accepted, checksum verified): answered with a report as the file comment says. */
export function receiveMldQuery(
  host: Ipv6Host,
  ind: Indication,
  ip: Ipv6Packet,
  icmp: Icmpv6Packet,
  groups: readonly Uint8Array[],
  source: Uint8Array,
): 'accepted' | 'not-accepted' {
  host.counters.mldQueries++;
  if (ip.hopLimit !== 1 || !isLinkLocalAt(ip.sourceAddress)) {
    return host.drop('bad-mld', ind.packetSize);
  }
  if (icmp.bytes.length < MLD_QUERY_V2_LENGTH) return 'accepted'; // MLDv1: not answered
  const asked = icmp.bytes.subarray(8, 24);
  if (isIpv6Unspecified(asked)) {
    sendMldReport(host, MldRecord.ModeIsExclude, groups, source);
    return 'accepted';
  }
  const ours = groups.find((group) => equalAt(asked, 0, group));
  if (ours !== undefined) sendMldReport(host, MldRecord.ModeIsExclude, [ours], source);
  return 'accepted';
}
