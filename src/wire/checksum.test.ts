import { describe, expect, it } from 'vitest';
import { fromHex } from '../bytes/index.js';
import {
  finishChecksum,
  foldChecksum,
  internetChecksum,
  ipv4PseudoHeaderSum,
  ipv6PseudoHeaderSum,
  onesComplementSum,
  sumBytes,
  updateChecksum,
  updateChecksum32,
  verifyInternetChecksum,
} from './checksum.js';

/** The textbook 16-bit loop, to check the 32-bit fast path against. */
function reference(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += ((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

describe('internet checksum (RFC 1071)', () => {
  it('matches the RFC 1071 §3 example', () => {
    // 00 01 f2 03 f4 f5 f6 f7: the folded sum is ddf2, so the checksum is 220d.
    const bytes = fromHex('0001 f203 f4f5 f6f7');
    expect(foldChecksum(onesComplementSum(bytes))).toBe(0xddf2);
    expect(internetChecksum(bytes)).toBe(0x220d);
  });

  it('verifies a real IPv4 header and rejects it once a bit flips', () => {
    // From a DNS query in tcpdump's dns_udp.pcap: checksum 94ae.
    const header = fromHex('4500 0054 59cd 0000 4011 94ae c0a8 010b d157 f912');
    expect(verifyInternetChecksum(header)).toBe(true);
    header[8] = 0x3f;
    expect(verifyInternetChecksum(header)).toBe(false);
  });

  it('pads an odd final byte with zero', () => {
    expect(internetChecksum(fromHex('01'))).toBe(~0x0100 & 0xffff);
    expect(internetChecksum(fromHex('0102 03'))).toBe(reference(fromHex('0102 03')));
  });

  it('agrees with the 16-bit loop at every length and byte offset', () => {
    const backing = new Uint8Array(300);
    for (let i = 0; i < backing.length; i++) backing[i] = (i * 151 + 7) & 0xff;
    for (let start = 0; start < 4; start++) {
      for (let length = 0; length < 80; length++) {
        const bytes = backing.subarray(start, start + length);
        expect(internetChecksum(bytes)).toBe(reference(bytes));
      }
    }
  });

  it('sums a buffer of all ones without losing carries', () => {
    const bytes = new Uint8Array(70000).fill(0xff);
    expect(internetChecksum(bytes)).toBe(reference(bytes));
  });

  it('reads through a view into a larger buffer (byteOffset respected)', () => {
    const backing = fromHex('dead beef 0001 f203 f4f5 f6f7 cafe');
    expect(internetChecksum(backing.subarray(4, 12))).toBe(0x220d);
  });

  it('updates incrementally as RFC 1624 describes', () => {
    const header = fromHex('4500 0054 59cd 0000 4011 94ae c0a8 010b d157 f912');
    const view = new DataView(header.buffer);
    // Decrement the TTL (high byte of word 4): old word 0x4011, new 0x3f11.
    const updated = updateChecksum(0x94ae, 0x4011, 0x3f11);
    view.setUint16(8, 0x3f11);
    view.setUint16(10, 0);
    expect(updated).toBe(internetChecksum(header));
    // Rewrite the source address.
    view.setUint16(10, updated);
    const rewritten = updateChecksum32(updated, 0xc0a8010b, 0x0a000001);
    view.setUint32(12, 0x0a000001);
    view.setUint16(10, 0);
    expect(rewritten).toBe(internetChecksum(header));
  });

  it('finishes a zero sum as 0xffff', () => {
    expect(finishChecksum(0)).toBe(0xffff);
    expect(verifyInternetChecksum(fromHex('0000 ffff'))).toBe(true);
  });
});

describe('pseudo-header sums', () => {
  it('verifies a real UDP datagram over IPv4', () => {
    // dns_udp.pcap frame 1: 192.168.1.11:43966 -> 209.87.249.18:53, checksum 7824.
    const udp = fromHex(`
      abbe 0035 0040 7824 5934 0120 0001 0000 0000 0001 0377 7777 0774 6370 6475 6d70
      036f 7267 0000 0100 0100 0029 1000 0000 0000 000c 000a 0008 42f5 d009 96f9 0b13`);
    const initial = ipv4PseudoHeaderSum(0xc0a8010b, 0xd157f912, 17, udp.length);
    expect(verifyInternetChecksum(udp, initial)).toBe(true);
    expect(verifyInternetChecksum(udp, initial + 1)).toBe(false);
  });

  it('verifies an ICMPv6 neighbor solicitation over IPv6', () => {
    const source = fromHex('fe80 0000 0000 0000 0000 0000 0000 0002');
    const destination = fromHex('ff02 0000 0000 0000 0000 0001 ff00 0001');
    const ns = fromHex(
      '8700 7a97 0000 0000 fe80 0000 0000 0000 0000 0000 0000 0001 0101 0200 0000 0002',
    );
    const initial = ipv6PseudoHeaderSum(source, destination, 58, ns.length);
    expect(verifyInternetChecksum(ns, initial)).toBe(true);
  });

  it('sumBytes agrees with internetChecksum on odd and even lengths, long inputs and ranges', () => {
    for (const length of [0, 1, 2, 3, 20, 1481, 70_000]) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 131 + 7) & 0xff);
      expect(finishChecksum(sumBytes(bytes, 0, length))).toBe(internetChecksum(bytes));
    }
    const bytes = fromHex('ff ff 45 00 00 1c ff');
    expect(finishChecksum(sumBytes(bytes, 2, 6))).toBe(internetChecksum(bytes.subarray(2, 6)));
  });
});
