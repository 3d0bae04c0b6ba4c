/**
 * Regression (review, ND group link-layer address): an NS whose Source
 * Link-Layer Address option (or an NA whose Target option) named a group
 * MAC was learned, so the NA and every later unicast packet to that
 * neighbour went to the whole segment. Such options drop the message as
 * `bad-nd`, as ARP refuses a group sender.
 */
import { describe, expect, it } from 'vitest';
import { createStackHarness, ethernetFrame, icmpv6Message, ipv6Packet } from '../testing/index.js';
import { parseIpv6Address, parseMac } from '../wire/index.js';

const PEER_MAC = '02:00:00:00:00:0b';
const STACK_LL = 'fe80::ff:fe00:a';
const PEER_LL = 'fe80::ff:fe00:b';
const STACK_SN = 'ff02::1:ff00:a';
const setup = () => createStackHarness({ ipv4: [], limits: { ipv6: { mld: false } } });

function solicitation(lladdr: string): Uint8Array {
  const message = icmpv6Message(PEER_LL, STACK_SN, {
    kind: 'neighbor-solicitation',
    code: 0,
    reserved: 0,
    targetAddress: parseIpv6Address(STACK_LL)!,
    options: [{ kind: 'source-link-layer-address', address: parseMac(lladdr)! }],
  });
  const ip = ipv6Packet({
    source: PEER_LL,
    destination: STACK_SN,
    nextHeader: 58,
    hopLimit: 255,
    payload: message,
  });
  return ethernetFrame('33:33:ff:00:00:0a', PEER_MAC, 0x86dd, ip);
}

function advertisement(lladdr: string): Uint8Array {
  const message = icmpv6Message(PEER_LL, STACK_LL, {
    kind: 'neighbor-advertisement',
    code: 0,
    router: false,
    solicited: true,
    override: true,
    reserved: 0,
    targetAddress: parseIpv6Address(PEER_LL)!,
    options: [{ kind: 'target-link-layer-address', address: parseMac(lladdr)! }],
  });
  const ip = ipv6Packet({
    source: PEER_LL,
    destination: STACK_LL,
    nextHeader: 58,
    hopLimit: 255,
    payload: message,
  });
  return ethernetFrame('02:00:00:00:00:0a', PEER_MAC, 0x86dd, ip);
}

describe('ND link-layer address options naming a group or zero MAC', () => {
  for (const lladdr of ['ff:ff:ff:ff:ff:ff', '33:33:00:00:00:01', '00:00:00:00:00:00']) {
    it(`an NS with SLLAO ${lladdr} is dropped as bad-nd and nothing is learned`, () => {
      const h = setup();
      h.send(solicitation(lladdr));
      expect(h.seen).toHaveLength(0);
      expect(h.stack.stats().ipv6.drops['bad-nd']).toBe(1);
      expect(h.stack.ipv6.entries().filter((e) => e.mac !== undefined)).toHaveLength(0);
    });

    it(`an NA with TLLAO ${lladdr} is dropped as bad-nd and resolves nothing`, () => {
      const h = setup();
      h.stack.ipv6.sendUdp(undefined, 4000, parseIpv6Address(PEER_LL)!, 5000, new Uint8Array(8));
      h.pair.flush();
      h.seen.splice(0); // the NS
      h.send(advertisement(lladdr));
      expect(h.seen).toHaveLength(0); // the queued datagram is not sent to the group
      expect(h.stack.stats().ipv6.drops['bad-nd']).toBe(1);
    });
  }

  it('an individual SLLAO is still learned and answered', () => {
    const h = setup();
    h.send(solicitation(PEER_MAC));
    expect(h.seen).toHaveLength(1);
    expect(h.seen[0]!.subarray(0, 6)).toEqual(parseMac(PEER_MAC));
  });
});
