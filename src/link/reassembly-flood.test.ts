/**
 * Regression (review, reassembly exhaustion): one source holding its four
 * datagrams of ~65 KB filled the shared 256 KiB budget, and every other
 * source's fragmented datagram was refused (`reassembly-full`) until the
 * attacker's timers ran out. Now the largest holder is evicted, and a
 * source holds at most half the budget.
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
import { Ipv4Packet } from '../wire/index.js';

const STACK_MAC = '02:00:00:00:00:0a';
const PEER_MAC = '02:00:00:00:00:0b';

function fragment4(source: string, id: number, offset: number, more: boolean, data: Uint8Array) {
  const ip = ipv4Datagram({
    source,
    destination: '10.0.0.1',
    protocol: 17,
    identification: id,
    payload: data,
  });
  const view = Ipv4Packet.unchecked(ip);
  view.setFragment(false, more, offset / 8);
  view.fillChecksum();
  return ethernetFrame(STACK_MAC, PEER_MAC, 0x0800, ip);
}

function fragment6(source: string, id: number, offset: number, more: boolean, data: Uint8Array) {
  const payload = new Uint8Array(8 + data.length);
  payload[0] = 17;
  const field = offset | (more ? 1 : 0);
  payload[2] = field >> 8;
  payload[3] = field & 0xff;
  new DataView(payload.buffer).setUint32(4, id);
  payload.set(data, 8);
  const ip = ipv6Packet({ source, destination: 'fe80::ff:fe00:a', nextHeader: 44, payload });
  return ethernetFrame(STACK_MAC, PEER_MAC, 0x86dd, ip);
}

describe('reassembly under a one-source flood', () => {
  it('IPv4: a victim datagram reassembles while an attacker holds its whole share', () => {
    const h = createStackHarness({
      ipv4: [{ address: '10.0.0.1', prefixLength: 24 }],
      ipv6LinkLocal: false,
    });
    h.stack.udp.bind({ port: 7000 });
    const chunk = new Uint8Array(1480);
    for (let id = 1; id <= 4; id++)
      for (let i = 0; i < 44; i++) h.send(fragment4('10.0.0.66', id, i * 1480, true, chunk));
    const held = h.stack.stats().ipv4.reassembly;
    expect(held.bytes).toBeLessThanOrEqual(128 * 1024); // the per-source cap
    const udp = udp4('10.0.0.2', 5000, '10.0.0.1', 7000, new Uint8Array(4000).fill(7));
    const pieces = [udp.subarray(0, 1480), udp.subarray(1480, 2960), udp.subarray(2960)];
    pieces.forEach((data, i) => h.send(fragment4('10.0.0.2', 99, i * 1480, i < 2, data)));
    const stats = h.stack.stats().ipv4;
    expect(stats.delivered).toBe(1);
    expect(stats.drops['reassembly-full'] ?? 0).toBe(0);
    expect(stats.reassembly.evicted).toBeGreaterThan(0);
  });

  it('IPv6: the same', () => {
    const h = createStackHarness({ ipv4: [], limits: { ipv6: { mld: false } } });
    h.stack.udp.bind({ port: 7000 });
    const chunk = new Uint8Array(1448);
    for (let id = 1; id <= 4; id++)
      for (let i = 0; i < 45; i++) h.send(fragment6('fe80::66', id, i * 1448, true, chunk));
    expect(h.stack.stats().ipv6.reassembly.bytes).toBeLessThanOrEqual(128 * 1024);
    const udp = udp6('fe80::2', 5000, 'fe80::ff:fe00:a', 7000, new Uint8Array(3000).fill(7));
    h.send(fragment6('fe80::2', 99, 0, true, udp.subarray(0, 1448)));
    h.send(fragment6('fe80::2', 99, 1448, true, udp.subarray(1448, 2896)));
    h.send(fragment6('fe80::2', 99, 2896, false, udp.subarray(2896)));
    const stats = h.stack.stats().ipv6;
    expect(stats.delivered).toBe(1);
    expect(stats.drops['reassembly-full'] ?? 0).toBe(0);
  });
});

describe('reassembly under a spoofed many-source flood (docs/link.md, review 4 of issue 9)', () => {
  // What the docs promise, and where it ends: the byte budget and the
  // per-source share protect other sources; the datagram count does not,
  // since each spoofed address is a new source.
  const setup = () => {
    const h = createStackHarness({
      ipv4: [{ address: '10.0.0.1', prefixLength: 24 }],
      ipv6LinkLocal: false,
    });
    h.stack.udp.bind({ port: 7 });
    return h;
  };
  const real = udp4('10.0.0.2', 4000, '10.0.0.1', 7, new Uint8Array(24));
  const flood = (h: ReturnType<typeof setup>, sources: number) => {
    for (let i = 0; i < sources; i++)
      h.send(fragment4(`10.0.0.${100 + i}`, 2, 0, true, new Uint8Array(8)));
  };

  it('a real datagram survives first fragments from maxDatagrams - 1 other sources', () => {
    const h = setup();
    h.send(fragment4('10.0.0.2', 1, 0, true, real.subarray(0, 16)));
    flood(h, 15);
    h.send(fragment4('10.0.0.2', 1, 16, false, real.subarray(16)));
    expect(h.stack.stats().ipv4.delivered).toBe(1);
  });

  it('first fragments from maxDatagrams spoofed sources evict it: oldest first, counted', () => {
    const h = setup();
    h.send(fragment4('10.0.0.2', 1, 0, true, real.subarray(0, 16)));
    flood(h, 16);
    h.send(fragment4('10.0.0.2', 1, 16, false, real.subarray(16)));
    const stats = h.stack.stats().ipv4;
    expect(stats.delivered).toBe(0);
    expect(stats.reassembly.evicted).toBeGreaterThanOrEqual(1);
  });
});
