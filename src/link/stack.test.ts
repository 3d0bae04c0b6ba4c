import { describe, expect, it } from 'vitest';
import {
  arpPacket,
  createLinkPair,
  ethernetFrame,
  ipv4Datagram,
  icmpv4Echo,
  VirtualClock,
} from '../testing/index.js';
import { decodePayload, TraceRegistry, type PayloadValues } from '../trace/index.js';
import { BindingEvent } from './binding-events.js';
import { createStack } from './stack.js';

const STACK_MAC = '02:00:00:00:00:0a';
const PEER_MAC = '02:00:00:00:00:0b';

function setup() {
  const clock = new VirtualClock();
  const trace = new TraceRegistry({ clock });
  const events: { name: string; values: PayloadValues }[] = [];
  trace.enable('netrx-link', (event) => {
    const decoded = decodePayload(event.descriptor.fields ?? [], event.payload);
    if (decoded.ok) events.push({ name: event.descriptor.name, values: decoded.values });
  });
  // The adapter traces frames accepted/rejected per binding; the bindings trace the rest.
  const pair = createLinkPair({ a: { trace } });
  const stack = createStack({
    adapter: pair.a,
    clock,
    trace,
    ipv4: [{ address: '10.0.0.1', prefixLength: 24 }],
    ipv6: [{ address: '2001:db8::1', prefixLength: 64 }],
  });
  return { clock, pair, stack, events };
}

describe('createStack', () => {
  it('binds ARP, IPv4 and IPv6 on the adapter and configures the addresses', () => {
    const { pair, stack, clock } = setup();
    expect(pair.a.bindingOrder()).toEqual(['arp', 'ipv4', 'ipv6']);
    expect(stack.ipv4.addressList()).toEqual([{ address: '10.0.0.1', prefixLength: 24 }]);
    clock.advance(1_000);
    expect(stack.ipv6.addressList()).toEqual([
      { address: 'fe80::ff:fe00:a', prefixLength: 64, state: 'preferred' },
      { address: '2001:db8::1', prefixLength: 64, state: 'preferred' },
    ]);
    stack.addIpv4('10.0.1.1', 24);
    expect(stack.arp.hasAddress(0x0a000101)).toBe(true);
    expect(() => stack.addIpv4('nope', 24)).toThrow(TypeError);
    expect(() => stack.addIpv6('nope', 64)).toThrow(TypeError);
    expect(() => stack.addIpv4('10.0.2.1', 33)).toThrow(RangeError);
  });

  it('traces drops with reasons, neighbour state changes and address changes', () => {
    const { pair, events, clock } = setup();
    clock.advance(1_000);
    const bad = ipv4Datagram({
      source: '10.0.0.2',
      destination: '10.0.0.1',
      protocol: 1,
      payload: icmpv4Echo(8, 1, 1, new Uint8Array(4)),
    });
    bad[10]! ^= 0xff;
    pair.b.send(ethernetFrame(STACK_MAC, PEER_MAC, 0x0800, bad));
    pair.b.send(
      ethernetFrame(
        'ff:ff:ff:ff:ff:ff',
        PEER_MAC,
        0x0806,
        arpPacket({
          operation: 1,
          senderMac: PEER_MAC,
          senderIp: '10.0.0.2',
          targetIp: '10.0.0.1',
        }),
      ),
    );
    pair.flush();
    const names = events.map((e) => e.name);
    expect(names).toContain('FrameAccepted');
    expect(names).toContain('FrameRejected');
    expect(events).toContainEqual({
      name: BindingEvent.frameDropped.name,
      values: { binding: 'ipv4', reason: 'bad-checksum', length: 32 },
    });
    expect(events).toContainEqual({
      name: BindingEvent.neighborStateChanged.name,
      values: {
        protocol: 'arp',
        address: '10.0.0.2',
        mac: '02:00:00:00:00:0b',
        from: 'incomplete',
        to: 'stale',
      },
    });
    expect(events).toContainEqual({
      name: BindingEvent.addressChanged.name,
      values: { family: 6, address: '2001:db8::1', state: 'preferred' },
    });
  });

  it('captures frames in both directions through a capture tap', () => {
    const { pair, stack } = setup();
    const seen: string[] = [];
    const tap = stack.capture((frame, direction) => seen.push(`${direction}:${frame.length}`));
    pair.b.send(
      ethernetFrame(
        'ff:ff:ff:ff:ff:ff',
        PEER_MAC,
        0x0806,
        arpPacket({
          operation: 1,
          senderMac: PEER_MAC,
          senderIp: '10.0.0.2',
          targetIp: '10.0.0.1',
        }),
      ),
    );
    pair.flush();
    expect(seen.slice(-2)).toEqual(['in:42', 'out:42']);
    tap.close();
    expect(tap.stats()).toMatchObject({ received: 1, sent: 1, listenerErrors: 0 });
  });

  it('reports stats and closes everything: sockets disconnected, timers cancelled, bindings gone', () => {
    const { pair, stack, clock } = setup();
    const socket = stack.udp.bind({ port: 7 });
    const op = socket.receive();
    stack.arp.resolve(0x0a000002);
    expect(stack.stats()).toMatchObject({ udp: { sockets: 1 }, arp: { cache: { entries: 1 } } });
    stack.close();
    stack.close();
    expect(op.result?.status).toBe('disconnected');
    expect(clock.pendingTimers).toBe(0);
    expect(pair.a.bindingOrder()).toEqual([]);
    expect(() => stack.udp.bind({ port: 8 })).toThrow(/closed/);
  });
});
