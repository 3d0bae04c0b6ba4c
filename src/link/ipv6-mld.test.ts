import { describe, expect, it } from 'vitest';
import { toHex } from '../bytes/index.js';
import { createStackHarness, ethernetFrame, ipv6Packet } from '../testing/index.js';
import type { Crypto } from '../runtime/index.js';
import { Icmpv6Packet, Ipv6Packet, parseIpv6Address } from '../wire/index.js';

const PEER_MAC = '02:00:00:00:00:0b';
const ip6 = (text: string) => parseIpv6Address(text)!;

/** The MLDv2 reports among `frames`: source, and each record's type and group. */
function reports(frames: Uint8Array[]) {
  return frames
    .filter((f) => f[12] === 0x86 && f[13] === 0xdd && f[20] === 0)
    .map((frame) => {
      expect(toHex(frame.subarray(0, 6))).toBe('333300000016');
      const ip = Ipv6Packet.unchecked(frame.subarray(14));
      expect(ip.hopLimit).toBe(1);
      expect(toHex(ip.destinationAddress)).toBe(toHex(ip6('ff02::16')));
      expect(Array.from(ip.bytes.subarray(40, 48))).toEqual([58, 0, 5, 2, 0, 0, 1, 0]);
      const icmp = Icmpv6Packet.unchecked(ip.bytes.subarray(48, 40 + ip.payloadLength));
      expect(icmp.type).toBe(143);
      expect(icmp.verifyChecksum(ip.sourceAddress, ip.destinationAddress)).toBe(true);
      const count = (icmp.bytes[6]! << 8) | icmp.bytes[7]!;
      const records = Array.from({ length: count }, (_, i) => ({
        type: icmp.bytes[8 + 20 * i],
        group: toHex(icmp.bytes.subarray(12 + 20 * i, 28 + 20 * i)),
      }));
      return { source: toHex(ip.sourceAddress), records };
    });
}

/** A Multicast Listener Query (MLDv2, 28 bytes; MLDv1 with `v1`) for `group` (`::` = general), to `destination`. */
function query(
  group: string,
  destination = 'ff02::1',
  hopLimit = 1,
  source = 'fe80::1',
  { maxResponse = 10_000, v1 = false } = {},
) {
  const icmp = new Uint8Array(v1 ? 24 : 28);
  icmp[0] = 130;
  icmp[4] = maxResponse >> 8;
  icmp[5] = maxResponse & 0xff;
  icmp.set(ip6(group), 8);
  const packet = ipv6Packet({
    source,
    destination,
    nextHeader: 0,
    hopLimit,
    payload: Uint8Array.from([58, 0, 5, 2, 0, 0, 1, 0, ...icmp]),
  });
  const ip = Ipv6Packet.unchecked(packet);
  Icmpv6Packet.unchecked(packet.subarray(48)).fillChecksum(ip.sourceAddress, ip.destinationAddress);
  const mac = destination === 'ff02::1' ? '33:33:00:00:00:01' : '33:33:ff:00:00:0a';
  return ethernetFrame(mac, PEER_MAC, 0x86dd, packet);
}

/** A Crypto whose random numbers are all `fraction` (only fillRandom is used by the link layer). */
const fixedRandom = (fraction: number) =>
  ({
    fillRandom(into: Uint8Array) {
      const value = Math.floor(fraction * 0x100000000);
      into[0] = value >>> 24;
      into[1] = (value >>> 16) & 0xff;
      into[2] = (value >>> 8) & 0xff;
      into[3] = value & 0xff;
    },
  }) as unknown as Crypto;

/** MLDv1 reports and dones among `frames`: ICMPv6 type, destination and group. */
function v1Messages(frames: Uint8Array[]) {
  return frames
    .filter((f) => f[12] === 0x86 && f[13] === 0xdd && f[20] === 0)
    .map((frame) => {
      const ip = Ipv6Packet.unchecked(frame.subarray(14));
      const icmp = Icmpv6Packet.unchecked(ip.bytes.subarray(48, 40 + ip.payloadLength));
      expect(icmp.verifyChecksum(ip.sourceAddress, ip.destinationAddress)).toBe(true);
      return {
        type: icmp.type,
        to: toHex(ip.destinationAddress),
        group: icmp.bytes.length === 24 ? toHex(icmp.bytes.subarray(8, 24)) : '',
      };
    });
}

const LL_GROUP = toHex(ip6('ff02::1:ff00:a'));
const FD_GROUP = toHex(ip6('ff02::1:ff00:1'));
const LL = toHex(ip6('fe80::ff:fe00:a'));

describe('MLDv2 for the solicited-node groups (RFC 3810)', () => {
  it('reports each group it joins (CHANGE_TO_EXCLUDE), from :: while the link-local address is tentative', () => {
    const { startup } = createStackHarness({
      ipv4: [],
      ipv6: [{ address: 'fd00::1', prefixLength: 64 }],
    });
    // The first two; their repeat is tested below (RFC 3810 §6.1).
    expect(reports(startup).slice(0, 2)).toEqual([
      { source: toHex(ip6('::')), records: [{ type: 4, group: LL_GROUP }] },
      { source: toHex(ip6('::')), records: [{ type: 4, group: FD_GROUP }] },
    ]);
  });

  it('answers a General Query with every group, and a Group-Specific Query with that group only', () => {
    const { send, seen, stack, clock, pair } = createStackHarness({
      ipv4: [],
      ipv6: [{ address: 'fd00::1', prefixLength: 64 }],
      crypto: fixedRandom(0.5),
    });
    send(query('ff02::1:ff00:a', 'ff02::1:ff00:a', 1, 'fe80::1', { maxResponse: 1000 }));
    send(query('::', 'ff02::1', 1, 'fe80::1', { maxResponse: 3000 }));
    send(query('ff02::1:ff00:99')); // not ours
    clock.advance(10_000);
    pair.flush();
    expect(reports(seen)).toEqual([
      { source: LL, records: [{ type: 2, group: LL_GROUP }] },
      {
        source: LL,
        records: [
          { type: 2, group: LL_GROUP },
          { type: 2, group: FD_GROUP },
        ],
      },
    ]);
    // 3 at start-up (two joins, one repeat of both) and the 2 answers.
    expect(stack.stats().ipv6).toMatchObject({ mldQueries: 3, mldReports: 5 });
  });

  // Regression (review 8): answers went out at once, so every host on a link answered together.
  it('answers after a random delay within Maximum Response Delay, drawn from the injected crypto', () => {
    const { send, seen, clock, pair } = createStackHarness({
      ipv4: [],
      crypto: fixedRandom(0.25),
    });
    send(query('::', 'ff02::1', 1, 'fe80::1', { maxResponse: 4000 }));
    expect(reports(seen)).toEqual([]);
    clock.advance(999);
    pair.flush();
    expect(reports(seen)).toEqual([]);
    clock.advance(1);
    pair.flush();
    expect(reports(seen)).toEqual([{ source: LL, records: [{ type: 2, group: LL_GROUP }] }]);
  });

  it('owes at most one answer per query kind (RFC 3810 §6.2), and rate-limits the answers', () => {
    const { send, seen, clock, pair, stack } = createStackHarness({
      ipv4: [],
      crypto: fixedRandom(0.5),
      limits: { ipv6: { mldAnswers: { responsesPerSecond: 1, responseBurst: 1 } } },
    });
    for (let i = 0; i < 50; i++) send(query('::', 'ff02::1', 1, 'fe80::1', { maxResponse: 2000 }));
    send(query('ff02::1:ff00:a', 'ff02::1:ff00:a', 1, 'fe80::1', { maxResponse: 8000 })); // covered
    clock.advance(1000);
    pair.flush();
    expect(reports(seen)).toHaveLength(1);
    send(query('::', 'ff02::1', 1, 'fe80::1', { maxResponse: 2 })); // due at once: bucket empty
    clock.advance(5);
    pair.flush();
    expect(reports(seen)).toHaveLength(1);
    expect(stack.stats().ipv6.mld.rateLimited).toBe(1);
  });

  // Regression (review 8): MLDv1 queries were ignored (RFC 3810 §8.2.1 makes compatibility a MUST).
  it('switches to MLDv1 on an MLDv1 query for the Older Version Querier Present Timeout', () => {
    const { send, seen, clock, pair, stack } = createStackHarness({
      ipv4: [],
      crypto: fixedRandom(0),
    });
    send(query('::', 'ff02::1', 1, 'fe80::1', { maxResponse: 1000, v1: true }));
    clock.advance(0);
    pair.flush();
    expect(stack.stats().ipv6.mld.version).toBe(1);
    expect(v1Messages(seen.splice(0))).toEqual([{ type: 131, to: LL_GROUP, group: LL_GROUP }]);
    // In v1 mode a join is a v1 Report, a leave a Done to ff02::2, and v2 queries get v1 answers.
    stack.ipv6.addAddress(ip6('fd00::1'), 64);
    stack.ipv6.removeAddress(ip6('fd00::1'));
    send(query('::', 'ff02::1', 1, 'fe80::1', { maxResponse: 1000 }));
    clock.advance(0);
    pair.flush();
    const v1 = v1Messages(seen.splice(0)).filter((m) => m.type === 131 || m.type === 132);
    expect(v1).toEqual([
      { type: 131, to: FD_GROUP, group: FD_GROUP },
      { type: 132, to: toHex(ip6('ff02::2')), group: FD_GROUP },
      { type: 131, to: LL_GROUP, group: LL_GROUP },
    ]);
    clock.advance(260_000);
    pair.flush();
    expect(stack.stats().ipv6.mld.version).toBe(2);
    seen.length = 0;
    send(query('::'));
    clock.advance(10_000);
    pair.flush();
    expect(reports(seen)).toEqual([{ source: LL, records: [{ type: 2, group: LL_GROUP }] }]);
  });

  it('drops a query that is not link-local with hop limit 1', () => {
    const { send, seen, stack } = createStackHarness({ ipv4: [] });
    send(query('::', 'ff02::1', 64));
    send(query('::', 'ff02::1', 1, 'fd00::9'));
    expect(seen).toEqual([]);
    expect(stack.stats().ipv6.drops['bad-mld']).toBe(2);
  });

  it('reports leaving a group (CHANGE_TO_INCLUDE, no sources) when its address goes', () => {
    const { stack, seen, pair } = createStackHarness({
      ipv4: [],
      ipv6: [{ address: 'fd00::1', prefixLength: 64 }],
    });
    stack.ipv6.removeAddress(ip6('fd00::1'));
    pair.flush();
    expect(reports(seen)).toEqual([{ source: LL, records: [{ type: 3, group: FD_GROUP }] }]);
  });

  it('sends nothing with mld: false', () => {
    const { startup, send, seen } = createStackHarness({
      ipv4: [],
      limits: { ipv6: { mld: false } },
    });
    send(query('::'));
    expect(reports([...startup, ...seen])).toEqual([]);
  });
});

describe('MLDv2 state-change retransmission (RFC 3810 §6.1)', () => {
  // Regression: a state change was reported once; RFC 3810 §6.1 repeats it [Robustness
  // Variable] times (default 2) at random intervals within [Unsolicited Report Interval] (1 s).
  it('repeats a join report Robustness Variable times, the repeat after a random delay within 1 s', () => {
    const { stack, seen, clock, pair } = createStackHarness({ ipv4: [], crypto: fixedRandom(0.5) });
    stack.ipv6.addAddress(ip6('fd00::1'), 64);
    pair.flush();
    expect(reports(seen.splice(0))).toEqual([
      { source: LL, records: [{ type: 4, group: FD_GROUP }] },
    ]);
    clock.advance(499);
    pair.flush();
    expect(reports(seen.splice(0))).toEqual([]);
    clock.advance(1);
    pair.flush();
    expect(reports(seen.splice(0))).toEqual([
      { source: LL, records: [{ type: 4, group: FD_GROUP }] },
    ]);
    clock.advance(60_000);
    pair.flush();
    expect(reports(seen)).toEqual([]);
    expect(stack.stats().ipv6.mld.retransmitPending).toBe(0);
  });

  it('repeats it as often as limits.ipv6.mldReports.robustness says', () => {
    const { stack, seen, clock, pair } = createStackHarness({
      ipv4: [],
      crypto: fixedRandom(0.99),
      limits: { ipv6: { mldReports: { robustness: 4, unsolicitedReportIntervalMs: 200 } } },
    });
    stack.ipv6.addAddress(ip6('fd00::1'), 64);
    const start = clock.now();
    const times: number[] = [];
    for (let t = 0; t <= 2_000; t++) {
      pair.flush();
      for (const _ of reports(seen.splice(0))) times.push(clock.now() - start);
      clock.advance(1);
    }
    expect(times).toEqual([0, 198, 396, 594]);
  });

  it('a leave replaces the join still being repeated: each change is reported Robustness times, no more', () => {
    const { stack, seen, clock, pair } = createStackHarness({ ipv4: [], crypto: fixedRandom(0.5) });
    stack.ipv6.addAddress(ip6('fd00::1'), 64);
    stack.ipv6.removeAddress(ip6('fd00::1'));
    clock.advance(10_000);
    pair.flush();
    expect(reports(seen).map((r) => r.records)).toEqual([
      [{ type: 4, group: FD_GROUP }],
      [{ type: 3, group: FD_GROUP }],
      [{ type: 3, group: FD_GROUP }],
    ]);
  });

  it('repeats the start-up joins in one report, and sends nothing after close', () => {
    const { startup } = createStackHarness({
      ipv4: [],
      ipv6: [{ address: 'fd00::1', prefixLength: 64 }],
      crypto: fixedRandom(0.5),
    });
    expect(reports(startup)).toEqual([
      { source: toHex(ip6('::')), records: [{ type: 4, group: LL_GROUP }] },
      { source: toHex(ip6('::')), records: [{ type: 4, group: FD_GROUP }] },
      {
        source: toHex(ip6('::')),
        records: [
          { type: 4, group: LL_GROUP },
          { type: 4, group: FD_GROUP },
        ],
      },
    ]);
    const h = createStackHarness({ ipv4: [], crypto: fixedRandom(0.5) });
    h.stack.ipv6.addAddress(ip6('fd00::1'), 64);
    h.pair.flush();
    h.seen.length = 0;
    const timers = h.clock.pendingTimers;
    h.stack.close();
    expect(h.clock.pendingTimers).toBeLessThan(timers);
    h.clock.advance(10_000);
    h.pair.flush();
    expect(reports(h.seen)).toEqual([]);
  });

  it('an MLDv1 querier cancels the v2 repeats; in v1 mode a join Report is repeated within 10 s', () => {
    const { stack, send, seen, clock, pair } = createStackHarness({
      ipv4: [],
      crypto: fixedRandom(0.5),
    });
    stack.ipv6.addAddress(ip6('fd00::1'), 64);
    send(query('::', 'ff02::1', 1, 'fe80::1', { maxResponse: 20_000, v1: true }));
    seen.length = 0;
    clock.advance(2_000);
    pair.flush();
    expect(reports(seen)).toEqual([]); // the v2 repeat at 500 ms was cancelled (§8.2.1)
    stack.ipv6.removeAddress(ip6('fd00::1'));
    stack.ipv6.addAddress(ip6('fd00::1'), 64);
    pair.flush();
    seen.length = 0;
    clock.advance(4_999);
    pair.flush();
    expect(v1Messages(seen.splice(0)).filter((m) => m.group === FD_GROUP)).toEqual([]);
    clock.advance(1);
    pair.flush();
    expect(v1Messages(seen.splice(0)).filter((m) => m.group === FD_GROUP)).toEqual([
      { type: 131, to: FD_GROUP, group: FD_GROUP },
    ]);
  });

  it('refuses a Robustness Variable that is not an integer from 1 to 7', () => {
    for (const robustness of [0, 8, 1.5]) {
      expect(() =>
        createStackHarness({ ipv4: [], limits: { ipv6: { mldReports: { robustness } } } }),
      ).toThrow(RangeError);
    }
  });
});
