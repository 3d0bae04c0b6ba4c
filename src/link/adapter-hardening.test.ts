/**
 * Regression tests for the adapter defects of the link review (issue 9):
 * re-entrant indications, traces that could break the data path, taps that
 * were not isolated or did not see dropped frames, per-descriptor
 * NDIS_STATUS_RESOURCES in a burst, decayed acceptance rates, and read-only
 * indication fields. Every assertion is made outside the handlers, which the
 * adapter isolates (an `expect` that throws inside one would be swallowed).
 */
import { describe, expect, it } from 'vitest';
import { fromHex } from '../bytes/index.js';
import type { NetrxError } from '../runtime/index.js';
import { decodePayload, TRUNCATION_MARK, TraceRegistry } from '../trace/index.js';
import { VirtualClock } from '../testing/index.js';
import { Adapter } from './adapter.js';
import { LinkEvent } from './events.js';
import type { Indication, RetainedFrame } from './indication.js';
import { PacketFilter } from './packet-filter.js';

const OWN_MAC = fromHex('02:00:00:00:00:01');

/** A frame to us of `etherType`, `length` bytes, its payload filled with `fill`. */
function frameOf(etherType: number, length: number, fill: number): Uint8Array {
  const frame = new Uint8Array(length).fill(fill);
  frame.set(OWN_MAC, 0);
  frame.set(fromHex('02 00 00 00 00 02'), 6);
  frame[12] = etherType >> 8;
  frame[13] = etherType & 0xff;
  return frame;
}

const codeOf = (action: () => unknown): string => {
  try {
    action();
    return 'ok';
  } catch (error) {
    return (error as NetrxError).code ?? (error as Error).name;
  }
};

describe('Adapter: re-entrant indications (defect 1)', () => {
  it('keeps each indication intact when a binding loops frames back three deep', () => {
    const adapter = new Adapter({ name: 'lo', mac: OWN_MAC });
    // Depth 0 indicates depth 1's frame from inside its receive, which
    // indicates depth 2's; each then reads its own indication again.
    const frames = [
      frameOf(0x0800, 60, 0xa0),
      frameOf(0x0800, 70, 0xa1),
      frameOf(0x0800, 80, 0xa2),
    ];
    const seen: { depth: number; after: string; packetSize: number; byte: number; copy: number }[] =
      [];
    const kept: RetainedFrame[] = [];
    adapter.openBinding(
      {
        receive(ind) {
          const depth = ind.byteAt(0) - 0xa0;
          const next = frames[depth + 1];
          if (next !== undefined)
            adapter.indicate(next, { release: () => released.push(depth + 1) });
          // After the nested indication returned: everything still about this frame.
          const after = codeOf(() => ind.lookahead);
          const into = new Uint8Array(4);
          const copied = codeOf(() => ind.transferData(0, 4, into));
          kept.push(ind.retain());
          seen.push({
            depth,
            after: `${after}/${copied}`,
            packetSize: ind.packetSize,
            byte: ind.lookahead[ind.lookaheadSize - 1] as number,
            copy: into[3] as number,
          });
          return 'accepted';
        },
      },
      { name: 'loopback' },
    );
    const released: number[] = [];
    expect(adapter.indicate(frames[0]!, { release: () => released.push(0) })).toBe(1);
    expect(seen).toEqual([
      { depth: 2, after: 'ok/ok', packetSize: 66, byte: 0xa2, copy: 0xa2 },
      { depth: 1, after: 'ok/ok', packetSize: 56, byte: 0xa1, copy: 0xa1 },
      { depth: 0, after: 'ok/ok', packetSize: 46, byte: 0xa0, copy: 0xa0 },
    ]);
    expect(adapter.stats().bindings[0]).toMatchObject({
      accepted: 3,
      handlerErrors: 0,
      retains: 3,
    });
    // Each retained frame is its own, and returns its own buffer.
    expect(kept.map((k) => k.bytes.length)).toEqual([80, 70, 60]);
    expect(released).toEqual([]);
    kept[1]!.release();
    kept[0]!.release();
    kept[2]!.release();
    expect(released).toEqual([1, 2, 0]);
    expect(adapter.stats().retainedOutstanding).toBe(0);
  });

  it('keeps the indication intact when a tap injects a frame', () => {
    const adapter = new Adapter({ name: 'eth0', mac: OWN_MAC });
    const injected = frameOf(0x0806, 60, 0xbb);
    let injecting = false;
    adapter.tap((frame) => {
      if (injecting || frame[14] !== 0xaa) return;
      injecting = true;
      adapter.indicate(injected);
      injecting = false;
    });
    const seen: string[] = [];
    adapter.openBinding(
      {
        receive(ind) {
          seen.push(`${ind.etherType.toString(16)}:${ind.lookahead[0]}:${ind.packetSize}`);
          return 'accepted';
        },
      },
      { name: 'x' },
    );
    adapter.indicate(frameOf(0x0800, 100, 0xaa));
    expect(seen).toEqual(['806:187:46', '800:170:86']);
    expect(adapter.stats().bindings[0]?.handlerErrors).toBe(0);
  });

  it('bounds the nesting: an indication deeper than maxNesting is dropped and counted', () => {
    const adapter = new Adapter({ name: 'lo', mac: OWN_MAC, maxNesting: 4 });
    let calls = 0;
    adapter.openBinding(
      {
        receive(ind) {
          calls++;
          adapter.indicate(ind.header.length > 0 ? frameOf(0x0800, 60, 1) : new Uint8Array(0));
          return 'accepted';
        },
      },
      { name: 'forever' },
    );
    expect(() => adapter.indicate(frameOf(0x0800, 60, 1))).not.toThrow();
    expect(calls).toBe(4);
    expect(adapter.stats().dropped['too-deep']).toBe(1);
  });
});

describe('Adapter: nothing escapes indicate (defect 2)', () => {
  it('survives a handler error whose message is over the trace string limit, and restores its state', () => {
    const trace = new TraceRegistry({ clock: new VirtualClock() });
    const messages: string[] = [];
    trace.enable(
      'netrx-link',
      (e) => {
        if (e.descriptor.name !== 'HandlerFailed') return;
        const decoded = decodePayload(LinkEvent.handlerFailed.fields ?? [], e.payload);
        if (decoded.ok) messages.push(decoded.values['message'] as string);
      },
      { level: 2 },
    );
    const adapter = new Adapter({ name: 'eth0', mac: OWN_MAC, trace });
    let throwHuge = true;
    const codes: string[] = [];
    adapter.openBinding(
      {
        receive(ind) {
          if (throwHuge) throw new Error('x'.repeat(100_000));
          codes.push(codeOf(() => ind.lookahead));
          return 'accepted';
        },
      },
      { name: 'noisy' },
    );
    let released = 0;
    expect(() =>
      adapter.indicate(frameOf(0x0800, 60, 0), { release: () => released++ }),
    ).not.toThrow();
    expect(released).toBe(1);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.endsWith(TRUNCATION_MARK)).toBe(true);
    // The next indication is a normal one: the release state of the failed
    // one did not leak into it, and its views are live.
    throwHuge = false;
    let releasedNext = 0;
    expect(adapter.indicate(frameOf(0x0800, 60, 0), { release: () => releasedNext++ })).toBe(1);
    expect([codes, released, releasedNext]).toEqual([['ok'], 1, 1]);
  });

  it('survives a thrown value that cannot be turned into a string', () => {
    const trace = new TraceRegistry({ clock: new VirtualClock() });
    trace.enable('netrx-link', () => undefined, { level: 2 });
    const adapter = new Adapter({ name: 'eth0', mac: OWN_MAC, trace });
    adapter.openBinding(
      {
        receive() {
          throw Object.create(null) as Error; // String() of it throws TypeError
        },
      },
      { name: 'odd' },
    );
    let released = 0;
    expect(() =>
      adapter.indicate(frameOf(0x0800, 60, 0), { release: () => released++ }),
    ).not.toThrow();
    expect(released).toBe(1);
    expect(adapter.stats().bindings[0]?.handlerErrors).toBe(1);
  });

  it('counts a failure of its own (here: misuse, a null frame) without throwing, and still releases', () => {
    const adapter = new Adapter({ name: 'eth0', mac: OWN_MAC });
    let released = 0;
    expect(() =>
      adapter.indicate(null as unknown as Uint8Array, { release: () => released++ }),
    ).not.toThrow();
    expect([released, adapter.stats().internalErrors]).toEqual([1, 1]);
    // And the adapter is usable afterwards, at depth 0 again.
    adapter.openBinding(
      { receive: (ind) => (ind.lookahead.length > 0 ? 'accepted' : 'not-accepted') },
      { name: 'x' },
    );
    expect(adapter.indicate(frameOf(0x0800, 60, 0))).toBe(1);
  });

  it('isolates a release callback that throws', () => {
    const adapter = new Adapter({ name: 'eth0', mac: OWN_MAC });
    adapter.openBinding({ receive: () => 'not-accepted' }, { name: 'x' });
    const release = () => {
      throw new Error('miniport bug');
    };
    expect(() => adapter.indicate(frameOf(0x0800, 60, 0), { release })).not.toThrow();
    expect(() => adapter.indicate(new Uint8Array(3), { release })).not.toThrow();
    expect(adapter.stats().releaseErrors).toBe(2);
  });
});

describe('Adapter: taps (defects 3 and 4)', () => {
  it('counts a throwing tap like a handler failure; the bindings and the release still run', () => {
    const trace = new TraceRegistry({ clock: new VirtualClock() });
    const events: string[] = [];
    trace.enable('netrx-link', (e) => events.push(e.descriptor.name), { level: 2 });
    const adapter = new Adapter({ name: 'eth0', mac: OWN_MAC, trace, transmit: () => undefined });
    const later: number[] = [];
    adapter.tap(() => {
      throw new Error('tap bug');
    });
    adapter.tap((frame) => later.push(frame.length));
    adapter.tapTransmit(() => {
      throw new Error('transmit tap bug');
    });
    let bindingSaw = 0;
    adapter.openBinding({ receive: () => (bindingSaw++, 'accepted') }, { name: 'x' });
    let released = 0;
    expect(() =>
      adapter.indicate(frameOf(0x0800, 60, 0), { release: () => released++ }),
    ).not.toThrow();
    expect(() => adapter.send(frameOf(0x0800, 60, 0))).not.toThrow();
    expect([bindingSaw, released, later]).toEqual([1, 1, [60]]);
    expect(adapter.stats().tapErrors).toBe(2);
    expect(events).toEqual(['HandlerFailed', 'HandlerFailed']);
  });

  it('shows taps every frame received, runts and giants included, with the drop reason', () => {
    const adapter = new Adapter({ name: 'eth0', mac: OWN_MAC, mtu: 1500 });
    const tapped: [number, string][] = [];
    adapter.tap((frame, _oob, dropped) => tapped.push([frame.length, dropped ?? 'indicated']));
    const bound: number[] = [];
    adapter.openBinding(
      { receive: (ind) => (bound.push(ind.headerSize + ind.packetSize), 'accepted') },
      { name: 'x', packetFilter: PacketFilter.Promiscuous },
    );
    adapter.indicateBurst([
      new Uint8Array(13),
      fromHex('ff ff ff ff ff ff 02 00 00 00 00 02 81 00 00'),
      new Uint8Array(14 + 1505),
      new Uint8Array(14 + 1504).fill(2, 6, 7), // source 02:00:00:00:00:00
      new Uint8Array(0),
    ]);
    expect(tapped).toEqual([
      [13, 'runt'],
      [15, 'runt'],
      [1519, 'giant'],
      [1518, 'indicated'],
      [0, 'runt'],
    ]);
    expect(bound).toEqual([1518]);
    expect(adapter.stats().dropped).toMatchObject({ runt: 3, giant: 1 });
  });

  it('drops a capture record cut from a giant frame as giant, judged by its original length', () => {
    // Review 4: only the bytes present were checked against the MTU, so a
    // pcap record of a 9,000-byte frame cut at 128 bytes was indicated.
    const adapter = new Adapter({ name: 'eth0', mac: OWN_MAC, mtu: 1500 });
    const tapped: string[] = [];
    adapter.tap((_frame, _oob, dropped) => tapped.push(dropped ?? 'indicated'));
    const bound: number[] = [];
    adapter.openBinding(
      { receive: (ind) => (bound.push(ind.headerSize + ind.packetSize), 'accepted') },
      { name: 'x', packetFilter: PacketFilter.Promiscuous },
    );
    const cut = frameOf(0x0800, 128, 0);
    adapter.indicate(cut, { originalLength: 14 + 1505 });
    adapter.indicate(cut, { originalLength: 14 + 1504 });
    expect(tapped).toEqual(['giant', 'indicated']);
    expect(bound).toEqual([1518]);
    expect(adapter.stats().dropped).toMatchObject({ giant: 1 });
  });
});

describe('Adapter: bursts (defect 10)', () => {
  it('makes the descriptor marked resources, and every one after it, must-copy', () => {
    const adapter = new Adapter({ name: 'eth0', mac: OWN_MAC });
    const mustCopy: boolean[] = [];
    adapter.openBinding(
      {
        receive(ind) {
          mustCopy.push(ind.mustCopy);
          return 'accepted';
        },
      },
      { name: 'x' },
    );
    const frame = frameOf(0x0800, 60, 0);
    const released: number[] = [];
    adapter.indicateBurst([
      frame,
      { frame, release: () => released.push(1) },
      { frame, status: 'resources', release: () => released.push(2) },
      frame,
      { frame, status: 'success' },
    ]);
    expect(mustCopy).toEqual([false, false, true, true, true]);
    expect(released).toEqual([1, 2]);
    // The next burst starts afresh.
    adapter.indicateBurst([frame]);
    expect(mustCopy.at(-1)).toBe(false);
  });

  it('reorders by decayed acceptance rates: a binding that stopped accepting falls back', () => {
    const adapter = new Adapter({ name: 'eth0', mac: OWN_MAC, reorderEvery: 10 });
    let phase: 'first' | 'second' = 'first';
    adapter.openBinding(
      { receive: () => (phase === 'first' ? 'accepted' : 'not-accepted') },
      { name: 'was-busy' },
    );
    adapter.openBinding(
      { receive: () => (phase === 'second' ? 'accepted' : 'not-accepted') },
      { name: 'now-busy' },
    );
    const frame = frameOf(0x0800, 60, 0);
    for (let i = 0; i < 1000; i++) adapter.indicate(frame);
    expect(adapter.bindingOrder()).toEqual(['was-busy', 'now-busy']);
    phase = 'second';
    // Cumulative rates (1000 accepted of 1050 against 50 of 1050) would keep
    // the old order for hundreds more frames; decayed ones follow the traffic.
    for (let i = 0; i < 50; i++) adapter.indicate(frame);
    expect(adapter.bindingOrder()).toEqual(['now-busy', 'was-busy']);
  });
});

describe('Indication: read-only to handlers (defect 11)', () => {
  it('refuses writes to its size fields and flags at runtime, so a binding cannot lie to itself or the adapter', () => {
    const adapter = new Adapter({ name: 'eth0', mac: OWN_MAC });
    const after: number[] = [];
    const errors: string[] = [];
    adapter.openBinding(
      {
        receive(ind) {
          for (const field of [
            'packetSize',
            'lookaheadSize',
            'headerSize',
            'mustCopy',
            'fullPacket',
          ])
            errors.push(codeOf(() => ((ind as unknown as Record<string, unknown>)[field] = 0)));
          after.push(ind.packetSize, ind.lookaheadSize, ind.headerSize);
          return 'accepted';
        },
      },
      { name: 'x' },
    );
    adapter.indicate(frameOf(0x0800, 60, 0));
    expect(errors).toEqual(['TypeError', 'TypeError', 'TypeError', 'TypeError', 'TypeError']);
    // And at the type level: tsc checks test files, and each line below must be an error.
    const typeLevel = (ind: Indication) => {
      // @ts-expect-error the size fields are read-only
      ind.packetSize = 0;
      // @ts-expect-error read-only
      ind.lookaheadSize = 0;
      // @ts-expect-error read-only
      ind.headerSize = 0;
      // @ts-expect-error the flags too
      ind.mustCopy = false;
      // @ts-expect-error read-only
      ind.fullPacket = true;
      // @ts-expect-error read-only
      ind.oob = {};
    };
    expect(typeof typeLevel).toBe('function');
    expect(after).toEqual([46, 46, 14]);
  });
});

describe('Adapter: debug poisoning spares retained frames', () => {
  it('poisons a view the binding kept, but not a frame it retained', () => {
    const adapter = new Adapter({ name: 'eth0', mac: OWN_MAC, debugPoisonViews: true });
    let view: Uint8Array | undefined;
    let retained: RetainedFrame | undefined;
    adapter.openBinding(
      {
        receive(ind) {
          if (ind.byteAt(0) === 0x11) retained = ind.retain();
          else view = ind.lookahead;
          return 'accepted';
        },
      },
      { name: 'x' },
    );
    adapter.indicate(frameOf(0x0800, 60, 0x11));
    adapter.indicate(frameOf(0x0800, 60, 0x22));
    expect(view?.[0]).toBe(0xdd);
    expect(retained?.bytes[14]).toBe(0x11);
    expect(retained?.bytes.subarray(0, 6)).toEqual(OWN_MAC);
  });
});
