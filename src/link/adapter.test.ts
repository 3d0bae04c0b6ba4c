import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex } from '../bytes/index.js';
import type { NetrxError } from '../runtime/index.js';
import { TraceRegistry } from '../trace/index.js';
import { VirtualClock } from '../testing/index.js';
import { Adapter, type Protocol } from './adapter.js';
import type { Indication, RetainedFrame } from './indication.js';
import { PacketFilter } from './packet-filter.js';

const OWN_MAC = fromHex('02:00:00:00:00:01');

// A real ARP request (who-has 10.0.0.1 tell 10.0.0.2), padded to the 60-byte minimum.
const ARP_REQUEST = fromHex(`
  ff ff ff ff ff ff  02 00 00 00 00 02  08 06     # broadcast, from 02:..:02, ARP
  00 01 08 00 06 04 00 01                         # Ethernet/IPv4, request
  02 00 00 00 00 02  0a 00 00 02                  # sender
  00 00 00 00 00 00  0a 00 00 01                  # target
  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00   # padding to 60 bytes
`);

// An ICMP echo request to us (IPv4), 98 bytes, as `ping` sends it.
function directedIpv4(payloadLength = 84): Uint8Array {
  const frame = new Uint8Array(14 + payloadLength);
  frame.set(OWN_MAC, 0);
  frame.set(fromHex('02 00 00 00 00 02 08 00'), 6);
  for (let i = 14; i < frame.length; i++) frame[i] = i & 0xff;
  return frame;
}

const code = (action: () => unknown): string | undefined => {
  try {
    action();
  } catch (error) {
    return (error as NetrxError).code;
  }
  return undefined;
};

function recorder(verdict: 'accepted' | 'not-accepted' = 'accepted') {
  const seen: { etherType: number; packetSize: number; lookaheadSize: number; header: number[] }[] =
    [];
  let completes = 0;
  const protocol: Protocol = {
    receive(ind) {
      seen.push({
        etherType: ind.etherType,
        packetSize: ind.packetSize,
        lookaheadSize: ind.lookaheadSize,
        header: Array.from(ind.header),
      });
      return verdict;
    },
    receiveComplete() {
      completes++;
    },
  };
  return { protocol, seen, completes: () => completes };
}

describe('Adapter: indication to bindings', () => {
  it('gives every binding equal access; each answers for itself', () => {
    const adapter = new Adapter({ name: 'eth0', mac: OWN_MAC });
    const arp = recorder('accepted');
    const ip = recorder('not-accepted');
    adapter.openBinding(arp.protocol, { name: 'arp' });
    adapter.openBinding(ip.protocol, { name: 'ipv4' });
    expect(adapter.indicate(ARP_REQUEST)).toBe(1);
    expect(arp.seen).toHaveLength(1);
    expect(ip.seen).toHaveLength(1);
    const stats = adapter.stats();
    expect(stats.bindings.map((b) => [b.name, b.accepted, b.rejected])).toEqual([
      ['arp', 1, 0],
      ['ipv4', 0, 1],
    ]);
    expect(stats).toMatchObject({ indicated: 1, accepted: 1, unclaimed: 0 });
  });

  it('leaves padding in place: PacketSize counts it, the protocol uses its own length', () => {
    const adapter = new Adapter({ name: 'eth0', mac: OWN_MAC });
    const arp = recorder();
    adapter.openBinding(arp.protocol, { name: 'arp' });
    adapter.indicate(ARP_REQUEST);
    expect(arp.seen[0]).toMatchObject({ etherType: 0x0806, packetSize: 46, lookaheadSize: 46 });
    expect(arp.seen[0]?.header).toEqual(Array.from(ARP_REQUEST.subarray(0, 14)));
  });

  it('applies each binding’s packet filter', () => {
    const adapter = new Adapter({ name: 'eth0', mac: OWN_MAC });
    const directed = recorder();
    const broadcast = recorder();
    const promiscuous = recorder();
    const multicast = recorder();
    const allMulticast = recorder();
    adapter.openBinding(directed.protocol, { name: 'd', packetFilter: PacketFilter.Directed });
    adapter.openBinding(broadcast.protocol, { name: 'b', packetFilter: PacketFilter.Broadcast });
    adapter.openBinding(promiscuous.protocol, {
      name: 'p',
      packetFilter: PacketFilter.Promiscuous,
    });
    adapter.openBinding(multicast.protocol, {
      name: 'm',
      packetFilter: PacketFilter.Multicast,
      multicast: [fromHex('33:33:ff:00:00:01')],
    });
    adapter.openBinding(allMulticast.protocol, {
      name: 'am',
      packetFilter: PacketFilter.AllMulticast,
    });

    const toOther = directedIpv4();
    toOther.set(fromHex('02 00 00 00 00 99'), 0);
    const solicited = directedIpv4();
    solicited.set(fromHex('33 33 ff 00 00 01'), 0);
    const otherGroup = directedIpv4();
    otherGroup.set(fromHex('01 00 5e 00 00 fb'), 0);

    adapter.indicateBurst([directedIpv4(), ARP_REQUEST, toOther, solicited, otherGroup]);
    expect(directed.seen).toHaveLength(1);
    expect(broadcast.seen).toHaveLength(1);
    expect(promiscuous.seen).toHaveLength(5);
    expect(multicast.seen).toHaveLength(1);
    expect(allMulticast.seen).toHaveLength(2);
    expect(adapter.stats().bindings.find((b) => b.name === 'd')?.filtered).toBe(4);
  });

  it('updates filters and multicast lists on a live binding', () => {
    const adapter = new Adapter({ name: 'eth0', mac: OWN_MAC });
    const r = recorder();
    const handle = adapter.openBinding(r.protocol, { name: 'x', packetFilter: 0 });
    adapter.indicate(ARP_REQUEST);
    handle.setPacketFilter(PacketFilter.Broadcast);
    adapter.indicate(ARP_REQUEST);
    const group = directedIpv4();
    group.set(fromHex('01 00 5e 00 00 fb'), 0);
    handle.setPacketFilter(PacketFilter.Multicast);
    handle.addMulticast(fromHex('01 00 5e 00 00 fb'));
    adapter.indicate(group);
    handle.removeMulticast(fromHex('01 00 5e 00 00 fb'));
    adapter.indicate(group);
    expect(r.seen).toHaveLength(2);
  });

  it('indicates only the EtherTypes a binding asked for', () => {
    const adapter = new Adapter({ name: 'eth0', mac: OWN_MAC });
    const ipOnly = recorder();
    adapter.openBinding(ipOnly.protocol, { name: 'ip', etherTypes: [0x0800, 0x86dd] });
    adapter.indicateBurst([ARP_REQUEST, directedIpv4()]);
    expect(ipOnly.seen.map((s) => s.etherType)).toEqual([0x0800]);
  });

  it('reads 802.1Q and QinQ tags: inner EtherType, VLAN id, longer header', () => {
    const adapter = new Adapter({ name: 'eth0', mac: OWN_MAC });
    let vlan = -2;
    let headerSize = 0;
    adapter.openBinding(
      {
        receive(ind) {
          vlan = ind.vlanId;
          headerSize = ind.headerSize;
          return ind.etherType === 0x0806 ? 'accepted' : 'not-accepted';
        },
      },
      { name: 'arp' },
    );
    const tagged = fromHex(
      'ff ff ff ff ff ff 02 00 00 00 00 02 81 00 20 64 08 06 00 01 08 00 06 04 00 01',
    );
    expect(adapter.indicate(tagged)).toBe(1);
    expect([vlan, headerSize]).toEqual([100, 18]);
    const qinq = fromHex('ff ff ff ff ff ff 02 00 00 00 00 02 88 a8 00 0a 81 00 00 14 08 06 00 01');
    expect(adapter.indicate(qinq)).toBe(1);
    expect([vlan, headerSize]).toEqual([20, 22]);
  });

  it("passes each frame's out-of-band data to the bindings", () => {
    const adapter = new Adapter({ name: 'eth0', mac: OWN_MAC });
    const seen: unknown[] = [];
    adapter.openBinding(
      {
        receive(ind) {
          seen.push(ind.oob);
          return 'accepted';
        },
      },
      { name: 'x' },
    );
    const oob = {
      timestamp: 1234.5,
      checksumVerified: { ipv4: true, udp: false },
      vlan: { id: 7, priority: 3 },
    };
    adapter.indicate(directedIpv4(), { oob });
    adapter.indicate(directedIpv4());
    expect(seen).toEqual([oob, {}]);
  });

  it('keeps no order state: any order, any repeats, each binding sees exactly what it passes, as indicated', () => {
    // A model of the filters, written independently of the adapter's.
    const destinations = [
      OWN_MAC,
      fromHex('ff ff ff ff ff ff'),
      fromHex('02 00 00 00 00 99'),
      fromHex('01 00 5e 00 00 fb'),
      fromHex('33 33 ff 00 00 01'),
    ];
    const etherTypes = [0x0800, 0x0806, 0x86dd, 0x888e];
    const passes = (filter: number, listed: boolean, dst: Uint8Array) => {
      if (filter & PacketFilter.Promiscuous) return true;
      if (dst.every((b) => b === 0xff)) return (filter & PacketFilter.Broadcast) !== 0;
      if ((dst[0]! & 1) !== 0)
        return (
          (filter & PacketFilter.AllMulticast) !== 0 ||
          ((filter & PacketFilter.Multicast) !== 0 && listed)
        );
      return dst.every((b, i) => b === OWN_MAC[i]) && (filter & PacketFilter.Directed) !== 0;
    };
    const poolFrame = fc.record({
      dst: fc.integer({ min: 0, max: destinations.length - 1 }),
      etherType: fc.constantFrom(...etherTypes),
      length: fc.integer({ min: 14, max: 120 }),
      parity: fc.integer({ min: 0, max: 1 }),
    });
    const bindingSpec = fc.record({
      filter: fc.integer({ min: 0, max: 0x3f }),
      types: fc.option(fc.subarray(etherTypes, { minLength: 1 }), { nil: undefined }),
      acceptParity: fc.integer({ min: 0, max: 1 }),
      lookahead: fc.integer({ min: 0, max: 200 }),
    });
    fc.assert(
      fc.property(
        fc.array(poolFrame, { minLength: 1, maxLength: 8 }),
        fc.array(bindingSpec, { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 60 }),
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 5 }),
        fc.constantFrom<'full-packet' | 'lookahead'>('full-packet', 'lookahead'),
        fc.constantFrom(0, 1, 3),
        (pool, specs, picks, burstSizes, indication, reorderEvery) => {
          const frames = pool.map((p, id) => {
            const frame = new Uint8Array(p.length);
            frame.set(destinations[p.dst]!, 0);
            frame.set(fromHex('02 00 00 00 00 02'), 6);
            frame[12] = p.etherType >> 8;
            frame[13] = p.etherType & 0xff;
            for (let i = 14; i < frame.length; i++) frame[i] = (id * 31 + i) & 0xff;
            return { frame, id, ...p };
          });
          const adapter = new Adapter({ name: 'eth0', mac: OWN_MAC, indication, reorderEvery });
          const seen = specs.map(() => [] as { id: number; bytes: number[] }[]);
          const idOf = new Map<Uint8Array, number>(frames.map((f) => [f.frame, f.id]));
          let current: Uint8Array | undefined;
          specs.forEach((spec, b) => {
            adapter.openBinding(
              {
                receive(ind) {
                  seen[b]!.push({ id: idOf.get(current!)!, bytes: Array.from(ind.lookahead) });
                  return (ind.packetSize & 1) === spec.acceptParity ? 'accepted' : 'not-accepted';
                },
              },
              {
                name: `b${b}`,
                packetFilter: spec.filter,
                lookahead: spec.lookahead,
                multicast: [destinations[4]!],
                ...(spec.types === undefined ? {} : { etherTypes: spec.types }),
              },
            );
          });
          const sequence = picks.map((n) => frames[n % frames.length]!);
          const accepts: number[] = [];
          for (let at = 0, burst = 0; at < sequence.length; burst++) {
            const size = burstSizes[burst % burstSizes.length]!;
            for (const f of sequence.slice(at, at + size)) {
              current = f.frame;
              accepts.push(adapter.indicate(f.frame));
            }
            adapter.receiveComplete();
            at += size;
          }
          // Each binding: exactly the frames its filters pass, in the order indicated, repeats kept.
          const largest = Math.max(...specs.map((s) => s.lookahead));
          specs.forEach((spec, b) => {
            const expected = sequence
              .filter(
                (f) =>
                  passes(spec.filter, f.dst === 4, destinations[f.dst]!) &&
                  (spec.types === undefined || spec.types.includes(f.etherType)),
              )
              .map((f) => {
                const size =
                  indication === 'lookahead' ? Math.min(largest, f.length - 14) : f.length - 14;
                return { id: f.id, bytes: Array.from(f.frame.subarray(14, 14 + size)) };
              });
            expect(seen[b]).toEqual(expected);
          });
          // Each frame's verdicts depend on the frame alone, never on what came before.
          expect(accepts).toEqual(
            sequence.map(
              (f) =>
                specs.filter(
                  (spec) =>
                    passes(spec.filter, f.dst === 4, destinations[f.dst]!) &&
                    (spec.types === undefined || spec.types.includes(f.etherType)) &&
                    ((f.length - 14) & 1) === spec.acceptParity,
                ).length,
            ),
          );
        },
      ),
    );
  });
});

describe('Adapter: lookahead and transferData', () => {
  it('indicates at least min(largest lookahead asked, packet) and transfers the rest once', () => {
    const adapter = new Adapter({ name: 'eth0', mac: OWN_MAC, indication: 'lookahead' });
    let got: number[] = [];
    let lookahead = 0;
    let transferred = 0;
    const fullPacket: boolean[] = [];
    const secondTransfer: (string | undefined)[] = [];
    adapter.openBinding(
      {
        // Records only: the adapter catches what a handler throws, so assertions go outside.
        receive(ind) {
          lookahead = ind.lookaheadSize;
          fullPacket.push(ind.fullPacket);
          const rest = new Uint8Array(ind.packetSize);
          rest.set(ind.lookahead);
          transferred = ind.transferData(
            ind.lookaheadSize,
            ind.packetSize,
            rest,
            ind.lookaheadSize,
          );
          secondTransfer.push(code(() => ind.transferData(0, 1, rest)));
          got = Array.from(rest);
          return 'accepted';
        },
      },
      { name: 'small', lookahead: 20 },
    );
    const other = adapter.openBinding(recorder('not-accepted').protocol, {
      name: 'big',
      lookahead: 40,
    });
    const frame = directedIpv4(84);
    adapter.indicate(frame);
    expect(lookahead).toBe(40);
    expect(transferred).toBe(44);
    expect(got).toEqual(Array.from(frame.subarray(14)));
    other.close();
    adapter.indicate(directedIpv4(10));
    expect(lookahead).toBe(10);
    expect(fullPacket).toEqual([false, false]);
    expect(secondTransfer).toEqual(['ERR_LINK_TRANSFER_TWICE', 'ERR_LINK_TRANSFER_TWICE']);
    expect(adapter.stats().bindings[0]).toMatchObject({ transfers: 2, handlerErrors: 0 });
  });

  it('clamps a transfer to the packet and to the destination', () => {
    const adapter = new Adapter({ name: 'eth0', mac: OWN_MAC });
    const counts: number[] = [];
    adapter.openBinding(
      {
        receive(ind) {
          counts.push(ind.transferData(ind.packetSize - 4, 100, new Uint8Array(3)));
          return 'accepted';
        },
      },
      { name: 'x' },
    );
    adapter.indicate(directedIpv4(20));
    expect(counts).toEqual([3]);
  });

  it('refuses views, transfers and retains after the call returned', () => {
    const adapter = new Adapter({ name: 'eth0', mac: OWN_MAC });
    let kept: Indication | undefined;
    adapter.openBinding(
      {
        receive(ind) {
          kept = ind;
          return 'accepted';
        },
      },
      { name: 'leaky' },
    );
    adapter.indicate(directedIpv4());
    expect(code(() => kept!.transferData(0, 1, new Uint8Array(1)))).toBe(
      'ERR_LINK_INDICATION_EXPIRED',
    );
    expect(code(() => kept!.header)).toBe('ERR_LINK_INDICATION_EXPIRED');
    expect(code(() => kept!.lookahead)).toBe('ERR_LINK_INDICATION_EXPIRED');
    expect(code(() => kept!.retain())).toBe('ERR_LINK_INDICATION_EXPIRED');
  });

  it('refuses byte reads on a stale indication, even after another frame reused it', () => {
    const adapter = new Adapter({ name: 'eth0', mac: OWN_MAC });
    let kept: Indication | undefined;
    adapter.openBinding(
      {
        receive(ind) {
          kept ??= ind;
          return 'not-accepted';
        },
      },
      { name: 'leaky' },
    );
    adapter.indicate(ARP_REQUEST);
    const stale = (): (string | undefined)[] => [
      code(() => kept!.byteAt(0)),
      code(() => kept!.u16At(0)),
      code(() => kept!.u32At(0)),
      code(() => kept!.headerByteAt(0)),
    ];
    expect(stale()).toEqual(Array(4).fill('ERR_LINK_INDICATION_EXPIRED'));
    adapter.indicate(directedIpv4());
    expect(stale()).toEqual(Array(4).fill('ERR_LINK_INDICATION_EXPIRED'));
  });

  it('reads lookahead integers without views, -1 past the end', () => {
    const adapter = new Adapter({ name: 'eth0', mac: OWN_MAC });
    const read: number[] = [];
    adapter.openBinding(
      {
        receive(ind) {
          read.push(
            ind.byteAt(0),
            ind.u16At(0),
            ind.u32At(0),
            ind.byteAt(46),
            ind.u16At(45),
            ind.u32At(-1),
          );
          return 'not-accepted';
        },
      },
      { name: 'x' },
    );
    adapter.indicate(ARP_REQUEST);
    expect(read).toEqual([0x00, 0x0001, 0x00010800, -1, -1, -1]);
  });

  it('validates transfer arguments and lookahead sizes', () => {
    const adapter = new Adapter({ name: 'eth0', mac: OWN_MAC });
    const thrown: unknown[] = [];
    adapter.openBinding(
      {
        receive(ind) {
          for (const args of [
            [-1, 1, 0],
            [0, 1.5, 0],
            [0, 1, 2],
          ] as const) {
            try {
              ind.transferData(args[0], args[1], new Uint8Array(1), args[2]);
              thrown.push('no error');
            } catch (error) {
              thrown.push(error);
            }
          }
          return 'accepted';
        },
      },
      { name: 'x' },
    );
    adapter.indicate(directedIpv4());
    expect(thrown).toHaveLength(3);
    for (const error of thrown) expect(error).toBeInstanceOf(RangeError);
    expect(() => adapter.openBinding(recorder().protocol, { name: 'y', lookahead: -1 })).toThrow(
      RangeError,
    );
    expect(() => new Adapter({ name: 'bad', mac: new Uint8Array(5) })).toThrow(TypeError);
    expect(() => new Adapter({ name: 'bad', mac: OWN_MAC, mtu: 10 })).toThrow(RangeError);
  });
});

describe('Adapter: receiveComplete', () => {
  it('runs once per burst, only for bindings that saw frames', () => {
    const adapter = new Adapter({ name: 'eth0', mac: OWN_MAC });
    const arp = recorder();
    const ip = recorder();
    adapter.openBinding(arp.protocol, { name: 'arp', etherTypes: [0x0806] });
    adapter.openBinding(ip.protocol, { name: 'ip', etherTypes: [0x0800] });
    adapter.indicateBurst([ARP_REQUEST, ARP_REQUEST, ARP_REQUEST]);
    expect(arp.completes()).toBe(1);
    expect(ip.completes()).toBe(0);
    adapter.receiveComplete();
    expect(arp.completes()).toBe(1);
  });

  it('handles a frame indicated while receiveComplete runs, and completes it too', () => {
    const adapter = new Adapter({ name: 'eth0', mac: OWN_MAC });
    let frames = 0;
    let completes = 0;
    adapter.openBinding(
      {
        receive() {
          frames++;
          return 'accepted';
        },
        receiveComplete() {
          completes++;
          if (completes === 1) {
            adapter.indicate(ARP_REQUEST);
            adapter.receiveComplete(); // re-entrant call: folded into the running one
          }
        },
      },
      { name: 'x' },
    );
    adapter.indicateBurst([ARP_REQUEST]);
    expect([frames, completes]).toEqual([2, 2]);
    expect(adapter.stats().bursts).toBe(2);
  });

  it('a burst indicated from inside a binding does not complete the outer burst early', () => {
    const adapter = new Adapter({ name: 'eth0', mac: OWN_MAC });
    const log: string[] = [];
    let nested = false;
    adapter.openBinding(
      {
        receive() {
          log.push('frame');
          if (!nested) {
            nested = true; // a loopback reply, indicated as its own burst mid-burst
            adapter.indicateBurst([ARP_REQUEST]);
          }
          return 'accepted';
        },
        receiveComplete() {
          log.push('complete');
        },
      },
      { name: 'x' },
    );
    adapter.indicateBurst([ARP_REQUEST, ARP_REQUEST, ARP_REQUEST]);
    // one completion, after the outer burst's last frame, covering all four
    expect(log).toEqual(['frame', 'frame', 'frame', 'frame', 'complete']);
    expect(adapter.stats().bursts).toBe(1);
  });

  it('fast-check: each binding completes once per outermost burst, after its last frame', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 8 }),
        (nestedSizes) => {
          const adapter = new Adapter({ name: 'eth0', mac: OWN_MAC });
          const log: string[] = [];
          const pending = [...nestedSizes];
          adapter.openBinding(
            {
              receive() {
                log.push('frame');
                const size = pending.shift();
                if (size !== undefined && size > 0) {
                  adapter.indicateBurst(Array.from({ length: size }, () => ARP_REQUEST));
                }
                return 'accepted';
              },
              receiveComplete() {
                log.push('complete');
              },
            },
            { name: 'x' },
          );
          adapter.indicateBurst([ARP_REQUEST]);
          expect(log.at(-1)).toBe('complete');
          expect(log.filter((entry) => entry === 'complete')).toHaveLength(1);
        },
      ),
    );
  });
});

describe('Adapter: retaining full-packet indications', () => {
  it('keeps the buffer until the last retain is released, then hands it back once', () => {
    const adapter = new Adapter({ name: 'eth0', mac: OWN_MAC });
    const kept: RetainedFrame[] = [];
    const keeper: Protocol = {
      receive(ind) {
        kept.push(ind.retain());
        return 'accepted';
      },
    };
    adapter.openBinding(keeper, { name: 'a' });
    adapter.openBinding(keeper, { name: 'b' });
    let released = 0;
    const frame = directedIpv4();
    adapter.indicate(frame, { release: () => released++ });
    expect(kept).toHaveLength(2);
    expect(kept[0]?.bytes.length).toBe(frame.length);
    expect(adapter.stats().retainedOutstanding).toBe(1);
    kept[0]!.release();
    kept[0]!.release();
    expect(released).toBe(0);
    kept[1]!.release();
    expect(released).toBe(1);
    expect(adapter.stats().retainedOutstanding).toBe(0);
  });

  it('returns the buffer at once when nobody retained it, even for a dropped frame', () => {
    const adapter = new Adapter({ name: 'eth0', mac: OWN_MAC });
    adapter.openBinding(recorder().protocol, { name: 'x' });
    let released = 0;
    adapter.indicate(directedIpv4(), { release: () => released++ });
    adapter.indicate(new Uint8Array(5), { release: () => released++ });
    expect(released).toBe(2);
  });

  it('refuses to retain when the adapter must have its buffer back, or only a lookahead was indicated', () => {
    const adapter = new Adapter({ name: 'eth0', mac: OWN_MAC });
    const codes: (string | undefined)[] = [];
    let copy: Uint8Array | undefined;
    adapter.openBinding(
      {
        receive(ind) {
          codes.push(code(() => ind.retain()));
          if (ind.mustCopy) copy = ind.lookahead.slice();
          return 'accepted';
        },
      },
      { name: 'x' },
    );
    const frame = directedIpv4();
    adapter.indicate(frame, { mustCopy: true });
    expect(codes).toEqual(['ERR_LINK_MUST_COPY']);
    expect(copy).toEqual(frame.subarray(14));
    const lookaheadAdapter = new Adapter({ name: 'eth1', mac: OWN_MAC, indication: 'lookahead' });
    lookaheadAdapter.openBinding(
      {
        receive(ind) {
          codes.push(code(() => ind.retain()));
          return 'accepted';
        },
      },
      { name: 'y' },
    );
    lookaheadAdapter.indicate(frame);
    expect(codes).toEqual(['ERR_LINK_MUST_COPY', 'ERR_LINK_MUST_COPY']);
  });
});

describe('Adapter: bad frames, bad bindings, debugging', () => {
  it('drops runts and giants, counts and traces them', () => {
    const clock = new VirtualClock();
    const trace = new TraceRegistry({ clock });
    const seen: string[] = [];
    trace.enable('netrx-link', (e) => seen.push(e.descriptor.name), { level: 5 });
    const adapter = new Adapter({ name: 'eth0', mac: OWN_MAC, mtu: 1500, trace });
    const r = recorder();
    adapter.openBinding(r.protocol, { name: 'x', packetFilter: PacketFilter.Promiscuous });
    adapter.indicate(new Uint8Array(13));
    adapter.indicate(fromHex('ff ff ff ff ff ff 02 00 00 00 00 02 81 00 00'));
    adapter.indicate(new Uint8Array(14 + 1505));
    // An FCS on a full-size frame is tolerated (source 02:00:00:00:00:00, an individual address).
    adapter.indicate(new Uint8Array(14 + 1504).fill(2, 6, 7));
    expect(adapter.stats().dropped).toEqual({
      runt: 2,
      giant: 1,
      'bad-source-mac': 0,
      unauthorized: 0,
      'too-deep': 0,
    });
    expect(r.seen).toHaveLength(1);
    expect(seen.filter((s) => s === 'FrameDropped')).toHaveLength(3);
    expect(seen).toContain('FrameAccepted');
  });

  it('counts a binding that throws as not accepting, traces it, and still serves the others', () => {
    const trace = new TraceRegistry({ clock: new VirtualClock() });
    const seen: string[] = [];
    trace.enable('netrx-link', (e) => seen.push(e.descriptor.name), { level: 2 });
    const adapter = new Adapter({ name: 'eth0', mac: OWN_MAC, trace });
    adapter.openBinding(
      {
        receive() {
          throw new Error('bug');
        },
        receiveComplete() {
          throw new Error('bug again');
        },
      },
      { name: 'broken' },
    );
    const ok = recorder();
    adapter.openBinding(ok.protocol, { name: 'ok' });
    expect(adapter.indicateBurst([ARP_REQUEST])).toBe(1);
    expect(ok.seen).toHaveLength(1);
    expect(adapter.stats().bindings[0]).toMatchObject({ handlerErrors: 2, rejected: 1 });
    expect(seen).toEqual(['HandlerFailed', 'HandlerFailed']);
  });

  it('stops calling a binding closed during an indication', () => {
    const adapter = new Adapter({ name: 'eth0', mac: OWN_MAC });
    const later = recorder();
    const later$: { handle?: { close(): void } } = {};
    adapter.openBinding(
      {
        receive() {
          later$.handle?.close();
          return 'not-accepted';
        },
      },
      { name: 'closer' },
    );
    const handle = adapter.openBinding(later.protocol, { name: 'later' });
    later$.handle = handle;
    adapter.indicate(ARP_REQUEST);
    handle.close();
    expect(later.seen).toHaveLength(0);
    expect(adapter.bindingOrder()).toEqual(['closer']);
  });

  it('poisons the views after the call in debug mode, so a kept view shows', () => {
    const adapter = new Adapter({ name: 'eth0', mac: OWN_MAC, debugPoisonViews: true });
    let kept: Uint8Array | undefined;
    let during: number[] = [];
    adapter.openBinding(
      {
        receive(ind) {
          kept = ind.lookahead;
          during = Array.from(kept.subarray(0, 4));
          return 'accepted';
        },
      },
      { name: 'leaky' },
    );
    const frame = Uint8Array.from(ARP_REQUEST);
    adapter.indicate(frame);
    expect(during).toEqual([0x00, 0x01, 0x08, 0x00]);
    expect(Array.from(kept!.subarray(0, 4))).toEqual([0xdd, 0xdd, 0xdd, 0xdd]);
    expect(frame).toEqual(ARP_REQUEST);
  });

  it('reorders bindings by acceptance rate when asked, and not by default', () => {
    const make = (reorderEvery?: number) => {
      const adapter = new Adapter({
        name: 'eth0',
        mac: OWN_MAC,
        ...(reorderEvery ? { reorderEvery } : {}),
      });
      adapter.openBinding(recorder('not-accepted').protocol, { name: 'rarely' });
      adapter.openBinding(recorder('accepted').protocol, { name: 'often' });
      adapter.indicateBurst([ARP_REQUEST, ARP_REQUEST]);
      return adapter.bindingOrder();
    };
    expect(make()).toEqual(['rarely', 'often']);
    expect(make(2)).toEqual(['often', 'rarely']);
  });

  it('lets taps see every frame first, including unclaimed ones', () => {
    const adapter = new Adapter({ name: 'eth0', mac: OWN_MAC });
    const order: string[] = [];
    const untap = adapter.tap((frame) => order.push(`tap ${frame.length}`));
    adapter.openBinding(
      {
        receive() {
          order.push('binding');
          return 'not-accepted';
        },
      },
      { name: 'x', etherTypes: [0x0806] },
    );
    adapter.indicateBurst([ARP_REQUEST, directedIpv4(20)]);
    untap();
    adapter.indicate(ARP_REQUEST);
    expect(order).toEqual(['tap 60', 'binding', 'tap 34', 'binding']);
    expect(adapter.stats().unclaimed).toBe(3);
  });

  it('sends through its transmit, and refuses without one', () => {
    const sent: Uint8Array[] = [];
    const adapter = new Adapter({ name: 'eth0', mac: OWN_MAC, transmit: (f) => sent.push(f) });
    const handle = adapter.openBinding(recorder().protocol, { name: 'x' });
    handle.send(ARP_REQUEST);
    expect(sent).toEqual([ARP_REQUEST]);
    expect(() => new Adapter({ name: 'mute', mac: OWN_MAC }).send(ARP_REQUEST)).toThrow(TypeError);
  });
});
