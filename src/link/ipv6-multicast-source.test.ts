/**
 * RFC 4291 §2.7: a multicast address is never a source. The binding drops
 * such a packet before anything else looks at it (`bad-source`), so nothing
 * is answered: no echo reply, no port unreachable, no Parameter Problem.
 */
import { describe, expect, it } from 'vitest';
import {
  createStackHarness,
  ethernetFrame,
  icmpv6Message,
  ipv6Packet,
  udp6,
} from '../testing/index.js';

const STACK_MAC = '02:00:00:00:00:0a';
const PEER_MAC = '02:00:00:00:00:0b';
const STACK_LL = 'fe80::ff:fe00:a';

const from = (source: string, nextHeader: number, payload: Uint8Array) =>
  ethernetFrame(
    STACK_MAC,
    PEER_MAC,
    0x86dd,
    ipv6Packet({ source, destination: STACK_LL, nextHeader, payload }),
  );

const echo = (source: string) =>
  icmpv6Message(source, STACK_LL, {
    kind: 'echo-request',
    code: 0,
    identifier: 1,
    sequenceNumber: 1,
    data: Uint8Array.of(1, 2, 3, 4),
  });

describe('IPv6 packets from a multicast source (test gap N15, review 4 of issue 9)', () => {
  for (const source of ['ff02::1', 'ff05::2']) {
    it(`from ${source}: an echo, UDP to a closed port and an unknown next header get no answer`, () => {
      const { send, seen, stack } = createStackHarness({
        limits: { ipv6: { icmpErrorBurst: 100 } },
      });
      send(from(source, 58, echo(source)));
      send(from(source, 17, udp6(source, 4000, STACK_LL, 9, Uint8Array.of(1))));
      send(from(source, 253, new Uint8Array(8)));
      expect(seen).toEqual([]);
      expect(stack.stats().ipv6.drops['bad-source']).toBe(3);
    });
  }

  it('control: the same three from a unicast source get three answers', () => {
    const { send, seen } = createStackHarness({ limits: { ipv6: { icmpErrorBurst: 100 } } });
    const source = 'fe80::ff:fe00:b';
    send(from(source, 58, echo(source)));
    send(from(source, 17, udp6(source, 4000, STACK_LL, 9, Uint8Array.of(1))));
    send(from(source, 253, new Uint8Array(8)));
    expect(seen).toHaveLength(3);
  });
});
