import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../bytes/index.js';
import { IpProtocol } from './ip-protocol.js';
import {
  Ipv4OptionType,
  Ipv4Packet,
  emitIpv4,
  formatIpv4Address,
  ipv4AddressFromBytes,
  ipv4AddressToBytes,
  ipv4HeaderLength,
  isIpv4Multicast,
  parseIpv4,
  parseIpv4Address,
  walkIpv4Options,
} from './ipv4.js';

// A ping from inside tcpdump's vxlan.pcap: 192.168.203.3 -> 192.168.203.5, DF, TTL 64.
const PING = fromHex(`
  4500 0054 0000 4000 4001 234f c0a8 cb03 c0a8 cb05
  0800 f6f2 050c 0001 fce2 9751 0000 0000 a6f8 0200 0000 0000
  1011 1213 1415 1617 1819 1a1b 1c1d 1e1f 2021 2223 2425 2627
  2829 2a2b 2c2d 2e2f 3031 3233 3435 3637`);

// An IGMPv2 report with a Router Alert option (RFC 2113), IHL 6; checksum by python.
const IGMP = fromHex(`
  46c0 0020 0000 0000 0102 7169 c0a8 0102 ef01 0203
  9404 0000                # Router Alert, value 0
  1600 f8fa ef01 0203      # IGMPv2 membership report for 239.1.2.3`);

function code(result: { ok: boolean; failure?: { code: string } }): string {
  return result.ok ? 'ok' : (result.failure?.code ?? '?');
}

describe('Ipv4Packet', () => {
  it('reads a real datagram', () => {
    const result = Ipv4Packet.checked(PING);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const ip = result.value;
    expect(ip.version).toBe(4);
    expect(ip.headerLength).toBe(20);
    expect(ip.totalLength).toBe(84);
    expect(ip.dontFragment).toBe(true);
    expect(ip.moreFragments).toBe(false);
    expect(ip.isFragment).toBe(false);
    expect(ip.timeToLive).toBe(64);
    expect(ip.protocol).toBe(IpProtocol.Icmp);
    expect(formatIpv4Address(ip.sourceAddress)).toBe('192.168.203.3');
    expect(formatIpv4Address(ip.destinationAddress)).toBe('192.168.203.5');
    expect(ip.verifyChecksum()).toBe(true);
    expect(ip.payload.length).toBe(64);
  });

  it('ignores Ethernet padding after Total Length', () => {
    const padded = new Uint8Array(IGMP.length + 14);
    padded.set(IGMP);
    const result = parseIpv4(padded);
    expect(result.ok).toBe(true);
    if (result.ok) expect(toHex(result.value.payload)).toBe('1600f8faef010203');
  });

  it('flags fragments', () => {
    const fragment = PING.slice();
    const ip = Ipv4Packet.unchecked(fragment);
    ip.setFragment(false, true, 0);
    expect(ip.isFragment).toBe(true);
    expect(ip.moreFragments).toBe(true);
    ip.setFragment(false, false, 185);
    expect(ip.isFragment).toBe(true);
    expect(ip.fragmentOffset).toBe(185);
    expect(ip.dontFragment).toBe(false);
  });

  it('fails with stable codes', () => {
    expect(code(Ipv4Packet.checked(PING.subarray(0, 19)))).toBe('truncated');
    expect(code(Ipv4Packet.checked(PING.subarray(0, 83)))).toBe('truncated');
    const shortIhl = PING.slice();
    shortIhl[0] = 0x44;
    expect(code(Ipv4Packet.checked(shortIhl))).toBe('bad-header-length');
    const longIhl = PING.slice(0, 40);
    longIhl[0] = 0x4f;
    expect(code(Ipv4Packet.checked(longIhl))).toBe('truncated');
    const shortTotal = PING.slice();
    shortTotal[3] = 19;
    expect(code(Ipv4Packet.checked(shortTotal))).toBe('bad-length');
    const v6 = PING.slice();
    v6[0] = 0x65;
    expect(code(parseIpv4(v6))).toBe('bad-version');
    const corrupt = PING.slice();
    corrupt[8] = 1;
    expect(code(parseIpv4(corrupt))).toBe('bad-checksum');
    expect(code(parseIpv4(corrupt, { verifyChecksum: false }))).toBe('ok');
  });

  it('fills the checksum in place after an edit', () => {
    const bytes = PING.slice();
    const ip = Ipv4Packet.unchecked(bytes);
    ip.setTimeToLive(63);
    expect(ip.verifyChecksum()).toBe(false);
    ip.fillChecksum();
    expect(ip.verifyChecksum()).toBe(true);
    expect(ip.checksum).toBe(0x244f);
  });
});

describe('options', () => {
  it('keeps options raw and walks them', () => {
    const result = parseIpv4(IGMP);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(toHex(result.value.header.options)).toBe('94040000');
    const options = walkIpv4Options(result.value.header.options);
    expect(options.ok).toBe(true);
    if (!options.ok) return;
    expect(options.value).toHaveLength(1);
    expect(options.value[0]?.type).toBe(Ipv4OptionType.RouterAlert);
    expect(toHex(options.value[0]!.data)).toBe('0000');
  });

  it('stops at End of Options and lists No Operation', () => {
    const options = walkIpv4Options(fromHex('01 01 0703 00 00 ffff'));
    expect(options.ok && options.value.map((o) => [o.type, o.data.length])).toEqual([
      [1, 0],
      [1, 0],
      [7, 1],
    ]);
  });

  it('fails with bad-option on a bad length', () => {
    expect(code(walkIpv4Options(fromHex('0701')))).toBe('bad-option');
    expect(code(walkIpv4Options(fromHex('0709 0000')))).toBe('bad-option');
    expect(code(walkIpv4Options(fromHex('01 07')))).toBe('bad-option');
  });
});

describe('parseIpv4 and emitIpv4', () => {
  it('round-trips real headers byte for byte', () => {
    for (const bytes of [PING, IGMP]) {
      const result = parseIpv4(bytes);
      expect(result.ok).toBe(true);
      if (!result.ok) continue;
      const out = new Uint8Array(ipv4HeaderLength(result.value.header));
      emitIpv4(result.value.header, out);
      expect(toHex(out)).toBe(toHex(bytes.subarray(0, out.length)));
    }
  });

  it('refuses options that are not whole words', () => {
    const result = parseIpv4(PING);
    if (!result.ok) throw new Error('fixture');
    const header = { ...result.value.header, options: new Uint8Array(3) };
    expect(() => emitIpv4(header, new Uint8Array(60))).toThrow(RangeError);
    expect(() => emitIpv4({ ...header, options: new Uint8Array(44) }, new Uint8Array(80))).toThrow(
      RangeError,
    );
    expect(() => emitIpv4(result.value.header, new Uint8Array(19))).toThrow(RangeError);
  });
});

describe('address helpers', () => {
  it('parses and formats dotted quads', () => {
    expect(parseIpv4Address('192.0.2.1')).toBe(0xc0000201);
    expect(parseIpv4Address('255.255.255.255')).toBe(0xffffffff);
    expect(parseIpv4Address('0.0.0.0')).toBe(0);
    for (const bad of ['256.0.0.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.-4', '', 'a.b.c.d']) {
      expect(parseIpv4Address(bad)).toBeUndefined();
    }
    expect(formatIpv4Address(0xc0000201)).toBe('192.0.2.1');
    expect(formatIpv4Address(fromHex('0a c8 00 02'))).toBe('10.200.0.2');
    expect(toHex(ipv4AddressToBytes(0xc0a80101))).toBe('c0a80101');
    expect(ipv4AddressFromBytes(fromHex('ff c0a80101'), 1)).toBe(0xc0a80101);
    expect(isIpv4Multicast(parseIpv4Address('239.1.2.3')!)).toBe(true);
    expect(isIpv4Multicast(parseIpv4Address('192.1.2.3')!)).toBe(false);
  });
});
