import { describe, expect, it } from 'vitest';
import { createLinkPair } from '../testing/index.js';
import { TraceRegistry, TraceOpcode, decodePayload, type TraceEvent } from '../trace/index.js';
import { VirtualClock } from '../testing/index.js';
import {
  PACKET_CAPTURE_PROVIDER_NAME,
  PacketFragmentReceived,
  openPacketCaptureProvider,
  type PacketCaptureFilter,
} from './index.js';

function ipv4Frame(
  to: Uint8Array,
  from: Uint8Array,
  protocol: number,
  source: number[],
  destination: number[],
  length = 200,
) {
  const frame = new Uint8Array(length);
  frame.set(to, 0);
  frame.set(from, 6);
  frame[12] = 0x08;
  frame[13] = 0x00;
  frame[14] = 0x45;
  frame[14 + 9] = protocol;
  frame.set(source, 14 + 12);
  frame.set(destination, 14 + 16);
  for (let i = 34; i < length; i++) frame[i] = i & 0xff;
  return frame;
}

function setup() {
  const clock = new VirtualClock();
  const registry = new TraceRegistry({ clock });
  const pair = createLinkPair();
  const capture = openPacketCaptureProvider({ registry });
  capture.attach(pair.a, 7);
  const listen = (filterData?: PacketCaptureFilter | string) => {
    const events: {
      fragment: Uint8Array;
      ifIndex: number;
      opcode: number;
      originalSize: number;
    }[] = [];
    const subscription = registry.enable(
      PACKET_CAPTURE_PROVIDER_NAME,
      (event: TraceEvent) => {
        const decoded = decodePayload(PacketFragmentReceived.fields ?? [], event.payload);
        if (!decoded.ok) throw new Error(decoded.reason);
        events.push({
          fragment: (decoded.values['fragment'] as Uint8Array).slice(),
          ifIndex: decoded.values['miniportIfIndex'] as number,
          opcode: event.descriptor.opcode,
          originalSize: decoded.values['originalSize'] as number,
        });
      },
      { level: 4, filterData },
    );
    return { events, subscription };
  };
  const toA = (protocol: number, source: number[], destination: number[], length?: number) => {
    pair.b.send(ipv4Frame(pair.a.mac, pair.b.mac, protocol, source, destination, length));
    pair.flush();
  };
  return { clock, registry, pair, capture, listen, toA };
}

describe('the packet-capture provider', () => {
  it('taps adapters only while someone listens', () => {
    const { capture, listen, toA } = setup();
    toA(17, [10, 0, 0, 1], [10, 0, 0, 2]);
    expect(capture.stats()).toMatchObject({ tapped: false, seen: 0 });
    const { events, subscription } = listen();
    toA(17, [10, 0, 0, 1], [10, 0, 0, 2]);
    expect(events).toHaveLength(1);
    subscription.disable();
    expect(capture.stats().tapped).toBe(false);
    toA(17, [10, 0, 0, 1], [10, 0, 0, 2]);
    expect(events).toHaveLength(1);
  });

  it('writes the NDIS 1001 layout, truncated to 128 bytes by default, with the direction', () => {
    const { listen, toA, pair } = setup();
    const { events } = listen();
    toA(6, [10, 0, 0, 1], [10, 0, 0, 2], 200);
    pair.a.send(ipv4Frame(pair.b.mac, pair.a.mac, 6, [10, 0, 0, 2], [10, 0, 0, 1], 60));
    pair.flush();
    expect(events.map((e) => [e.fragment.length, e.ifIndex, e.opcode])).toEqual([
      [128, 7, TraceOpcode.Receive],
      [60, 7, TraceOpcode.Send],
    ]);
    expect(events[0]?.fragment[12]).toBe(0x08);
    // netrx's OriginalSize after the fragment: the length on the wire, which pcapng needs as orig_len.
    expect(events.map((e) => e.originalSize)).toEqual([200, 60]);
  });

  it('applies each session its own filters and truncation', () => {
    const { listen, toA } = setup();
    const udp = listen({ ipProtocols: [17], truncationLength: 0 });
    const host = listen({ ipAddresses: ['10.0.0.9'], truncationLength: 14 });
    const arp = listen({ etherTypes: [0x0806] });
    const mac = listen({ linkLayerAddresses: ['02:00:00:00:00:99'] });
    toA(17, [10, 0, 0, 1], [10, 0, 0, 2], 300);
    toA(6, [10, 0, 0, 9], [10, 0, 0, 2], 300);
    expect(udp.events.map((e) => e.fragment.length)).toEqual([300]);
    expect(host.events.map((e) => e.fragment.length)).toEqual([14]);
    expect(arp.events).toHaveLength(0);
    expect(mac.events).toHaveLength(0);
  });

  it('captures frames the adapter dropped (runts) as a wire sniffer would', () => {
    const { listen, pair } = setup();
    const { events } = listen({ truncationLength: 0 });
    const runt = new Uint8Array(10);
    pair.a.indicate(runt);
    expect(events.map((e) => e.fragment.length)).toEqual([10]);
  });

  it('gives a session with malformed filter data nothing, and says why', () => {
    const { listen, toA, capture } = setup();
    const bad = listen({ truncationLength: 13 });
    const worse = listen({ ipAddresses: ['not an address'] });
    const good = listen({});
    toA(17, [10, 0, 0, 1], [10, 0, 0, 2]);
    expect(bad.events).toHaveLength(0);
    expect(worse.events).toHaveLength(0);
    expect(good.events).toHaveLength(1);
    expect(capture.filterProblem(bad.subscription.sessionId)).toMatch(/truncationLength/);
    expect(capture.filterProblem(worse.subscription.sessionId)).toMatch(/not an IP address/);
    expect(capture.stats().invalidFilters).toBe(2);
  });

  it('keeps the outer frame intact when a listener sends a frame from inside its callback', () => {
    const { registry, listen, toA, pair } = setup();
    let sentFromInside = false;
    registry.enable(
      PACKET_CAPTURE_PROVIDER_NAME,
      (event) => {
        if (sentFromInside || event.descriptor.opcode !== TraceOpcode.Receive) return;
        sentFromInside = true;
        pair.a.send(ipv4Frame(pair.b.mac, pair.a.mac, 1, [9, 9, 9, 9], [8, 8, 8, 8], 100));
      },
      { level: 4, filterData: { truncationLength: 0 } },
    );
    const after = listen({ truncationLength: 0 });
    toA(17, [10, 0, 0, 1], [10, 0, 0, 2], 90);
    expect(sentFromInside).toBe(true);
    const inbound = after.events.filter((e) => e.opcode === TraceOpcode.Receive);
    const outbound = after.events.filter((e) => e.opcode === TraceOpcode.Send);
    expect(inbound.map((e) => [e.fragment.length, e.fragment[14 + 9]])).toEqual([[90, 17]]);
    expect(outbound.map((e) => [e.fragment.length, e.fragment[14 + 9]])).toEqual([[100, 1]]);
  });

  it('detaches from adapters', () => {
    const { listen, toA, capture, pair } = setup();
    const { events } = listen();
    capture.close();
    toA(17, [10, 0, 0, 1], [10, 0, 0, 2]);
    expect(events).toHaveLength(0);
    expect(() => capture.attach(pair.b, -1)).toThrow(RangeError);
  });
});
