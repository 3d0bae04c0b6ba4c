/**
 * Regression (review, group-addressed Ethernet source): replies are
 * addressed by swapping the received frame's source MAC, and nothing checked
 * that the source is an individual address, so a unicast ping or ARP
 * request claiming ff:ff:ff:ff:ff:ff got its reply broadcast. The adapter
 * drops such frames (`bad-source-mac`); taps still see them with the reason.
 */
import { describe, expect, it } from 'vitest';
import {
  arpPacket,
  createStackHarness,
  ethernetFrame,
  icmpv4Echo,
  ipv4Datagram,
} from '../testing/index.js';

const STACK_MAC = '02:00:00:00:00:0a';
const PEER_MAC = '02:00:00:00:00:0b';
const setup = () =>
  createStackHarness({ ipv4: [{ address: '10.0.0.1', prefixLength: 24 }], ipv6LinkLocal: false });
const ping = () =>
  ipv4Datagram({
    source: '10.0.0.2',
    destination: '10.0.0.1',
    protocol: 1,
    payload: icmpv4Echo(8, 1, 1, new Uint8Array(64)),
  });
const arp = () =>
  arpPacket({ operation: 1, senderMac: PEER_MAC, senderIp: '10.0.0.2', targetIp: '10.0.0.1' });

describe('frames with a group or zero Ethernet source', () => {
  for (const source of [
    'ff:ff:ff:ff:ff:ff',
    '01:00:5e:00:00:01',
    '33:33:00:00:00:01',
    '00:00:00:00:00:00',
  ])
    it(`are dropped as bad-source-mac, never answered, and shown to taps (${source})`, () => {
      const h = setup();
      const tapped: (string | undefined)[] = [];
      h.pair.a.tap((_frame, _oob, dropped) => tapped.push(dropped));
      h.send(ethernetFrame(STACK_MAC, source, 0x0800, ping()));
      h.send(ethernetFrame('ff:ff:ff:ff:ff:ff', source, 0x0806, arp()));
      expect(h.seen).toHaveLength(0);
      expect(h.pair.a.stats().dropped['bad-source-mac']).toBe(2);
      expect(tapped).toEqual(['bad-source-mac', 'bad-source-mac']);
    });

  it('an individual source is still answered', () => {
    const h = setup();
    h.send(ethernetFrame(STACK_MAC, PEER_MAC, 0x0800, ping()));
    expect(h.seen).toHaveLength(1);
    expect(h.pair.a.stats().dropped['bad-source-mac']).toBe(0);
  });
});
