import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../testing/index.js';
import { TraceRegistry, type TraceEvent } from '../trace/index.js';
import { SYNTHETIC_PROVIDER_NAME, startSyntheticProvider } from './synthetic-provider.js';

function listen(registry: TraceRegistry) {
  const seqs: bigint[] = [];
  const times: number[] = [];
  const lengths = new Set<number>();
  const subscription = registry.enable(SYNTHETIC_PROVIDER_NAME, (event: TraceEvent) => {
    const p = event.payload;
    seqs.push(new DataView(p.buffer, p.byteOffset, p.byteLength).getBigUint64(0, true));
    times.push(event.timestamp);
    lengths.add(p.length);
  });
  return { seqs, times, lengths, subscription };
}

describe('the synthetic provider (netrx-synthetic)', () => {
  it('emits at the requested rate on the injected clock, sequence numbers from 0', () => {
    const clock = new VirtualClock();
    const registry = new TraceRegistry({ clock });
    const heard = listen(registry);
    const synthetic = startSyntheticProvider({ registry, clock, eventsPerSecond: 2000 });
    clock.advance(1000);
    expect(synthetic.generated).toBe(2000);
    expect(heard.seqs).toEqual(Array.from({ length: 2000 }, (_, i) => BigInt(i)));
    expect([...heard.lengths]).toEqual([128]);
    // Spread over the second, not in one burst: 20 events per 10 ms tick.
    expect(heard.times.filter((t) => t <= 500)).toHaveLength(1000);
  });

  it('stops after count events', () => {
    const clock = new VirtualClock();
    const registry = new TraceRegistry({ clock });
    const heard = listen(registry);
    const synthetic = startSyntheticProvider({
      registry,
      clock,
      eventsPerSecond: 1000,
      count: 25,
      payloadBytes: 8,
    });
    clock.advance(10_000);
    expect(heard.seqs.length).toBe(25);
    expect(synthetic.running).toBe(false);
    expect(clock.pendingTimers).toBe(0);
    expect(synthetic.emit(5)).toBe(0);
  });

  it('spends no sequence number on an event nobody wanted', () => {
    const clock = new VirtualClock();
    const registry = new TraceRegistry({ clock });
    const synthetic = startSyntheticProvider({ registry, clock, eventsPerSecond: 1000 });
    clock.advance(100);
    expect(synthetic).toMatchObject({ generated: 0, skipped: 100 });
    const heard = listen(registry);
    clock.advance(100);
    expect(heard.seqs[0]).toBe(0n);
    expect(synthetic.generated).toBe(100);
    synthetic.stop();
    clock.advance(100);
    expect(synthetic.generated).toBe(100);
  });

  it('starts at the first enablement when asked (capture serve)', () => {
    const clock = new VirtualClock();
    const registry = new TraceRegistry({ clock });
    const synthetic = startSyntheticProvider({
      registry,
      clock,
      eventsPerSecond: 100,
      startOnEnable: true,
    });
    clock.advance(1000);
    expect(synthetic).toMatchObject({ running: false, generated: 0, skipped: 0 });
    const heard = listen(registry);
    clock.advance(1000);
    expect(synthetic.generated).toBe(100);
    expect(heard.seqs.at(-1)).toBe(99n);
  });

  it('gives an event emitted from inside a listener its own payload', () => {
    const clock = new VirtualClock();
    const registry = new TraceRegistry({ clock });
    const synthetic = startSyntheticProvider({ registry, clock, eventsPerSecond: 0 });
    let nested = false;
    registry.enable(SYNTHETIC_PROVIDER_NAME, () => {
      if (nested) return;
      nested = true;
      synthetic.emit(1);
    });
    const heard = listen(registry);
    synthetic.emit(1);
    // The second listener hears the nested event (1) first, then the outer one (0), intact.
    expect(heard.seqs).toEqual([1n, 0n]);
  });

  it('refuses bad options', () => {
    const clock = new VirtualClock();
    const registry = new TraceRegistry({ clock });
    expect(() => startSyntheticProvider({ registry, clock, payloadBytes: 7 })).toThrow(RangeError);
    expect(() => startSyntheticProvider({ registry, clock, eventsPerSecond: -1 })).toThrow(
      RangeError,
    );
    expect(() => startSyntheticProvider({ registry, clock, tickMs: 0 })).toThrow(RangeError);
  });
});
