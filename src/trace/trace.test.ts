import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../testing/index.js';
import {
  defineEvent,
  passes,
  TraceLevel,
  TraceRegistry,
  type EnableNotification,
  type TraceEvent,
} from './index.js';

const GUID = '6d3c1a52-0a9e-4e7c-9a51-3b2f7c8e1d00';
const KW_FRAMES = 0x1n;
const KW_ARP = 0x2n;
const KW_DROPS = 0x4n;

const frameEvent = defineEvent({
  id: 1,
  name: 'FrameAccepted',
  level: TraceLevel.Verbose,
  keywords: KW_FRAMES,
});
const arpEvent = defineEvent({
  id: 2,
  name: 'ArpChanged',
  level: TraceLevel.Information,
  keywords: KW_ARP | KW_FRAMES,
});
const dropEvent = defineEvent({
  id: 3,
  name: 'Dropped',
  level: TraceLevel.Warning,
  keywords: KW_DROPS,
});
const alwaysEvent = defineEvent({ id: 4, name: 'Started', level: TraceLevel.LogAlways });

function setup() {
  const clock = new VirtualClock(1_000);
  const registry = new TraceRegistry({ clock });
  const provider = registry.register({ guid: GUID, name: 'netrx-test' });
  return { clock, registry, provider };
}

describe('ETW level and keyword rules', () => {
  const filter = (level: number, any: bigint, all = 0n) => ({
    level,
    matchAnyKeyword: any,
    matchAllKeyword: all,
  });
  it('passes levels at or below the listener level; level 0 listeners take all', () => {
    expect(passes(filter(3, 0n), 2, 0n)).toBe(true);
    expect(passes(filter(3, 0n), 3, 0n)).toBe(true);
    expect(passes(filter(3, 0n), 4, 0n)).toBe(false);
    expect(passes(filter(0, 0n), 5, 0n)).toBe(true);
    expect(passes(filter(1, 0n), 0, 0n)).toBe(true);
  });
  it('needs one any-bit and every all-bit; keywordless events always pass', () => {
    expect(passes(filter(5, KW_ARP), 4, KW_ARP | KW_FRAMES)).toBe(true);
    expect(passes(filter(5, KW_DROPS), 4, KW_ARP | KW_FRAMES)).toBe(false);
    expect(passes(filter(5, KW_ARP, KW_ARP | KW_FRAMES), 4, KW_ARP | KW_FRAMES)).toBe(true);
    expect(passes(filter(5, KW_ARP, KW_ARP | KW_DROPS), 4, KW_ARP | KW_FRAMES)).toBe(false);
    expect(passes(filter(5, KW_DROPS), 4, 0n)).toBe(true);
    expect(passes(filter(5, 0n), 4, KW_DROPS)).toBe(true);
  });
});

describe('TraceProvider', () => {
  it('is disabled, and write is a no-op, while nobody listens', () => {
    const { provider } = setup();
    expect(provider.isEnabled()).toBe(false);
    expect(provider.isEnabled(TraceLevel.Critical, KW_FRAMES)).toBe(false);
    provider.write(frameEvent, Uint8Array.of(1));
    expect(provider.written).toBe(0);
  });

  it('delivers synchronously with the clock timestamp and the payload view', () => {
    const { registry, provider, clock } = setup();
    const seen: TraceEvent[] = [];
    registry.enable(GUID, (event) => seen.push(event));
    clock.advance(5);
    const payload = Uint8Array.of(9, 8);
    provider.write(dropEvent, payload);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      timestamp: 1_005,
      descriptor: dropEvent,
      provider: { name: 'netrx-test' },
    });
    expect(seen[0]!.payload).toBe(payload);
    expect(provider.written).toBe(1);
  });

  it('filters per listener by level and keywords', () => {
    const { registry, provider } = setup();
    const warnings: string[] = [];
    const arp: string[] = [];
    registry.enable('netrx-test', (e) => warnings.push(e.descriptor.name), {
      level: TraceLevel.Warning,
    });
    registry.enable(GUID, (e) => arp.push(e.descriptor.name), { matchAnyKeyword: KW_ARP });
    for (const event of [frameEvent, arpEvent, dropEvent, alwaysEvent]) provider.write(event);
    expect(warnings).toEqual(['Dropped', 'Started']);
    expect(arp).toEqual(['ArpChanged', 'Started']);
  });

  it('isEnabled reflects the union of listeners', () => {
    const { registry, provider } = setup();
    const a = registry.enable(GUID, () => undefined, {
      level: TraceLevel.Error,
      matchAnyKeyword: KW_DROPS,
    });
    expect(provider.isEnabled(TraceLevel.Error, KW_DROPS)).toBe(true);
    expect(provider.isEnabled(TraceLevel.Verbose, KW_DROPS)).toBe(false);
    expect(provider.isEnabled(TraceLevel.Error, KW_ARP)).toBe(false);
    const b = registry.enable(GUID, () => undefined, {
      level: TraceLevel.Verbose,
      matchAnyKeyword: KW_ARP,
    });
    expect(provider.isEnabled(TraceLevel.Verbose, KW_ARP)).toBe(true);
    b.disable();
    a.disable();
    a.disable();
    expect(provider.isEnabled()).toBe(false);
  });

  it('tells the enable callback about each session, with filter data and the combined state', () => {
    const { registry, provider } = setup();
    const early = registry.enable(GUID, () => undefined, {
      level: 2,
      filterData: { etherTypes: [0x0806] },
    });
    const notes: EnableNotification[] = [];
    const off = provider.onEnable((n) => notes.push(n));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatchObject({
      control: 'enable',
      session: { filterData: { etherTypes: [0x0806] } },
    });
    const late = registry.enable(GUID, () => undefined, { level: 4 });
    expect(notes[1]?.combined).toMatchObject({ enabled: true, level: 4 });
    early.disable();
    late.disable();
    expect(notes.map((n) => n.control)).toEqual(['enable', 'enable', 'disable', 'disable']);
    expect(notes[3]?.combined.enabled).toBe(false);
    off();
    registry.enable(GUID, () => undefined);
    expect(notes).toHaveLength(4);
    expect(provider.listeners()).toHaveLength(1);
  });

  it('lets a provider filter per session with its filter data', () => {
    const { registry, provider } = setup();
    const got: number[] = [];
    registry.enable(GUID, () => got.push(1), { filterData: 1 });
    registry.enable(GUID, () => got.push(2), { filterData: 2 });
    provider.write(dropEvent, undefined, (session) => session.filterData === 2);
    expect(got).toEqual([2]);
  });

  it('counts a throwing listener and still reaches the others', () => {
    const { registry, provider } = setup();
    const got: string[] = [];
    registry.enable(GUID, () => {
      throw new Error('listener bug');
    });
    registry.enable(GUID, (e) => got.push(e.descriptor.name));
    expect(() => provider.write(dropEvent)).not.toThrow();
    expect(got).toEqual(['Dropped']);
    expect(provider.listenerErrors).toBe(1);
  });

  it('lets a listener disable itself during delivery without skipping others', () => {
    const { registry, provider } = setup();
    const got: string[] = [];
    const self = registry.enable(GUID, () => {
      got.push('first');
      self.disable();
    });
    registry.enable(GUID, () => got.push('second'));
    provider.write(dropEvent);
    provider.write(dropEvent);
    expect(got).toEqual(['first', 'second', 'second']);
  });
});

describe('TraceRegistry', () => {
  it('applies an enable made before the provider registered', () => {
    const clock = new VirtualClock();
    const registry = new TraceRegistry({ clock });
    const got: string[] = [];
    registry.enable('later-provider', (e) => got.push(e.descriptor.name));
    const provider = registry.register({ guid: GUID, name: 'later-provider' });
    provider.write(alwaysEvent);
    expect(got).toEqual(['Started']);
  });

  it('enables every provider, present and future, with *', () => {
    const { registry, provider } = setup();
    const got: string[] = [];
    registry.enable('*', (e) => got.push(e.provider.name));
    const other = registry.register({
      guid: '00000000-0000-0000-0000-000000000001',
      name: 'other',
    });
    provider.write(alwaysEvent);
    other.write(alwaysEvent);
    expect(got).toEqual(['netrx-test', 'other']);
  });

  it('returns the same provider for the same GUID and refuses bad or conflicting registrations', () => {
    const { registry, provider } = setup();
    expect(registry.register({ guid: GUID.toUpperCase(), name: 'netrx-test' })).toBe(provider);
    expect(() => registry.register({ guid: GUID, name: 'someone-else' })).toThrow(TypeError);
    expect(() => registry.register({ guid: 'not-a-guid', name: 'x' })).toThrow(/8-4-4-4-12/);
    expect(registry.find('NETRX-TEST')).toBe(provider);
    expect(registry.find('missing')).toBeUndefined();
    expect(registry.providers()).toHaveLength(1);
    expect(() => registry.enable(GUID, () => undefined, { level: 256 })).toThrow(RangeError);
  });
});

describe('defineEvent', () => {
  it('checks ranges once, at definition', () => {
    expect(() => defineEvent({ id: 70_000, name: 'x', level: 1 })).toThrow(/id must be 0..65535/);
    expect(() => defineEvent({ id: 1, name: 'x', level: 1, keywords: 1n << 64n })).toThrow(
      RangeError,
    );
    expect(defineEvent({ id: 1, name: 'x', level: 1 })).toMatchObject({
      version: 0,
      opcode: 0,
      task: 0,
      keywords: 0n,
    });
  });
});

describe('TraceProvider.emit', () => {
  it('never throws into the caller: an over-long string is cut and marked, a mistyped value counted', () => {
    const { registry, provider } = setup();
    const event = defineEvent({
      id: 9,
      name: 'Failed',
      level: TraceLevel.Error,
      fields: [
        { name: 'message', type: 'string' },
        { name: 'count', type: 'u32' },
      ],
    });
    const payloads: Uint8Array[] = [];
    registry.enable(GUID, (e) => payloads.push(e.payload.slice()), { level: TraceLevel.Error });
    // Before the fix this threw RangeError ("over 65535 bytes") out of emit.
    expect(() => provider.emit(event, { message: 'x'.repeat(100_000), count: 1 })).not.toThrow();
    expect(() => provider.emit(event, { message: 'ok', count: 'one' })).not.toThrow();
    expect(payloads).toHaveLength(2);
    expect(payloads[0]!.length).toBe(2 + 0xffff + 4);
    expect(provider.payloadFaults).toEqual({ truncated: 1, mistyped: 1 });
  });
});
