import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../bytes/index.js';
import { formatMac } from './ethernet.js';
import { IpProtocol } from './ip-protocol.js';
import {
  Ipv6Packet,
  emitIpv6,
  formatIpv6Address,
  ipv6AddressEquals,
  ipv6MulticastMac,
  isIpv6LinkLocal,
  isIpv6Multicast,
  isIpv6SolicitedNode,
  isIpv6Unspecified,
  parseIpv6,
  parseIpv6Address,
  solicitedNodeMulticast,
  walkIpv6Extensions,
} from './ipv6.js';

// An MLDv2 report from tcpdump's icmpv6.pcap: a Hop-by-Hop header (Router Alert) before ICMPv6.
const MLD = fromHex(`
  6000 0000 0024 00 01                          # payload 36, next header Hop-by-Hop, hop limit 1
  fe80 0000 0000 0000 0215 17ff fecc e546       # source
  ff02 0000 0000 0000 0000 0000 0000 0016       # destination ff02::16
  3a 00 0502 0000 0100                          # HBH: next ICMPv6, Router Alert, PadN
  8f00 1fc5 0000 0001 0400 0000 ff02 0000 0000 0000 0000 0db8 1122 3344`);

/** An IPv6 packet from fe80::1 to fe80::2 with `payload` after next header `nextHeader`. */
function packet(nextHeader: number, payload: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(40 + payload.length);
  emitIpv6(
    {
      trafficClass: 0,
      flowLabel: 0,
      payloadLength: payload.length,
      nextHeader,
      hopLimit: 64,
      sourceAddress: parseIpv6Address('fe80::1')!,
      destinationAddress: parseIpv6Address('fe80::2')!,
    },
    bytes,
  );
  bytes.set(payload, 40);
  return bytes;
}

function code(result: { ok: boolean; failure?: { code: string } }): string {
  return result.ok ? 'ok' : (result.failure?.code ?? '?');
}

describe('Ipv6Packet', () => {
  it('reads a real packet and finds ICMPv6 behind Hop-by-Hop', () => {
    const result = Ipv6Packet.checked(MLD);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const ip = result.value;
    expect(ip.version).toBe(6);
    expect(ip.payloadLength).toBe(36);
    expect(ip.nextHeader).toBe(IpProtocol.HopByHop);
    expect(ip.hopLimit).toBe(1);
    expect(formatIpv6Address(ip.sourceAddress)).toBe('fe80::215:17ff:fecc:e546');
    expect(formatIpv6Address(ip.destinationAddress)).toBe('ff02::16');
    expect(ip.upperLayerProtocol).toBe(IpProtocol.Icmpv6);
    expect(ip.upperLayerOffset).toBe(48);

    const walk = walkIpv6Extensions(ip.nextHeader, ip.payload);
    expect(walk.ok).toBe(true);
    if (!walk.ok) return;
    expect(walk.value.upperLayerProtocol).toBe(IpProtocol.Icmpv6);
    expect(walk.value.upperLayerOffset).toBe(8);
    expect(walk.value.headers.map((h) => [h.type, h.nextHeader, h.offset, h.bytes.length])).toEqual(
      [[0, 58, 0, 8]],
    );
    expect(walk.value.fragment).toBeUndefined();
  });

  it('reads traffic class and flow label', () => {
    const bytes = MLD.slice();
    Ipv6Packet.unchecked(bytes).setVersionClassFlow(0xb8, 0xabcde);
    const ip = Ipv6Packet.unchecked(bytes);
    expect([ip.version, ip.trafficClass, ip.flowLabel]).toEqual([6, 0xb8, 0xabcde]);
    expect(toHex(bytes.subarray(0, 4))).toBe('6b8abcde');
  });

  it('ignores padding and fails on a short payload', () => {
    const padded = new Uint8Array(MLD.length + 6);
    padded.set(MLD);
    const result = parseIpv6(padded);
    expect(result.ok && result.value.payload.length).toBe(36);
    expect(code(Ipv6Packet.checked(MLD.subarray(0, 39)))).toBe('truncated');
    expect(code(Ipv6Packet.checked(MLD.subarray(0, 75)))).toBe('truncated');
    const v4 = MLD.slice();
    v4[0] = 0x40;
    expect(code(parseIpv6(v4))).toBe('bad-version');
  });

  it('round-trips the real header byte for byte', () => {
    const result = parseIpv6(MLD);
    if (!result.ok) throw new Error('fixture');
    const out = new Uint8Array(40);
    expect(emitIpv6(result.value.header, out)).toBe(40);
    expect(toHex(out)).toBe(toHex(MLD.subarray(0, 40)));
    expect(() => emitIpv6(result.value.header, new Uint8Array(39))).toThrow(RangeError);
  });
});

describe('extension headers', () => {
  it('walks Hop-by-Hop, Destination Options, Routing, AH and a first fragment', () => {
    const payload = fromHex(`
      3c 00 0104 0000 0000          # HBH -> Dest Opts, PadN
      2b 00 0104 0000 0000          # Dest Opts -> Routing
      33 00 00 00 0000 0000         # Routing (type 0, segments left 0) -> AH
      2c 02 0000 0000 0100 0000 0001  0000 0000   # AH (16 bytes: length 2) -> Fragment
      11 00 0001 1234 5678          # Fragment offset 0, M=1 -> UDP
      1234 5678 0008 0000           # UDP header`);
    const ip = Ipv6Packet.unchecked(packet(IpProtocol.HopByHop, payload));
    expect(ip.upperLayerProtocol).toBe(IpProtocol.Udp);
    expect(ip.upperLayerOffset).toBe(40 + 48);
    const walk = walkIpv6Extensions(IpProtocol.HopByHop, payload);
    expect(walk.ok).toBe(true);
    if (!walk.ok) return;
    expect(walk.value.headers.map((h) => h.type)).toEqual([0, 60, 43, 51, 44]);
    expect(walk.value.upperLayerOffset).toBe(48);
    expect(walk.value.fragment).toEqual({
      fragmentOffset: 0,
      moreFragments: true,
      identification: 0x12345678,
    });
  });

  it('stops at a later fragment, whose data is not a header', () => {
    const payload = fromHex('11 00 00b9 0000 0001  3c00 0000 0000 0000');
    const walk = walkIpv6Extensions(IpProtocol.Ipv6Fragment, payload);
    expect(walk.ok).toBe(true);
    if (!walk.ok) return;
    expect(walk.value.upperLayerProtocol).toBe(IpProtocol.Udp);
    expect(walk.value.upperLayerOffset).toBe(8);
    expect(walk.value.fragment).toEqual({
      fragmentOffset: 23,
      moreFragments: true,
      identification: 1,
    });
  });

  it('reports No Next Header and an unknown upper layer as they are', () => {
    const none = walkIpv6Extensions(
      IpProtocol.Ipv6DestinationOptions,
      fromHex('3b00 0104 0000 0000'),
    );
    expect(none.ok && [none.value.upperLayerProtocol, none.value.upperLayerOffset]).toEqual([
      59, 8,
    ]);
    const esp = walkIpv6Extensions(IpProtocol.Esp, fromHex('0000 0001'));
    expect(esp.ok && esp.value.upperLayerProtocol).toBe(IpProtocol.Esp);
  });

  it('fails on a cut-off header, a late Hop-by-Hop or too many headers', () => {
    expect(code(walkIpv6Extensions(0, fromHex('3a01 0000 0000 0000')))).toBe('truncated');
    expect(code(walkIpv6Extensions(0, fromHex('3a00 0000')))).toBe('truncated');
    expect(code(walkIpv6Extensions(60, fromHex('0000 0104 0000 0000 3a00 0104 0000 0000')))).toBe(
      'bad-extension-order',
    );
    const chain = new Uint8Array(8 * 20);
    for (let i = 0; i < 20; i++) chain[8 * i] = 60;
    expect(code(walkIpv6Extensions(60, chain))).toBe('too-many-extension-headers');
    expect(code(walkIpv6Extensions(60, chain, 0, 32))).toBe('truncated');
    const ip = Ipv6Packet.unchecked(packet(60, chain));
    expect(ip.upperLayerProtocol).toBe(-1);
    expect(ip.upperLayerOffset).toBe(-1);
  });
});

describe('address helpers', () => {
  it('formats as RFC 5952 recommends', () => {
    const cases: [string, string][] = [
      ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // first of two equal runs
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group stays
      ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // the longest run wins
      ['0:0:0:0:0:0:0:0', '::'],
      ['0:0:0:0:0:0:0:1', '::1'],
      ['fe80:0:0:0:0:0:0:0', 'fe80::'],
      ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
      ['2001:DB8::AbCd', '2001:db8::abcd'],
      ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
      ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ];
    for (const [input, expected] of cases) {
      const bytes = parseIpv6Address(input);
      expect(bytes, input).toBeDefined();
      expect(formatIpv6Address(bytes!)).toBe(expected);
    }
  });

  it('refuses what is not an address', () => {
    for (const bad of [
      '',
      ':',
      ':::',
      '1::2::3',
      '1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:8:9',
      '12345::',
      'g::1',
      ':1::',
      '1::2:',
      '::1.2.3',
      '::256.1.1.1',
      '1.2.3.4',
      'fe80::1%eth0',
      '1:2:3:4:5:6:7:1.2.3.4',
    ]) {
      expect(parseIpv6Address(bad), bad).toBeUndefined();
    }
  });

  it('classifies and derives addresses', () => {
    const linkLocal = parseIpv6Address('fe80::215:17ff:fecc:e546')!;
    expect(isIpv6LinkLocal(linkLocal)).toBe(true);
    expect(isIpv6LinkLocal(parseIpv6Address('fec0::1')!)).toBe(false);
    expect(isIpv6Multicast(parseIpv6Address('ff02::1')!)).toBe(true);
    expect(isIpv6Unspecified(parseIpv6Address('::')!)).toBe(true);
    expect(isIpv6Unspecified(parseIpv6Address('::1')!)).toBe(false);
    const solicited = solicitedNodeMulticast(linkLocal);
    expect(formatIpv6Address(solicited)).toBe('ff02::1:ffcc:e546');
    expect(isIpv6SolicitedNode(solicited)).toBe(true);
    expect(isIpv6SolicitedNode(linkLocal)).toBe(false);
    expect(formatMac(ipv6MulticastMac(solicited))).toBe('33:33:ff:cc:e5:46');
    expect(formatMac(ipv6MulticastMac(parseIpv6Address('ff02::16')!))).toBe('33:33:00:00:00:16');
    expect(ipv6AddressEquals(MLD, 8, linkLocal)).toBe(true);
    expect(ipv6AddressEquals(MLD, 24, linkLocal)).toBe(false);
  });
});
