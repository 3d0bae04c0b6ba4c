import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../bytes/index.js';
import {
  EtherType,
  EthernetFrame,
  emitEthernet,
  ethernetHeaderLength,
  formatMac,
  isBroadcastMac,
  isLocalMac,
  isMulticastMac,
  macEquals,
  parseEthernet,
  parseMac,
} from './ethernet.js';

// A kernel ARP request as it arrived over VXLAN (research/link.md §3.4): unpadded, 42 bytes.
const ARP_FRAME = fromHex(`
  ffff ffff ffff  0200 0000 0001  0806   # broadcast <- 02:00:00:00:00:01, ARP
  0001 0800 0604 0001 0200 0000 0001 0ac8 0001 0000 0000 0000 0ac8 0002`);

describe('EthernetFrame', () => {
  it('reads a real untagged frame', () => {
    const result = EthernetFrame.checked(ARP_FRAME);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const frame = result.value;
    expect(formatMac(frame.destination)).toBe('ff:ff:ff:ff:ff:ff');
    expect(formatMac(frame.source)).toBe('02:00:00:00:00:01');
    expect(frame.isBroadcast).toBe(true);
    expect(frame.isMulticast).toBe(true);
    expect(frame.vlanCount).toBe(0);
    expect(frame.headerLength).toBe(14);
    expect(frame.etherType).toBe(EtherType.Arp);
    expect(frame.payload.length).toBe(28);
    // The payload is a view into the same memory, not a copy.
    expect(frame.payload.buffer).toBe(ARP_FRAME.buffer);
    expect(frame.payload.byteOffset).toBe(ARP_FRAME.byteOffset + 14);
  });

  it('reads 802.1ad + 802.1Q tags (QinQ)', () => {
    const frame = fromHex(`
      0200 0000 0002  0200 0000 0001
      88a8 a064       # S-tag: PCP 5, DEI 0, VID 100
      8100 3fff       # C-tag: PCP 1, DEI 1, VID 4095
      0800 4500`);
    const result = parseEthernet(frame);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.header.vlanTags).toEqual([
      { tpid: 0x88a8, pcp: 5, dei: false, vid: 100 },
      { tpid: 0x8100, pcp: 1, dei: true, vid: 0xfff },
    ]);
    expect(result.value.header.etherType).toBe(EtherType.Ipv4);
    expect(toHex(result.value.payload)).toBe('4500');
    const view = EthernetFrame.unchecked(frame);
    expect(view.vlanCount).toBe(2);
    expect(view.vlanId(0)).toBe(100);
    expect(view.vlanPriority(0)).toBe(5);
    expect(view.vlanDei(1)).toBe(true);
  });

  it('fails with truncated when the header or a tag is cut off', () => {
    for (const hex of [
      'ffff ffff ffff 0200 0000 0001 08',
      'ffff ffff ffff 0200 0000 0001 8100 0064 08',
    ]) {
      const result = EthernetFrame.checked(fromHex(hex));
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.failure.code).toBe('truncated');
    }
    const twoTags = fromHex('ffff ffff ffff 0200 0000 0001 88a8 0064 8100 00');
    const result = parseEthernet(twoTags);
    expect(result.ok ? 'ok' : result.failure.code).toBe('truncated');
  });

  it('keeps an 802.3 length and unknown EtherTypes as numbers', () => {
    const result = parseEthernet(fromHex('0180 c200 0000 0200 0000 0001 0026 4242 03'));
    expect(result.ok && result.value.header.etherType).toBe(0x0026);
  });

  it('builds in place with setters', () => {
    const bytes = new Uint8Array(18);
    bytes.set(fromHex('8100'), 12);
    const frame = EthernetFrame.unchecked(bytes);
    frame.setDestination(parseMac('33:33:00:00:00:01')!);
    frame.setSource(parseMac('02-00-00-00-00-02')!);
    frame.setVlan(0, { pcp: 7, dei: false, vid: 42 });
    frame.setEtherType(EtherType.Ipv6);
    expect(toHex(bytes)).toBe('333300000001020000000002' + '8100e02a86dd');
  });
});

describe('parseEthernet and emitEthernet', () => {
  it('round-trips the real frame byte for byte', () => {
    const result = parseEthernet(ARP_FRAME);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const out = new Uint8Array(ethernetHeaderLength(result.value.header));
    expect(emitEthernet(result.value.header, out)).toBe(14);
    expect(toHex(out)).toBe(toHex(ARP_FRAME.subarray(0, 14)));
  });

  it('refuses to emit what cannot be a header', () => {
    const header = {
      destination: new Uint8Array(6),
      source: new Uint8Array(5),
      vlanTags: [],
      etherType: 0x0800,
    };
    expect(() => emitEthernet(header, new Uint8Array(14))).toThrow(RangeError);
    expect(() =>
      emitEthernet({ ...header, source: new Uint8Array(6) }, new Uint8Array(13)),
    ).toThrow(RangeError);
  });
});

describe('MAC helpers', () => {
  it('parses and formats', () => {
    expect(formatMac(parseMac('AA:bb:0c:0D:ee:FF')!)).toBe('aa:bb:0c:0d:ee:ff');
    expect(parseMac('aa:bb:cc:dd:ee')).toBeUndefined();
    expect(parseMac('aa:bb:cc:dd:ee:fg')).toBeUndefined();
    expect(parseMac('aaa:bb:cc:dd:ee:ff')).toBeUndefined();
  });

  it('classifies addresses', () => {
    const broadcast = parseMac('ff:ff:ff:ff:ff:ff')!;
    const multicast = parseMac('01:00:5e:00:00:fb')!;
    const local = parseMac('02:00:00:00:00:01')!;
    expect(isBroadcastMac(broadcast)).toBe(true);
    expect(isBroadcastMac(multicast)).toBe(false);
    expect(isMulticastMac(multicast)).toBe(true);
    expect(isMulticastMac(local)).toBe(false);
    expect(isLocalMac(local)).toBe(true);
    expect(macEquals(ARP_FRAME, 6, local)).toBe(true);
    expect(macEquals(ARP_FRAME, 0, local)).toBe(false);
    expect(EthernetFrame.unchecked(ARP_FRAME).destinationIs(broadcast)).toBe(true);
  });
});
