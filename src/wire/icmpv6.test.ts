import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../bytes/index.js';
import { formatMac } from './ethernet.js';
import {
  Icmpv6Packet,
  Icmpv6Type,
  emitIcmpv6,
  emitNdOptions,
  icmpv6MessageLength,
  parseIcmpv6,
  parseNdOptions,
  type Icmpv6Message,
} from './icmpv6.js';
import { formatIpv6Address, parseIpv6, parseIpv6Address } from './ipv6.js';

// A router advertisement from tcpdump's icmpv6.pcap, IPv6 header first (checksum 2401 is good).
const RA_PACKET = fromHex(`
  6000 0000 00b0 3aff fe80 0000 0000 0000 b299 28ff fec8 d66c ff02 0000 0000 0000 0000 0000 0000 0001
  8600 2401 40 20 000f 0000 0000 0000 0000      # RA: hop limit 64, flags H, lifetime 15
  0304 48c0 0027 8d00 0009 3a80 0000 0000       # prefix information 2222:3333:4444:5555:6600::/72, L+A
  2222 3333 4444 5555 6600 0000 0000 0000
  1905 0000 0000 0005 abcd 0000 0000 0000 0000 0000 0000 efef 1234 5678 0000 0000 0000 0000 0000 0001
  1f07 0000 0000 0005 0765 7861 6d70 6c65 0363 6f6d 0007 6578 616d 706c 6503 6f72 6700
  0464 6f6d 3104 646f 6d32 0374 6c64 0000 0000 0000 0000
  0501 0000 0000 0064                           # MTU 100
  0101 b099 28c8 d66c                           # source link-layer address
  0701 0000 0000 1388                           # advertisement interval (kept raw)
  0801 0000 c351 000f                           # home agent information (kept raw)`);

// A neighbor solicitation from fe80::2 for fe80::1 to ff02::1:ff00:1; checksum by python.
const NS_SOURCE = parseIpv6Address('fe80::2')!;
const NS_DESTINATION = parseIpv6Address('ff02::1:ff00:1')!;
const NS = fromHex(`
  8700 7a97 0000 0000
  fe80 0000 0000 0000 0000 0000 0000 0001       # target fe80::1
  0101 0200 0000 0002                           # source link-layer address 02:00:00:00:00:02`);
// Its answer: from fe80::1 to fe80::2, flags S and O, with the target link-layer address.
const NA = fromHex(`
  8800 181c 6000 0000
  fe80 0000 0000 0000 0000 0000 0000 0001
  0201 0200 0000 0001`);

function code(result: { ok: boolean; failure?: { code: string } }): string {
  return result.ok ? 'ok' : (result.failure?.code ?? '?');
}

describe('ICMPv6', () => {
  it('reads a real router advertisement with its options', () => {
    const ip = parseIpv6(RA_PACKET);
    if (!ip.ok) throw new Error('fixture');
    const result = parseIcmpv6(ip.value.payload, ip.value.header);
    expect(result.ok).toBe(true);
    if (!result.ok || result.value.kind !== 'router-advertisement') throw new Error('kind');
    const ra = result.value;
    expect([ra.currentHopLimit, ra.managed, ra.other, ra.reservedFlags, ra.routerLifetime]).toEqual(
      [64, false, false, 0x20, 15],
    );
    expect(ra.options.map((o) => (o.kind === 'other' ? o.type : o.kind))).toEqual([
      'prefix-information',
      25,
      31,
      'mtu',
      'source-link-layer-address',
      7,
      8,
    ]);
    const prefix = ra.options[0];
    if (prefix?.kind !== 'prefix-information') throw new Error('prefix');
    expect(formatIpv6Address(prefix.prefix)).toBe('2222:3333:4444:5555:6600::');
    expect([prefix.prefixLength, prefix.onLink, prefix.autonomous]).toEqual([72, true, true]);
    expect([prefix.validLifetime, prefix.preferredLifetime]).toEqual([2592000, 604800]);
    expect(ra.options[3]).toEqual({ kind: 'mtu', reserved: 0, mtu: 100 });
    const slla = ra.options[4];
    expect(slla?.kind === 'source-link-layer-address' && formatMac(slla.address)).toBe(
      'b0:99:28:c8:d6:6c',
    );

    // Emitting the parsed value gives back the same bytes, checksum included.
    const out = new Uint8Array(icmpv6MessageLength(ra));
    emitIcmpv6(ra, ip.value.header, out);
    expect(toHex(out)).toBe(toHex(ip.value.payload));
  });

  it('reads a neighbor solicitation and verifies its checksum', () => {
    const result = parseIcmpv6(NS, {
      sourceAddress: NS_SOURCE,
      destinationAddress: NS_DESTINATION,
    });
    expect(result.ok).toBe(true);
    if (!result.ok || result.value.kind !== 'neighbor-solicitation') throw new Error('kind');
    expect(formatIpv6Address(result.value.targetAddress)).toBe('fe80::1');
    const option = result.value.options[0];
    expect(option?.kind === 'source-link-layer-address' && formatMac(option.address)).toBe(
      '02:00:00:00:00:02',
    );
    const wrong = parseIcmpv6(NS, { sourceAddress: NS_DESTINATION, destinationAddress: NS_SOURCE });
    expect(wrong.ok).toBe(true); // swapping addresses keeps the sum; change one instead
    const other = parseIcmpv6(NS, {
      sourceAddress: parseIpv6Address('fe80::3')!,
      destinationAddress: NS_DESTINATION,
    });
    expect(code(other)).toBe('bad-checksum');
  });

  it('answers a solicitation with an advertisement (flags R/S/O)', () => {
    const advertisement: Icmpv6Message = {
      kind: 'neighbor-advertisement',
      code: 0,
      router: false,
      solicited: true,
      override: true,
      reserved: 0,
      targetAddress: parseIpv6Address('fe80::1')!,
      options: [{ kind: 'target-link-layer-address', address: fromHex('0200 0000 0001') }],
    };
    const addresses = {
      sourceAddress: parseIpv6Address('fe80::1')!,
      destinationAddress: NS_SOURCE,
    };
    const out = new Uint8Array(icmpv6MessageLength(advertisement));
    emitIcmpv6(advertisement, addresses, out);
    expect(toHex(out)).toBe(toHex(NA));
    const view = Icmpv6Packet.unchecked(out);
    expect([view.routerFlag, view.solicitedFlag, view.overrideFlag]).toEqual([false, true, true]);
    expect(view.verifyChecksum(addresses.sourceAddress, addresses.destinationAddress)).toBe(true);
    expect(parseIcmpv6(out, addresses)).toEqual({ ok: true, value: advertisement });
  });

  it('round-trips echo, errors, RS and redirect', () => {
    const addresses = {
      sourceAddress: parseIpv6Address('2001:db8::1')!,
      destinationAddress: parseIpv6Address('2001:db8::2')!,
    };
    const messages: Icmpv6Message[] = [
      { kind: 'echo-request', code: 0, identifier: 7, sequenceNumber: 9, data: fromHex('6869') },
      { kind: 'echo-reply', code: 0, identifier: 7, sequenceNumber: 9, data: new Uint8Array(0) },
      { kind: 'packet-too-big', code: 0, mtu: 1280, original: new Uint8Array(48) },
      { kind: 'destination-unreachable', code: 4, unused: 0, original: new Uint8Array(48) },
      { kind: 'time-exceeded', code: 1, unused: 0, original: new Uint8Array(40) },
      { kind: 'parameter-problem', code: 1, pointer: 6, original: new Uint8Array(40) },
      { kind: 'router-solicitation', code: 0, reserved: 0, options: [] },
      {
        kind: 'redirect',
        code: 0,
        reserved: 0,
        targetAddress: parseIpv6Address('fe80::9')!,
        destinationAddress: parseIpv6Address('2001:db8::99')!,
        options: [{ kind: 'other', type: 4, data: new Uint8Array(6) }],
      },
      { kind: 'other', type: 143, code: 0, body: fromHex('0000 0000') },
    ];
    for (const message of messages) {
      const out = new Uint8Array(icmpv6MessageLength(message));
      emitIcmpv6(message, addresses, out);
      expect(parseIcmpv6(out, addresses)).toEqual({ ok: true, value: message });
    }
    expect(Icmpv6Packet.unchecked(new Uint8Array([Icmpv6Type.EchoReply])).type).toBe(129);
  });

  it('fails with truncated, bad-option and bad-checksum', () => {
    expect(code(parseIcmpv6(NS.subarray(0, 7)))).toBe('truncated');
    expect(code(parseIcmpv6(NS.subarray(0, 23)))).toBe('truncated');
    expect(code(parseIcmpv6(NS.subarray(0, 30)))).toBe('truncated');
    const zero = NS.slice();
    zero[25] = 0;
    const result = parseIcmpv6(zero);
    expect(code(result)).toBe('bad-option');
    expect(!result.ok && result.failure.offset).toBe(24);
    const corrupt = NS.slice();
    corrupt[30] = (corrupt[30] ?? 0) ^ 0xff;
    expect(
      code(parseIcmpv6(corrupt, { sourceAddress: NS_SOURCE, destinationAddress: NS_DESTINATION })),
    ).toBe('bad-checksum');
  });
});

describe('ND options', () => {
  it('keeps a known option of the wrong length raw', () => {
    const result = parseNdOptions(fromHex('0502 0000 0000 0064 0000 0000 0000 0000'));
    expect(result.ok && result.value).toEqual([
      { kind: 'other', type: 5, data: fromHex('0000 0000 0064 0000 0000 0000 0000') },
    ]);
  });

  it('refuses options that are not whole 8-byte units', () => {
    expect(() =>
      emitNdOptions(
        [{ kind: 'source-link-layer-address', address: new Uint8Array(5) }],
        new Uint8Array(16),
      ),
    ).toThrow(RangeError);
  });
});
