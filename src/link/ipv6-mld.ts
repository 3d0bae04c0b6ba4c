/**
 * MLD (RFC 3810, and RFC 2710 for compatibility) for the solicited-node
 * groups the IPv6 binding joins, so switches that snoop MLD forward Neighbor
 * Solicitations to netrx.
 *
 * MLDv2 (the default): a group joined sends a state-change report
 * (CHANGE_TO_EXCLUDE, no sources), a group left sends CHANGE_TO_INCLUDE with
 * no sources. A General Query is answered with MODE_IS_EXCLUDE for every
 * group, a Group-Specific Query for one of ours with that group, each after
 * a random delay in [0, Maximum Response Delay) drawn from the injected
 * `random` (RFC 3810 §6.2), so the hosts of a link do not all answer at once:
 * a pending General Query answer sooner than the new delay absorbs the query
 * (rule 1), a later one is moved up (rule 2); a group answer already pending
 * is kept if sooner, and a pending general answer covers every group. So at
 * most one timer per group and one general timer exist, whatever the querier
 * sends (bounded by the own groups). On top, answers are rate-limited by a
 * token bucket (`responsesPerSecond`, default 10, burst 10; refusals counted
 * as `mldRateLimited`).
 *
 * MLDv1 compatibility (RFC 3810 §8.2.1, a MUST): a query of exactly 24 bytes
 * is an MLDv1 query; it switches the binding to MLDv1 host mode until the
 * Older Version Querier Present Timeout (Robustness 2 × Query Interval 125 s
 * + Query Response Interval 10 s = 260 s, §9.12) passes without another.
 * In that mode queries (any length) are answered with MLDv1 Reports (type
 * 131) sent to the group itself, a group joined sends one, a group left
 * sends Done (type 132) to ff02::2, and pending v2 answers are cancelled
 * (§8.2.1: state-change reports stop). MLDv1's Maximum Response Delay is in
 * milliseconds; MLDv2's Maximum Response Code is decoded as §5.1.3 says.
 *
 * State changes are repeated (RFC 3810 §6.1): a join or leave is reported at
 * once and then [Robustness Variable] − 1 more times (`robustness`, default
 * 2), each after a random delay in (0, [Unsolicited Report Interval]]
 * (`unsolicitedReportIntervalMs`, default 1 s). One interface timer carries
 * the repeats: each one is a single report holding a record for every group
 * whose change still has repeats left. A new change for a group replaces its
 * pending record (a leave replaces the join still being repeated) with a
 * fresh count, so no change is reported more than [Robustness Variable]
 * times. In MLDv1 mode a join Report is repeated the same way within
 * RFC 2710's Unsolicited Report Interval (10 s); Done is sent once. Changing
 * the compatibility mode cancels the repeats (§8.2.1), as `close` does.
 *
 * Reports go with hop limit 1 and a Router Alert option, from the link-local
 * address, or `::` before it is usable (RFC 3810 §5.2.13). The all-nodes group is
 * never reported (RFC 3810 §6). Queries must come from a link-local source
 * with hop limit 1 (§5.1.14). No `setTimeout` or `Math.random`: the clock and
 * the random source are injected.
 */
import { allocFromSlab as allocFrame } from '../bytes/index.js';
import { positiveInteger, type Clock, type Timer } from '../runtime/index.js';
import {
  Icmpv6Packet,
  Icmpv6Type,
  ipv6MulticastMac,
  isIpv6Unspecified,
  type Ipv6Packet,
} from '../wire/index.js';
import { putU16 } from './frame-write.js';
import type { Indication } from './indication.js';
import { equalAt, ipv6Key, isLinkLocalAt } from './ipv6-address.js';
import { NEXT_HEADER_ICMPV6, writeIpv6Frame, type Ipv6Host } from './ipv6-host.js';
import { TokenBucket } from './token-bucket.js';

/** Multicast address record types (RFC 3810 §5.2.12). */
export const MldRecord = {
  ModeIsInclude: 1,
  ModeIsExclude: 2,
  ChangeToInclude: 3,
  ChangeToExclude: 4,
} as const;

/** ff02::16, all MLDv2-capable routers. */
const ALL_MLD_ROUTERS = Uint8Array.of(0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x16);
/** ff02::2, all routers: where MLDv1 Done goes (RFC 2710 §3.7). */
const ALL_ROUTERS = Uint8Array.of(0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2);
/** Hop-by-Hop header: next header ICMPv6, Router Alert (MLD, RFC 2711), PadN. */
const ROUTER_ALERT = Uint8Array.of(NEXT_HEADER_ICMPV6, 0, 5, 2, 0, 0, 1, 0);
const MLD_V1_LENGTH = 24;
const MLD_QUERY_V2_LENGTH = 28;
/**
 * Queried sources kept for one group's answer. Past it the answer becomes a
 * group-specific one (MODE_IS_EXCLUDE {}, a superset), and one report with
 * this many sources still fits 1280 bytes.
 */
const MAX_QUERIED_SOURCES = 64;
/** Older Version Querier Present Timeout (RFC 3810 §9.12) with the default variables. */
export const OLDER_QUERIER_TIMEOUT_MS = 2 * 125_000 + 10_000;
/** MLDv1's Unsolicited Report Interval (RFC 2710 §7.10). */
const V1_UNSOLICITED_REPORT_INTERVAL_MS = 10_000;

/** A source of uniform numbers in [0, 1): injected, as cores have no randomness of their own. */
export type RandomSource = () => number;

export interface MldOptions {
  /** Answers to queries per second (token refill). Default 10. */
  readonly responsesPerSecond?: number;
  /** Answer burst. Default 10. */
  readonly responseBurst?: number;
}

/** How state changes are repeated (RFC 3810 §6.1, §9.1, §9.11). */
export interface MldReportOptions {
  /** [Robustness Variable]: how many times a state change is reported, 1 to 7. Default 2. */
  readonly robustness?: number;
  /** [Unsolicited Report Interval] in ms: the longest delay between repeats. Default 1000. */
  readonly unsolicitedReportIntervalMs?: number;
}

/** Sends one MLDv2 report with a record of `type` for each of `groups`. */
export function sendMldReport(
  host: Ipv6Host,
  type: number,
  groups: readonly Uint8Array[],
  source: Uint8Array,
): void {
  sendMldRecords(
    host,
    groups.map((group) => ({ type, group })),
    source,
  );
}

/** Sends one MLDv2 report holding `records` (none: nothing is sent). */
export function sendMldRecords(
  host: Ipv6Host,
  records: readonly {
    readonly type: number;
    readonly group: Uint8Array;
    readonly sources?: readonly Uint8Array[] | undefined;
  }[],
  source: Uint8Array,
): void {
  if (records.length === 0) return;
  let length = 8;
  for (const record of records) length += 20 + 16 * (record.sources?.length ?? 0);
  const { frame, icmp } = mldFrame(host, ALL_MLD_ROUTERS, source, length);
  icmp.setType(Icmpv6Type.MulticastListenerReportV2);
  putU16(icmp.bytes, 6, records.length);
  let at = 8;
  for (const record of records) {
    const sources = record.sources ?? [];
    icmp.bytes[at] = record.type; // aux data length stays 0
    putU16(icmp.bytes, at + 2, sources.length);
    icmp.bytes.set(record.group, at + 4);
    at += 20;
    for (const address of sources) {
      icmp.bytes.set(address, at);
      at += 16;
    }
  }
  icmp.fillChecksum(source, ALL_MLD_ROUTERS);
  host.counters.mldReports++;
  host.send(frame);
}

/** Sends an MLDv1 Report (to the group) or Done (to ff02::2) for `group` (RFC 2710 §3). */
export function sendMldV1(
  host: Ipv6Host,
  type: typeof Icmpv6Type.MulticastListenerReport | typeof Icmpv6Type.MulticastListenerDone,
  group: Uint8Array,
  source: Uint8Array,
): void {
  const to = type === Icmpv6Type.MulticastListenerReport ? group : ALL_ROUTERS;
  const { frame, icmp } = mldFrame(host, to, source, MLD_V1_LENGTH);
  icmp.setType(type);
  icmp.bytes.set(group, 8);
  icmp.fillChecksum(source, to);
  host.counters.mldReports++;
  host.send(frame);
}

/** A frame to `to` with the Router Alert header and an ICMPv6 message of `length` bytes. */
function mldFrame(
  host: Ipv6Host,
  to: Uint8Array,
  source: Uint8Array,
  length: number,
): { frame: Uint8Array; icmp: Icmpv6Packet } {
  const frame = allocFrame(host.linkHeader + 40 + 8 + length);
  const at = writeIpv6Frame(
    host,
    frame,
    ipv6MulticastMac(to),
    undefined,
    8 + length,
    0, // Hop-by-Hop first
    1,
    source,
    to,
  );
  frame.set(ROUTER_ALERT, at + 40);
  return { frame, icmp: Icmpv6Packet.unchecked(frame.subarray(at + 48, at + 48 + length)) };
}

/** MLDv2 Maximum Response Code to milliseconds (RFC 3810 §5.1.3). */
export function maxResponseDelayMs(code: number): number {
  if (code < 0x8000) return code;
  const exponent = (code >> 12) & 7;
  const mantissa = code & 0x0fff;
  return (mantissa | 0x1000) << (exponent + 3);
}

interface PendingAnswer {
  readonly due: number;
  readonly timer: Timer;
  /** The sources a Multicast Address and Source Specific Query asked about; undefined: the whole group. */
  readonly sources?: readonly Uint8Array[] | undefined;
}

/** A state change still to be repeated: its record type (or an MLDv1 Report) and repeats left. */
interface PendingChange {
  readonly group: Uint8Array;
  readonly type: number;
  left: number;
}

/**
 * The binding's MLD state: which version it speaks, and the answers it owes
 * (see the file comment). `groups` and `source` read the binding's address
 * list when a report is built.
 */
export class MldListener {
  /** Counted answers the rate limit refused. */
  rateLimited = 0;
  private v1Until = -Infinity;
  private general: PendingAnswer | undefined;
  private readonly perGroup = new Map<string, PendingAnswer>();
  private readonly bucket: TokenBucket;
  private closed = false;
  private readonly robustness: number;
  private readonly reportIntervalMs: number;
  /** State changes being repeated, by group, and the version they were made in. */
  private readonly changes = new Map<string, PendingChange>();
  private changesVersion: 1 | 2 = 2;
  private repeatTimer: Timer | undefined;

  constructor(
    private readonly host: Ipv6Host,
    private readonly clock: Clock,
    private readonly random: RandomSource,
    private readonly groups: () => readonly Uint8Array[],
    private readonly source: () => Uint8Array,
    options: MldOptions & MldReportOptions = {},
  ) {
    this.bucket = new TokenBucket(
      clock,
      options.responsesPerSecond ?? 10,
      options.responseBurst ?? 10,
    );
    this.robustness = positiveInteger('MLD robustness', options.robustness, 2);
    if (this.robustness > 7) {
      throw new RangeError(`MLD robustness is at most 7 (RFC 3810 QRV): got ${this.robustness}`);
    }
    this.reportIntervalMs = positiveInteger(
      'MLD unsolicitedReportIntervalMs',
      options.unsolicitedReportIntervalMs,
      1000,
    );
  }

  /** 1 while an MLDv1 querier was heard within the Older Version Querier Present Timeout, else 2. */
  get version(): 1 | 2 {
    return this.clock.now() < this.v1Until ? 1 : 2;
  }

  /** Answers owed now (general and per group). */
  get pending(): number {
    return (this.general === undefined ? 0 : 1) + this.perGroup.size;
  }

  /** Groups whose last state change still has repeats to send. */
  get repeatsPending(): number {
    return this.changes.size;
  }

  /** A group joined: reported at once (a state change), then repeated (see the file comment). */
  joined(group: Uint8Array): void {
    if (this.closed) return;
    if (this.version === 1) {
      sendMldV1(this.host, Icmpv6Type.MulticastListenerReport, group, this.source());
      this.repeat(group, Icmpv6Type.MulticastListenerReport, 1);
    } else {
      sendMldReport(this.host, MldRecord.ChangeToExclude, [group], this.source());
      this.repeat(group, MldRecord.ChangeToExclude, 2);
    }
  }

  /** A group left: reported at once and repeated (MLDv1: Done, once), any answer owed for it forgotten. */
  left(group: Uint8Array): void {
    if (this.closed) return;
    this.cancelGroup(ipv6Key(group));
    if (this.version === 1) {
      sendMldV1(this.host, Icmpv6Type.MulticastListenerDone, group, this.source());
      this.changes.delete(ipv6Key(group));
      if (this.changes.size === 0) this.cancelRepeats();
    } else {
      sendMldReport(this.host, MldRecord.ChangeToInclude, [group], this.source());
      this.repeat(group, MldRecord.ChangeToInclude, 2);
    }
  }

  /** Records the change just reported for `group` with [Robustness Variable] − 1 repeats left. */
  private repeat(group: Uint8Array, type: number, version: 1 | 2): void {
    if (this.changesVersion !== version) this.cancelRepeats();
    this.changesVersion = version;
    const key = ipv6Key(group);
    if (this.robustness === 1) {
      this.changes.delete(key);
      if (this.changes.size === 0) this.cancelRepeats();
      return;
    }
    this.changes.set(key, { group: Uint8Array.from(group), type, left: this.robustness - 1 });
    this.repeatTimer ??= this.scheduleRepeat();
  }

  /** The repeat timer, at a random delay in (0, [Unsolicited Report Interval]]. */
  private scheduleRepeat(): Timer {
    const interval =
      this.changesVersion === 1 ? V1_UNSOLICITED_REPORT_INTERVAL_MS : this.reportIntervalMs;
    const delay = Math.max(1, Math.ceil(this.random() * interval));
    return this.clock.setTimer(delay, () => this.repeatChanges());
  }

  /** Sends one repeat of every pending change, and schedules the next while any is left. */
  private repeatChanges(): void {
    this.repeatTimer = undefined;
    if (this.closed) return;
    if (this.version !== this.changesVersion) {
      this.changes.clear(); // the compatibility mode changed (§8.2.1)
      return;
    }
    const changes = [...this.changes.values()];
    for (const change of changes) {
      if (--change.left === 0) this.changes.delete(ipv6Key(change.group));
    }
    if (this.changesVersion === 1) {
      for (const change of changes) {
        sendMldV1(this.host, Icmpv6Type.MulticastListenerReport, change.group, this.source());
      }
    } else {
      sendMldRecords(this.host, changes, this.source());
    }
    if (this.changes.size > 0) this.repeatTimer = this.scheduleRepeat();
  }

  private cancelRepeats(): void {
    this.repeatTimer?.cancel();
    this.repeatTimer = undefined;
    this.changes.clear();
  }

  /** A Multicast Listener Query (accepted, checksum verified). */
  query(ind: Indication, ip: Ipv6Packet, icmp: Icmpv6Packet): 'accepted' | 'not-accepted' {
    this.host.counters.mldQueries++;
    if (ip.hopLimit !== 1 || !isLinkLocalAt(ip.sourceAddress)) {
      return this.host.drop('bad-mld', ind.packetSize);
    }
    const length = icmp.bytes.length;
    if (length < MLD_V1_LENGTH || (length > MLD_V1_LENGTH && length < MLD_QUERY_V2_LENGTH)) {
      return this.host.drop('bad-mld', ind.packetSize); // RFC 3810 §8.1: neither version
    }
    const code = (icmp.bytes[4] as number) * 256 + (icmp.bytes[5] as number);
    let sources: Uint8Array[] | undefined;
    if (length >= MLD_QUERY_V2_LENGTH) {
      // RFC 3810 §5.1.10: Number of Sources, then that many addresses.
      const count = (icmp.bytes[26] as number) * 256 + (icmp.bytes[27] as number);
      if (MLD_QUERY_V2_LENGTH + 16 * count > length) {
        return this.host.drop('bad-mld', ind.packetSize);
      }
      if (count > 0) {
        sources = Array.from({ length: count }, (_, i) =>
          icmp.bytes.subarray(MLD_QUERY_V2_LENGTH + 16 * i, MLD_QUERY_V2_LENGTH + 16 * i + 16),
        );
      }
    }
    let delay: number;
    if (length === MLD_V1_LENGTH) {
      if (this.version === 2) {
        this.cancelAll(); // §8.2.1: v2 answers and repeats are not sent in v1 mode
        this.cancelRepeats();
      }
      this.v1Until = this.clock.now() + OLDER_QUERIER_TIMEOUT_MS;
      delay = code;
    } else {
      delay = this.version === 1 ? code : maxResponseDelayMs(code);
    }
    const asked = icmp.bytes.subarray(8, 24);
    const due = this.clock.now() + Math.floor(this.random() * Math.max(delay, 1));
    if (isIpv6Unspecified(asked)) this.owe(undefined, due);
    else {
      const ours = this.groups().find((group) => equalAt(asked, 0, group));
      if (ours !== undefined) this.owe(ours, due, sources);
    }
    return 'accepted';
  }

  close(): void {
    this.closed = true;
    this.cancelAll();
    this.cancelRepeats();
  }

  /**
   * Schedules the answer for `group` (undefined: every group) at `due` under
   * the §6.2 rules; `sources` are those a source-specific query asked about
   * (views, copied here), merged with those of an answer already owed.
   */
  private owe(group: Uint8Array | undefined, due: number, sources?: readonly Uint8Array[]): void {
    if (this.general !== undefined && this.general.due <= due) return;
    if (group === undefined) {
      this.general?.timer.cancel();
      this.general = {
        due,
        timer: this.clock.setTimer(due - this.clock.now(), () => this.answer(undefined)),
      };
      return;
    }
    const key = ipv6Key(group);
    const held = this.perGroup.get(key);
    const merged = mergeSources(held, sources);
    if (held !== undefined && held.due <= due) {
      this.perGroup.set(key, { due: held.due, timer: held.timer, sources: merged });
      return;
    }
    held?.timer.cancel();
    const copy = Uint8Array.from(group);
    this.perGroup.set(key, {
      due,
      timer: this.clock.setTimer(due - this.clock.now(), () => this.answer(copy)),
      sources: merged,
    });
  }

  private answer(group: Uint8Array | undefined): void {
    let sources: readonly Uint8Array[] | undefined;
    if (group === undefined) this.general = undefined;
    else {
      sources = this.perGroup.get(ipv6Key(group))?.sources;
      this.perGroup.delete(ipv6Key(group));
    }
    if (this.closed) return;
    // A group left since the query is not reported.
    const joined = this.groups();
    const groups = group === undefined ? joined : joined.filter((g) => equalAt(g, 0, group));
    if (groups.length === 0) return;
    if (!this.bucket.take()) {
      this.rateLimited++;
      return;
    }
    if (this.version === 1) {
      for (const g of groups) {
        sendMldV1(this.host, Icmpv6Type.MulticastListenerReport, g, this.source());
      }
    } else if (sources !== undefined) {
      // §6.3: in EXCLUDE {} every queried source is listened to: IS_IN(the sources).
      const records = groups.map((g) => ({ type: MldRecord.ModeIsInclude, group: g, sources }));
      sendMldRecords(this.host, records, this.source());
    } else {
      sendMldReport(this.host, MldRecord.ModeIsExclude, groups, this.source());
    }
  }

  private cancelGroup(key: string): void {
    this.perGroup.get(key)?.timer.cancel();
    this.perGroup.delete(key);
  }

  private cancelAll(): void {
    this.general?.timer.cancel();
    this.general = undefined;
    for (const held of this.perGroup.values()) held.timer.cancel();
    this.perGroup.clear();
  }
}

/**
 * RFC 3810 §6.2 rules 4 to 6: the sources of the answer owed for a group
 * after a query for `asked` (undefined: group-specific) when `held` was owed.
 * A group-specific query, or one already owed, clears the list; otherwise the
 * lists are joined, copied, without repeats, up to MAX_QUERIED_SOURCES.
 */
function mergeSources(
  held: PendingAnswer | undefined,
  asked: readonly Uint8Array[] | undefined,
): readonly Uint8Array[] | undefined {
  if (asked === undefined) return undefined;
  if (held !== undefined && held.sources === undefined) return undefined;
  const merged = new Map<string, Uint8Array>();
  for (const address of held?.sources ?? []) merged.set(ipv6Key(address), address);
  for (const address of asked) {
    const key = ipv6Key(address);
    if (!merged.has(key)) merged.set(key, Uint8Array.from(address));
    if (merged.size > MAX_QUERIED_SOURCES) return undefined;
  }
  return [...merged.values()];
}
