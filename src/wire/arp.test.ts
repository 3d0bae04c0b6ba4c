import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../bytes/index.js';
import { ArpOperation, ArpPacket, arpHeaderLength, emitArp, parseArp } from './arp.js';
import { formatMac } from './ethernet.js';
import { formatIpv4Address } from './ipv4.js';

// The ARP part of a kernel request (research/link.md §3.4): who has 10.200.0.2, tell 10.200.0.1.
const REQUEST = fromHex(`
  0001 0800 06 04 0001      # Ethernet, IPv4, 6/4, request
  0200 0000 0001 0ac8 0001  # sender 02:00:00:00:00:01 10.200.0.1
  0000 0000 0000 0ac8 0002  # target unknown, 10.200.0.2`);

describe('ArpPacket', () => {
  it('reads a real request', () => {
    const result = ArpPacket.checked(REQUEST);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const arp = result.value;
    expect(arp.isEthernetIpv4).toBe(true);
    expect(arp.operation).toBe(ArpOperation.Request);
    expect(formatMac(arp.senderHardwareAddress)).toBe('02:00:00:00:00:01');
    expect(formatIpv4Address(arp.senderIpv4Address)).toBe('10.200.0.1');
    expect(formatIpv4Address(arp.targetIpv4Address)).toBe('10.200.0.2');
    expect(formatIpv4Address(arp.targetProtocolAddress)).toBe('10.200.0.2');
    expect(arp.packetLength).toBe(28);
  });

  it('ignores Ethernet padding after the packet', () => {
    const padded = new Uint8Array(46);
    padded.set(REQUEST);
    const result = parseArp(padded);
    expect(result.ok).toBe(true);
    if (result.ok) expect(arpHeaderLength(result.value)).toBe(28);
  });

  it('fails with truncated when the addresses are cut off', () => {
    for (const bytes of [REQUEST.subarray(0, 7), REQUEST.subarray(0, 27)]) {
      const result = ArpPacket.checked(bytes);
      expect(result.ok ? 'ok' : result.failure.code).toBe('truncated');
    }
    // A too-long hardware length (tcpdump's arp-too-long-tha case) runs past the bytes.
    const tooLong = REQUEST.slice();
    tooLong[4] = 200;
    const result = parseArp(tooLong);
    expect(result.ok ? 'ok' : result.failure.code).toBe('truncated');
  });

  it('answers a request in place', () => {
    const reply = REQUEST.slice();
    const arp = ArpPacket.unchecked(reply);
    const ours = fromHex('0200 0000 0002');
    arp.setOperation(ArpOperation.Reply);
    arp.setTargetHardwareAddress(arp.senderHardwareAddress.slice());
    arp.setTargetProtocolAddress(arp.senderProtocolAddress.slice());
    arp.setSenderHardwareAddress(ours);
    arp.setSenderProtocolAddress(fromHex('0ac8 0002'));
    expect(toHex(reply)).toBe('0001080006040002' + '0200000000020ac80002' + '0200000000010ac80001');
  });

  it('keeps other address lengths and returns -1 for a non-IPv4 protocol address', () => {
    const odd = fromHex('0006 88b5 08 02 0009 0102030405060708 aabb 1112131415161718 ccdd');
    const result = parseArp(odd);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.operation).toBe(ArpOperation.InArpReply);
    expect(toHex(result.value.targetProtocolAddress)).toBe('ccdd');
    expect(ArpPacket.unchecked(odd).senderIpv4Address).toBe(-1);
    const out = new Uint8Array(arpHeaderLength(result.value));
    emitArp(result.value, out);
    expect(toHex(out)).toBe(toHex(odd));
  });
});

describe('emitArp', () => {
  it('round-trips the real request', () => {
    const result = parseArp(REQUEST);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const out = new Uint8Array(30);
    expect(emitArp(result.value, out, 2)).toBe(28);
    expect(toHex(out.subarray(2))).toBe(toHex(REQUEST));
  });

  it('refuses mismatched address lengths', () => {
    const result = parseArp(REQUEST);
    if (!result.ok) throw new Error('fixture');
    const bad = { ...result.value, targetProtocolAddress: new Uint8Array(16) };
    expect(() => emitArp(bad, new Uint8Array(64))).toThrow(RangeError);
    expect(() => emitArp(result.value, new Uint8Array(27))).toThrow(RangeError);
  });
});
