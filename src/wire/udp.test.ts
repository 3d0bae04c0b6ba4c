import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../bytes/index.js';
import { parseIpv6Address } from './ipv6.js';
import { UdpDatagram, emitUdp, parseUdp } from './udp.js';

// The DNS query of tcpdump's dns_udp.pcap: 192.168.1.11:43966 -> 209.87.249.18:53, checksum 7824.
const SOURCE = 0xc0a8010b;
const DESTINATION = 0xd157f912;
const DNS = fromHex(`
  abbe 0035 0040 7824
  5934 0120 0001 0000 0000 0001 0377 7777 0774 6370 6475 6d70 036f 7267 0000 0100
  0100 0029 1000 0000 0000 000c 000a 0008 42f5 d009 96f9 0b13`);

function code(result: { ok: boolean; failure?: { code: string } }): string {
  return result.ok ? 'ok' : (result.failure?.code ?? '?');
}

describe('UdpDatagram', () => {
  it('reads a real datagram and verifies its checksum', () => {
    const result = UdpDatagram.checked(DNS);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const udp = result.value;
    expect([udp.sourcePort, udp.destinationPort, udp.length]).toEqual([43966, 53, 64]);
    expect(udp.payload.length).toBe(56);
    expect(udp.verifyChecksumIpv4(SOURCE, DESTINATION)).toBe(true);
    expect(udp.verifyChecksumIpv4(SOURCE + 1, DESTINATION)).toBe(false);
  });

  it('fills the checksum in place', () => {
    const bytes = DNS.slice();
    const udp = UdpDatagram.unchecked(bytes);
    udp.setChecksum(0x1234);
    udp.fillChecksumIpv4(SOURCE, DESTINATION);
    expect(udp.checksum).toBe(0x7824);
  });

  it('treats a zero checksum as none over IPv4 but not over IPv6', () => {
    const bytes = DNS.slice();
    const udp = UdpDatagram.unchecked(bytes);
    udp.setChecksum(0);
    expect(udp.verifyChecksumIpv4(SOURCE, DESTINATION)).toBe(true);
    const a = parseIpv6Address('2001:db8::1')!;
    const b = parseIpv6Address('2001:db8::2')!;
    expect(udp.verifyChecksumIpv6(a, b)).toBe(false);
    udp.fillChecksumIpv6(a, b);
    expect(udp.checksum).not.toBe(0);
    expect(udp.verifyChecksumIpv6(a, b)).toBe(true);
    expect(udp.verifyChecksumIpv6(b, parseIpv6Address('2001:db8::3')!)).toBe(false);
  });

  it('sends a computed zero as 0xffff (RFC 768)', () => {
    // 0.0.0.0 -> 0.0.255.222, ports 0, length 8: pseudo-header and header sum to
    // 0xffde + 17 + 8 + 8 = 0xffff, so the computed checksum is zero.
    const bytes = fromHex('0000 0000 0008 0000');
    const udp = UdpDatagram.unchecked(bytes);
    udp.fillChecksumIpv4(0, 0xffde);
    expect(udp.checksum).toBe(0xffff);
    expect(udp.verifyChecksumIpv4(0, 0xffde)).toBe(true);
  });

  it('ignores bytes after Length and fails with stable codes', () => {
    const padded = new Uint8Array(DNS.length + 4);
    padded.set(DNS);
    const result = parseUdp(padded);
    expect(result.ok && result.value.payload.length).toBe(56);
    expect(code(parseUdp(DNS.subarray(0, 7)))).toBe('truncated');
    expect(code(parseUdp(DNS.subarray(0, 63)))).toBe('truncated');
    const short = DNS.slice();
    short[5] = 7;
    expect(code(parseUdp(short))).toBe('bad-length');
  });

  it('round-trips the real header', () => {
    const result = parseUdp(DNS);
    if (!result.ok) throw new Error('fixture');
    expect(result.value.header).toEqual({
      sourcePort: 43966,
      destinationPort: 53,
      length: 64,
      checksum: 0x7824,
    });
    const out = new Uint8Array(8);
    expect(emitUdp(result.value.header, out)).toBe(8);
    expect(toHex(out)).toBe(toHex(DNS.subarray(0, 8)));
    expect(() => emitUdp(result.value.header, out, 1)).toThrow(RangeError);
  });
});
