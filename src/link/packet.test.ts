/**
 * Regression (review, truncated replay): `wholePacket` ignored what
 * `transferData` returned, so a capture record cut at its snapshot length
 * and replayed with its original length was processed with invented zero
 * bytes (a UDP datagram without a checksum reached the socket). Both
 * bindings now drop it as `truncated`.
 */
import { describe, expect, it } from 'vitest';
import {
  createStackHarness,
  ethernetFrame,
  ipv4Datagram,
  ipv6Packet,
  udp4,
  udp6,
} from '../testing/index.js';

const STACK_MAC = '02:00:00:00:00:0a';
const PEER_MAC = '02:00:00:00:00:0b';

describe('a truncated record (packetSize past the bytes present)', () => {
  it('IPv4: is dropped as truncated, never delivered with zero-filled bytes', () => {
    const h = createStackHarness({
      ipv4: [{ address: '10.0.0.1', prefixLength: 24 }],
      ipv6LinkLocal: false,
    });
    h.stack.udp.bind({ port: 7000 });
    const data = new Uint8Array(100).fill(0xaa);
    const udp = udp4('10.0.0.2', 5000, '10.0.0.1', 7000, data, 0);
    const ip = ipv4Datagram({
      source: '10.0.0.2',
      destination: '10.0.0.1',
      protocol: 17,
      payload: udp,
    });
    const frame = ethernetFrame(STACK_MAC, PEER_MAC, 0x0800, ip);
    h.pair.a.indicate(frame.subarray(0, 82), { originalLength: frame.length });
    h.pair.a.receiveComplete();
    const stats = h.stack.stats().ipv4;
    expect(stats.delivered).toBe(0);
    expect(stats.drops.truncated).toBe(1);
  });

  it('IPv6: the same', () => {
    const h = createStackHarness({ ipv4: [], limits: { ipv6: { mld: false } } });
    h.stack.udp.bind({ port: 7000 });
    const udp = udp6('fe80::2', 5000, 'fe80::ff:fe00:a', 7000, new Uint8Array(100).fill(0xaa));
    const ip = ipv6Packet({
      source: 'fe80::2',
      destination: 'fe80::ff:fe00:a',
      nextHeader: 17,
      payload: udp,
    });
    const frame = ethernetFrame(STACK_MAC, PEER_MAC, 0x86dd, ip);
    h.pair.a.indicate(frame.subarray(0, 102), { originalLength: frame.length });
    h.pair.a.receiveComplete();
    const stats = h.stack.stats().ipv6;
    expect(stats.delivered).toBe(0);
    expect(stats.drops.truncated).toBe(1);
  });
});
