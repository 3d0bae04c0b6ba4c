/**
 * RFC 4861 validity rules without a test before (gaps N7, N8 of review 4 of
 * issue 9): an NA with the Solicited flag sent to a multicast address is
 * invalid (§7.1.2), and an NS from `::` must go to a solicited-node address
 * (§7.1.1). Both are dropped as `bad-nd` and change nothing.
 */
import { describe, expect, it } from 'vitest';
import { createStackHarness, ethernetFrame, icmpv6Message, ipv6Packet } from '../testing/index.js';
import { parseIpv6Address, parseMac, type Icmpv6Message } from '../wire/index.js';

const STACK_MAC = '02:00:00:00:00:0a';
const PEER_MAC = '02:00:00:00:00:0b';
const STACK_LL = 'fe80::ff:fe00:a';
const PEER_LL = 'fe80::ff:fe00:b';
const ip6 = (text: string) => parseIpv6Address(text) as Uint8Array;

const nd = (source: string, destination: string, dstMac: string, message: Icmpv6Message) =>
  ethernetFrame(
    dstMac,
    PEER_MAC,
    0x86dd,
    ipv6Packet({
      source,
      destination,
      nextHeader: 58,
      hopLimit: 255,
      payload: icmpv6Message(source, destination, message),
    }),
  );

const advertisement = (solicited: boolean): Icmpv6Message => ({
  kind: 'neighbor-advertisement',
  code: 0,
  router: false,
  solicited,
  override: true,
  reserved: 0,
  targetAddress: ip6(STACK_LL),
  options: [{ kind: 'target-link-layer-address', address: parseMac(PEER_MAC) as Uint8Array }],
});

describe('RFC 4861 §7.1.2: an NA with S set to a multicast destination', () => {
  it('is dropped (bad-nd): it cannot fail DAD for the tentative address it names', () => {
    const { send, stack, clock, pair } = createStackHarness({}, { settle: false });
    send(nd(PEER_LL, 'ff02::1', '33:33:00:00:00:01', advertisement(true)));
    clock.advance(2_000);
    pair.flush();
    expect(stack.stats().ipv6.drops['bad-nd']).toBe(1);
    expect(stack.ipv6.addressList()[0]?.state).toBe('preferred');
  });

  it('control: the same NA without S fails DAD', () => {
    const { send, stack, clock, pair } = createStackHarness({}, { settle: false });
    send(nd(PEER_LL, 'ff02::1', '33:33:00:00:00:01', advertisement(false)));
    clock.advance(2_000);
    pair.flush();
    expect(stack.ipv6.addressList()[0]?.state).toBe('failed');
  });
});

describe('RFC 4861 §7.1.1: an NS from :: goes to a solicited-node address', () => {
  const solicitation: Icmpv6Message = {
    kind: 'neighbor-solicitation',
    code: 0,
    reserved: 0,
    targetAddress: ip6(STACK_LL),
    options: [],
  };

  it('is dropped (bad-nd) when sent to our unicast address, and not answered', () => {
    const { send, seen, stack } = createStackHarness();
    send(nd('::', STACK_LL, STACK_MAC, solicitation));
    expect(seen).toEqual([]);
    expect(stack.stats().ipv6.drops['bad-nd']).toBe(1);
  });

  it('control: to the solicited-node address it is answered (an NA to ff02::1)', () => {
    const { send, seen, stack } = createStackHarness();
    send(nd('::', 'ff02::1:ff00:a', '33:33:ff:00:00:0a', solicitation));
    expect(seen).toHaveLength(1);
    expect(stack.stats().ipv6.drops['bad-nd']).toBe(0);
  });
});
