import { describe, expect, it } from 'vitest';
import { VirtualClock } from './virtual-clock.js';

describe('VirtualClock', () => {
  it('fires timers in due order, ties in the order they were set', () => {
    const clock = new VirtualClock(1000);
    const fired: string[] = [];
    clock.setTimer(20, () => fired.push('b'));
    clock.setTimer(10, () => fired.push('a'));
    clock.setTimer(20, () => fired.push('c'));
    clock.advance(15);
    expect(fired).toEqual(['a']);
    expect(clock.now()).toBe(1015);
    clock.advance(5);
    expect(fired).toEqual(['a', 'b', 'c']);
  });

  it('shows each callback the time it was due', () => {
    const clock = new VirtualClock();
    const seen: number[] = [];
    clock.setTimer(5, () => seen.push(clock.now()));
    clock.advance(100);
    expect(seen).toEqual([5]);
    expect(clock.now()).toBe(100);
  });

  it('fires timers set by callbacks within the same advance', () => {
    const clock = new VirtualClock();
    const seen: number[] = [];
    clock.setTimer(1, () => clock.setTimer(1, () => seen.push(clock.now())));
    clock.advance(2);
    expect(seen).toEqual([2]);
  });

  it('cancels, idempotently', () => {
    const clock = new VirtualClock();
    let fired = false;
    const timer = clock.setTimer(1, () => (fired = true));
    timer.cancel();
    timer.cancel();
    clock.advance(5);
    expect(fired).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });

  it('runs the next timer however far away, and refuses to go back', () => {
    const clock = new VirtualClock();
    clock.setTimer(5000, () => undefined);
    expect(clock.runNext()).toBe(true);
    expect(clock.now()).toBe(5000);
    expect(clock.runNext()).toBe(false);
    expect(() => clock.advanceTo(1)).toThrow(RangeError);
    expect(() => clock.advance(-1)).toThrow(RangeError);
  });
});
