import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../bytes/index.js';
import {
  Icmpv4Packet,
  Icmpv4Type,
  Icmpv4UnreachableCode,
  emitIcmpv4,
  icmpv4MessageLength,
  parseIcmpv4,
  quoteIpv4Datagram,
  type Icmpv4Message,
} from './icmpv4.js';
import { parseIpv4 } from './ipv4.js';
import { parseUdp } from './udp.js';

// The echo request of a real ping (tcpdump's vxlan.pcap): id 1292, seq 1, 56 bytes of data.
const ECHO = fromHex(`
  0800 f6f2 050c 0001
  fce2 9751 0000 0000 a6f8 0200 0000 0000 1011 1213 1415 1617 1819 1a1b 1c1d 1e1f
  2021 2223 2425 2627 2829 2a2b 2c2d 2e2f 3031 3233 3435 3637`);

// Port unreachable from 209.87.249.18 quoting the DNS query of tcpdump's dns_udp.pcap
// (its IP header and first 8 bytes); checksums by python.
const PORT_UNREACHABLE = fromHex(`
  45c0 0038 1234 0000 4001 dbb3 d157 f912 c0a8 010b
  0303 d8a4 0000 0000
  4500 0054 59cd 0000 4011 94ae c0a8 010b d157 f912   # the quoted IP header
  abbe 0035 0040 7824                                 # the quoted UDP header`);

function code(result: { ok: boolean; failure?: { code: string } }): string {
  return result.ok ? 'ok' : (result.failure?.code ?? '?');
}

describe('ICMPv4', () => {
  it('reads a real echo request', () => {
    const result = parseIcmpv4(ECHO);
    expect(result.ok).toBe(true);
    if (!result.ok || result.value.kind !== 'echo-request') throw new Error('not an echo request');
    expect(result.value.identifier).toBe(1292);
    expect(result.value.sequenceNumber).toBe(1);
    expect(result.value.data.length).toBe(56);
  });

  it('turns the request into its reply in place', () => {
    const bytes = ECHO.slice();
    const packet = Icmpv4Packet.unchecked(bytes);
    packet.setType(Icmpv4Type.EchoReply);
    packet.fillChecksum();
    // The reply in the same capture carries checksum fef2.
    expect(packet.checksum).toBe(0xfef2);
    expect(packet.verifyChecksum()).toBe(true);
  });

  it('reads a port unreachable and the datagram it quotes', () => {
    const ip = parseIpv4(PORT_UNREACHABLE);
    if (!ip.ok) throw new Error('fixture');
    const result = parseIcmpv4(ip.value.payload);
    expect(result.ok).toBe(true);
    if (!result.ok || result.value.kind !== 'destination-unreachable') throw new Error('kind');
    expect(result.value.code).toBe(Icmpv4UnreachableCode.PortUnreachable);
    const quoted = parseIpv4(result.value.original, { verifyChecksum: true });
    // The quote holds only the first 8 bytes of the payload, so Total Length runs past it.
    expect(code(quoted)).toBe('truncated');
    const header = Icmpv4Packet.unchecked(ip.value.payload).payload;
    expect(toHex(header.subarray(0, 4))).toBe('45000054');
    const udp = parseUdp(header.subarray(20));
    expect(code(udp)).toBe('truncated');
  });

  it('builds a port unreachable from the datagram it answers', () => {
    const query = fromHex('4500 0054 59cd 0000 4011 94ae c0a8 010b d157 f912 abbe 0035 0040 7824');
    const message: Icmpv4Message = {
      kind: 'destination-unreachable',
      code: Icmpv4UnreachableCode.PortUnreachable,
      unused: 0,
      nextHopMtu: 0,
      original: quoteIpv4Datagram(query),
    };
    const out = new Uint8Array(icmpv4MessageLength(message));
    emitIcmpv4(message, out);
    expect(toHex(out)).toBe(toHex(PORT_UNREACHABLE.subarray(20)));
    expect(quoteIpv4Datagram(new Uint8Array(1500)).length).toBe(548);
  });

  it('reads fragmentation needed with its next-hop MTU', () => {
    const message: Icmpv4Message = {
      kind: 'destination-unreachable',
      code: Icmpv4UnreachableCode.FragmentationNeeded,
      unused: 0,
      nextHopMtu: 1400,
      original: new Uint8Array(28),
    };
    const out = new Uint8Array(icmpv4MessageLength(message));
    emitIcmpv4(message, out);
    expect(toHex(out.subarray(4, 8))).toBe('00000578');
    expect(parseIcmpv4(out)).toEqual({ ok: true, value: message });
  });

  it('reads time exceeded and keeps other types raw', () => {
    const exceeded = fromHex('0b00 f4ff 0000 0000');
    expect(parseIcmpv4(exceeded)).toEqual({
      ok: true,
      value: { kind: 'time-exceeded', code: 0, unused: 0, original: new Uint8Array(0) },
    });
    const timestamp = new Uint8Array(20);
    const message: Icmpv4Message = {
      kind: 'other',
      type: Icmpv4Type.Timestamp,
      code: 0,
      rest: 0x00010002,
      data: new Uint8Array(12).fill(7),
    };
    emitIcmpv4(message, timestamp);
    expect(parseIcmpv4(timestamp)).toEqual({ ok: true, value: message });
  });

  it('fails with truncated and bad-checksum', () => {
    expect(code(parseIcmpv4(ECHO.subarray(0, 7)))).toBe('truncated');
    const corrupt = ECHO.slice();
    corrupt[20] = (corrupt[20] ?? 0) ^ 1;
    expect(code(parseIcmpv4(corrupt))).toBe('bad-checksum');
    expect(code(parseIcmpv4(corrupt, { verifyChecksum: false }))).toBe('ok');
  });

  it('round-trips the real echo byte for byte', () => {
    const result = parseIcmpv4(ECHO);
    if (!result.ok) throw new Error('fixture');
    const out = new Uint8Array(icmpv4MessageLength(result.value) + 4);
    expect(emitIcmpv4(result.value, out, 4)).toBe(ECHO.length);
    expect(toHex(out.subarray(4))).toBe(toHex(ECHO));
    expect(() => emitIcmpv4(result.value, new Uint8Array(10))).toThrow(RangeError);
  });
});
