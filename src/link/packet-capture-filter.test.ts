import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePacketFilter } from './packet-capture-filter.js';

function frame(etherType: number, body: number[], vlan = false): Uint8Array {
  const head = [0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2];
  const tag = vlan ? [0x81, 0x00, 0x00, 0x05] : [];
  return Uint8Array.from([...head, ...tag, etherType >> 8, etherType & 0xff, ...body]);
}

function ipv6(nextHeader: number, source: number[], destination: number[]): number[] {
  const out = new Array<number>(40).fill(0);
  out[0] = 0x60;
  out[6] = nextHeader;
  source.forEach((b, i) => (out[8 + i] = b));
  destination.forEach((b, i) => (out[24 + i] = b));
  return out;
}

const DB8_1 = [0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 1];

describe('packet-capture filters', () => {
  it('matches IPv6 addresses and next headers, behind a VLAN tag too', () => {
    const filter = compilePacketFilter({ ipAddresses: ['2001:db8::1'], ipProtocols: [58] });
    expect(filter.matches(frame(0x86dd, ipv6(58, DB8_1, [])))).toBe(true);
    expect(filter.matches(frame(0x86dd, ipv6(58, [], DB8_1), true))).toBe(true);
    expect(filter.matches(frame(0x86dd, ipv6(17, DB8_1, [])))).toBe(false);
    expect(filter.matches(frame(0x86dd, ipv6(58, [], [])))).toBe(false);
    expect(filter.matches(frame(0x0806, new Array<number>(28).fill(0)))).toBe(false);
  });

  it('matches the EtherType after VLAN tags, and link-layer addresses either way', () => {
    expect(compilePacketFilter({ etherTypes: [0x0806] }).matches(frame(0x0806, [], true))).toBe(
      true,
    );
    const byMac = compilePacketFilter({ linkLayerAddresses: ['02-00-00-00-00-02'] });
    expect(byMac.matches(frame(0x0800, []))).toBe(true);
    expect(
      compilePacketFilter({ linkLayerAddresses: ['02:00:00:00:00:03'] }).matches(frame(0x0800, [])),
    ).toBe(false);
  });

  it('keeps the MSFT truncation rules: default 128, minimum 14, 0 = off', () => {
    expect(compilePacketFilter(undefined).truncationLength).toBe(128);
    expect(compilePacketFilter({ truncationLength: 0 }).truncationLength).toBe(0);
    expect(compilePacketFilter({ truncationLength: 14 }).invalid).toBeUndefined();
    expect(compilePacketFilter({ truncationLength: 13 }).invalid).toMatch(/truncationLength/);
    expect(compilePacketFilter({ etherTypes: 'ip' }).invalid).toMatch(/not a list/);
    expect(compilePacketFilter({ ipProtocols: [256] }).invalid).toMatch(/ipProtocols/);
    expect(compilePacketFilter('x').invalid).toMatch(/not an object/);
  });

  it('never throws, whatever the filter data and the frame', () => {
    fc.assert(
      fc.property(fc.anything(), fc.uint8Array({ maxLength: 80 }), (data, bytes) => {
        const filter = compilePacketFilter(data);
        expect(typeof filter.matches(bytes)).toBe('boolean');
      }),
    );
  });
});
