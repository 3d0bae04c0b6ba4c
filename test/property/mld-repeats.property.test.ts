/**
 * MLD state-change repeats (RFC 3810 §6.1), with the settings drawn: the
 * Robustness Variable (1..7), the Unsolicited Report Interval, the random
 * numbers, and a sequence of address adds and removes (addresses that share
 * a solicited-node group included), clock steps, MLDv1 queries and a close.
 * Properties, for every group: after each change (join or leave), the
 * state-change records sent for that group all carry that change's type,
 * there are never more than Robustness of them, consecutive ones are at
 * most one interval apart, and, left alone long enough, exactly Robustness
 * are sent; none is sent in MLDv1 mode or after close, and once the repeats
 * are done (or the stack is closed) no repeat is pending.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/bytes/index.js';
import type { Crypto } from '../../src/runtime/index.js';
import { createStackHarness, ethernetFrame, ipv6Packet } from '../../src/testing/index.js';
import {
  Icmpv6Packet,
  Ipv6Packet,
  parseIpv6Address,
  solicitedNodeMulticast,
} from '../../src/wire/index.js';

const ip6 = (text: string) => parseIpv6Address(text)!;
/** fd01::1 shares fd00::1's group; fd00::a shares the link-local address's. */
const ADDRESSES = ['fd00::1', 'fd00::2', 'fd01::1', 'fd00::a'] as const;
const groupOf = (address: string) => toHex(solicitedNodeMulticast(ip6(address)));
const LL_GROUP = groupOf('fe80::ff:fe00:a');

type Op =
  | { kind: 'add'; address: number }
  | { kind: 'remove'; address: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'v1-query' };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('add' as const), address: fc.nat(ADDRESSES.length - 1) }),
  fc.record({ kind: fc.constant('remove' as const), address: fc.nat(ADDRESSES.length - 1) }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.nat(3_000) }),
  fc.constant({ kind: 'v1-query' as const }),
);

/** A Crypto drawing from a seeded xorshift (only fillRandom is used by the link layer). */
function seededCrypto(seed: number): Crypto {
  let state = seed | 1;
  return {
    fillRandom(into: Uint8Array) {
      for (let i = 0; i < into.length; i++) {
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        into[i] = state & 0xff;
      }
    },
  } as unknown as Crypto;
}

function v1Query(): Uint8Array {
  const icmp = new Uint8Array(24);
  icmp[0] = 130;
  icmp[4] = 0x03; // Maximum Response Delay 1000 ms
  icmp[5] = 0xe8;
  const packet = ipv6Packet({
    source: 'fe80::1',
    destination: 'ff02::1',
    nextHeader: 0,
    hopLimit: 1,
    payload: Uint8Array.from([58, 0, 5, 2, 0, 0, 1, 0, ...icmp]),
  });
  const ip = Ipv6Packet.unchecked(packet);
  Icmpv6Packet.unchecked(packet.subarray(48)).fillChecksum(ip.sourceAddress, ip.destinationAddress);
  return ethernetFrame('33:33:00:00:00:01', '02:00:00:00:00:0b', 0x86dd, packet);
}

/** The state-change records (CHANGE_TO_INCLUDE 3, CHANGE_TO_EXCLUDE 4) of an MLDv2 report. */
function stateChanges(frame: Uint8Array): { type: number; group: string }[] {
  if (frame[12] !== 0x86 || frame[13] !== 0xdd || frame[20] !== 0) return [];
  const ip = Ipv6Packet.unchecked(frame.subarray(14));
  const icmp = Icmpv6Packet.unchecked(ip.bytes.subarray(48, 40 + ip.payloadLength));
  if (icmp.type !== 143) return [];
  const count = (icmp.bytes[6]! << 8) | icmp.bytes[7]!;
  return Array.from({ length: count }, (_, i) => ({
    type: icmp.bytes[8 + 20 * i]!,
    group: toHex(icmp.bytes.subarray(12 + 20 * i, 28 + 20 * i)),
  })).filter((r) => r.type === 3 || r.type === 4);
}

interface Change {
  type: number;
  at: number;
  sent: number[];
}

describe('MLD state-change repeats (RFC 3810 §6.1)', () => {
  it('reports every change at most (and, left alone, exactly) Robustness times, within the interval', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 2_000 }),
        fc.integer(),
        fc.array(op, { maxLength: 30 }),
        fc.boolean(),
        (robustness, intervalMs, seed, ops, closeAtEnd) => {
          const { stack, clock, pair, send } = createStackHarness(
            {
              ipv4: [],
              crypto: seededCrypto(seed),
              limits: {
                ipv6: { mldReports: { robustness, unsolicitedReportIntervalMs: intervalMs } },
              },
            },
            { settle: false },
          );
          const changes = new Map<string, Change>();
          let v1Until = -Infinity;
          let closed = false;
          const change = (group: string, type: number) => {
            changes.set(group, { type, at: clock.now(), sent: [] });
          };
          // The link-local address's group was joined, and reported, at creation (before the tap).
          change(LL_GROUP, 4);
          changes.get(LL_GROUP)!.sent.push(0);
          // The tap only collects (an assertion inside it would be caught by the adapter);
          // `check` asserts outside it, after each step.
          const log: { at: number; records: { type: number; group: string }[] }[] = [];
          pair.a.tapTransmit((frame) => {
            const records = stateChanges(frame);
            if (records.length > 0) log.push({ at: clock.now(), records });
          });
          const check = () => {
            for (const { at, records } of log.splice(0)) {
              expect(closed).toBe(false);
              expect(at).toBeGreaterThanOrEqual(v1Until);
              for (const record of records) {
                const last = changes.get(record.group);
                expect(last).toBeDefined();
                expect(record.type).toBe(last!.type);
                if (last!.sent.length > 0) {
                  expect(at - last!.sent.at(-1)!).toBeLessThanOrEqual(intervalMs);
                }
                last!.sent.push(at);
                expect(last!.sent.length).toBeLessThanOrEqual(robustness);
              }
            }
          };
          pair.flush();
          check();
          const added = new Set<string>();
          const joined = () => new Set([LL_GROUP, ...[...added].map(groupOf)]);
          const remove = (address: string) => {
            const before = joined();
            added.delete(address);
            if (before.has(groupOf(address)) && !joined().has(groupOf(address))) {
              change(groupOf(address), 3);
            }
            stack.ipv6.removeAddress(ip6(address));
            pair.flush();
            check();
          };
          for (const step of ops) {
            if (step.kind === 'add') {
              const address = ADDRESSES[step.address]!;
              // addAddress of a present address removes it first: a leave, then a join.
              if (added.has(address)) remove(address);
              if (!joined().has(groupOf(address))) change(groupOf(address), 4);
              added.add(address);
              stack.ipv6.addAddress(ip6(address), 64);
            } else if (step.kind === 'remove') {
              remove(ADDRESSES[step.address]!);
            } else if (step.kind === 'advance') {
              clock.advance(step.ms);
            } else {
              send(v1Query());
              v1Until = clock.now() + 260_000;
            }
            pair.flush();
            check();
          }
          if (closeAtEnd) {
            stack.close();
            closed = true;
          }
          clock.advance(robustness * Math.max(intervalMs, 10_000) + 1); // MLDv1 repeats: 10 s
          pair.flush();
          check();
          expect(stack.stats().ipv6.mld.retransmitPending).toBe(0);
          if (!closeAtEnd && v1Until === -Infinity) {
            for (const [group, last] of changes) {
              expect({ group, sent: last.sent.length }).toEqual({ group, sent: robustness });
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
