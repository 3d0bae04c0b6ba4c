import { describe, expect, it } from 'vitest';
import { toHex } from '../bytes/index.js';
import type { NetrxError } from '../runtime/index.js';
import {
  arpPacket,
  createStackHarness,
  ethernetFrame,
  icmpv6Message,
  ipv4Datagram,
  ipv6Packet,
  udp4,
} from '../testing/index.js';
import {
  Ipv4Packet,
  Ipv6Packet,
  parseIpv4Address,
  parseIpv6Address,
  parseMac,
} from '../wire/index.js';
import { Ipv4Routes, Ipv6Routes } from './routes.js';

const STACK_MAC = '02:00:00:00:00:0a';
const ROUTER_MAC = '02:00:00:00:00:fe';
const ip4 = (text: string) => parseIpv4Address(text)!;
const ip6 = (text: string) => parseIpv6Address(text)!;

describe('Ipv4Routes / Ipv6Routes', () => {
  it('picks the longest matching prefix, replaces a route for the same prefix, removes', () => {
    const routes = new Ipv4Routes();
    routes.add(0, 0, ip4('10.0.0.254'));
    routes.add(ip4('192.0.2.0'), 24, ip4('10.0.0.253'));
    routes.add(ip4('192.0.2.77'), 24, ip4('10.0.0.252')); // same prefix: replaces
    expect(routes.gatewayFor(ip4('192.0.2.5'))).toBe(ip4('10.0.0.252'));
    expect(routes.gatewayFor(ip4('198.51.100.1'))).toBe(ip4('10.0.0.254'));
    expect(routes.list()).toEqual([
      { destination: '192.0.2.0', prefixLength: 24, via: '10.0.0.252' },
      { destination: '0.0.0.0', prefixLength: 0, via: '10.0.0.254' },
    ]);
    expect(routes.remove(ip4('192.0.2.0'), 24)).toBe(true);
    expect(routes.remove(ip4('192.0.2.0'), 24)).toBe(false);
    expect(routes.gatewayFor(ip4('192.0.2.5'))).toBe(ip4('10.0.0.254'));

    const six = new Ipv6Routes();
    six.add(ip6('::'), 0, ip6('fe80::1'));
    six.add(ip6('2001:db8:99::'), 48, ip6('fe80::2'));
    expect(six.gatewayFor(ip6('2001:db8:99:1::5'))).toEqual(ip6('fe80::2'));
    expect(six.gatewayFor(ip6('2001:db8:98::5'))).toEqual(ip6('fe80::1'));
    expect(six.remove(ip6('2001:db8:99:ffff::'), 48)).toBe(true);
    expect(six.list()).toEqual([{ destination: '::', prefixLength: 0, via: 'fe80::1' }]);
  });

  it('is bounded: past maxRoutes it throws ERR_LINK_ROUTE_TABLE_FULL; bad prefix lengths are RangeErrors', () => {
    const routes = new Ipv4Routes(2);
    routes.add(ip4('10.1.0.0'), 16, 1);
    routes.add(ip4('10.2.0.0'), 16, 1);
    routes.add(ip4('10.2.0.0'), 16, 2); // a replacement still fits
    let code: string | undefined;
    try {
      routes.add(ip4('10.3.0.0'), 16, 1);
    } catch (error) {
      code = (error as NetrxError).code;
    }
    expect(code).toBe('ERR_LINK_ROUTE_TABLE_FULL');
    expect(() => routes.add(0, 33, 1)).toThrow(RangeError);
    expect(() => new Ipv6Routes(1).add(ip6('::'), 129, ip6('fe80::1'))).toThrow(RangeError);
    expect(() => new Ipv4Routes(0)).toThrow(RangeError);
  });
});

const arpReplyFrom = (ip: string, mac: string) =>
  ethernetFrame(
    STACK_MAC,
    mac,
    0x0806,
    arpPacket({
      operation: 2,
      senderMac: mac,
      senderIp: ip,
      targetMac: STACK_MAC,
      targetIp: '10.0.0.1',
    }),
  );

describe('the stack sends off-link traffic through its gateway', () => {
  it('IPv4: resolves the default gateway, then sends to its MAC with the far destination', () => {
    const { stack, seen, send, pair } = createStackHarness({
      ipv4: [{ address: '10.0.0.1', prefixLength: 24 }],
      gateway: { ipv4: '10.0.0.254' },
    });
    const socket = stack.udp.bind({ port: 5000 });
    expect(socket.send(Uint8Array.of(7), { address: '192.0.2.5', port: 9 })).toBe('queued');
    pair.flush();
    // The ARP request asks for the gateway, not the destination.
    expect(seen).toHaveLength(1);
    expect(toHex(seen[0]!.subarray(38, 42))).toBe('0a0000fe');
    seen.length = 0;
    send(arpReplyFrom('10.0.0.254', ROUTER_MAC));
    expect(seen).toHaveLength(1);
    expect(toHex(seen[0]!.subarray(0, 6))).toBe('0200000000fe');
    const ip = Ipv4Packet.unchecked(seen[0]!.subarray(14));
    expect([ip.sourceAddress, ip.destinationAddress]).toEqual([ip4('10.0.0.1'), ip4('192.0.2.5')]);
    expect(stack.routes().ipv4).toEqual([
      { destination: '0.0.0.0', prefixLength: 0, via: '10.0.0.254' },
    ]);
  });

  it('IPv4: answers a far sender through the gateway, and a more specific route wins', () => {
    const { stack, seen, send, pair } = createStackHarness({
      ipv4: [{ address: '10.0.0.1', prefixLength: 24 }],
      gateway: { ipv4: '10.0.0.254' },
      routes: [{ destination: '198.51.100.0/24', via: '10.0.0.253' }],
    });
    send(arpReplyFrom('10.0.0.254', ROUTER_MAC));
    send(arpReplyFrom('10.0.0.253', '02:00:00:00:00:fd'));
    const socket = stack.udp.bind({ port: 7 });
    for (const far of ['192.0.2.5', '198.51.100.9']) {
      send(
        ethernetFrame(
          STACK_MAC,
          ROUTER_MAC,
          0x0800,
          ipv4Datagram({
            source: far,
            destination: '10.0.0.1',
            protocol: 17,
            payload: udp4(far, 4000, '10.0.0.1', 7, Uint8Array.of(1)),
          }),
        ),
      );
      const got = socket.receive({ timeoutMs: 0 }).result;
      if (got?.status !== 'data') throw new Error('expected the datagram');
      socket.send(got.data, got.meta);
    }
    pair.flush();
    const macs = seen.map((f) => toHex(f.subarray(0, 6)));
    expect(macs).toEqual(['0200000000fe', '0200000000fd']);
  });

  it('IPv4: drops as no-route without a route, or when the gateway is not on-link', () => {
    const { stack } = createStackHarness({
      ipv4: [{ address: '10.0.0.1', prefixLength: 24 }],
    });
    const socket = stack.udp.bind({ port: 5000 });
    expect(socket.send(Uint8Array.of(1), { address: '192.0.2.5', port: 9 })).toBe('dropped');
    stack.addRoute('0.0.0.0/0', '172.16.0.1'); // not on 10.0.0.0/24
    expect(socket.send(Uint8Array.of(1), { address: '192.0.2.5', port: 9 })).toBe('dropped');
    expect(stack.stats().ipv4.sendDrops['no-route']).toBe(2);
    expect(stack.removeRoute('0.0.0.0/0')).toBe(true);
    expect(() => stack.addRoute('10.0.0.0/33', '10.0.0.254')).toThrow(RangeError);
    expect(() => stack.addRoute('nonsense/8', '10.0.0.254')).toThrow(TypeError);
    expect(() => stack.addRoute('10.9.0.0/16', 'fe80::1')).toThrow(TypeError);
  });

  it('IPv6: solicits the router, then sends to it from a global address', () => {
    const { stack, seen, send, pair } = createStackHarness({
      ipv4: [],
      ipv6: [{ address: '2001:db8::1', prefixLength: 64 }],
      gateway: { ipv6: 'fe80::1' },
    });
    const socket = stack.udp.bind({ port: 5000 });
    expect(socket.send(Uint8Array.of(7), { address: '2001:db8:99::5', port: 9 })).toBe('queued');
    pair.flush();
    expect(seen).toHaveLength(1);
    const ns = Ipv6Packet.unchecked(seen[0]!.subarray(14));
    expect(toHex(ns.bytes.subarray(48, 64))).toBe(toHex(ip6('fe80::1'))); // the NS target
    seen.length = 0;
    send(
      ethernetFrame(
        STACK_MAC,
        ROUTER_MAC,
        0x86dd,
        ipv6Packet({
          source: 'fe80::1',
          destination: 'fe80::ff:fe00:a',
          nextHeader: 58,
          hopLimit: 255,
          payload: icmpv6Message('fe80::1', 'fe80::ff:fe00:a', {
            kind: 'neighbor-advertisement',
            code: 0,
            router: true,
            solicited: true,
            override: true,
            reserved: 0,
            targetAddress: ip6('fe80::1'),
            options: [{ kind: 'target-link-layer-address', address: parseMac(ROUTER_MAC)! }],
          }),
        }),
      ),
    );
    expect(seen).toHaveLength(1);
    expect(toHex(seen[0]!.subarray(0, 6))).toBe('0200000000fe');
    const udp = Ipv6Packet.unchecked(seen[0]!.subarray(14));
    expect(toHex(udp.sourceAddress)).toBe(toHex(ip6('2001:db8::1')));
    expect(toHex(udp.destinationAddress)).toBe(toHex(ip6('2001:db8:99::5')));
  });

  it('IPv6: drops as no-route without a router', () => {
    const { stack } = createStackHarness({
      ipv4: [],
      ipv6: [{ address: '2001:db8::1', prefixLength: 64 }],
    });
    const socket = stack.udp.bind({ port: 5000 });
    expect(socket.send(Uint8Array.of(1), { address: '2001:db8:99::5', port: 9 })).toBe('dropped');
    expect(stack.stats().ipv6.sendDrops['no-route']).toBe(1);
  });
});
