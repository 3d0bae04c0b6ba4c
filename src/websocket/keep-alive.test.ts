import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../testing/index.js';
import { KeepAlive } from './keep-alive.js';

/** A keep-alive over a virtual clock that records when it pinged and when it gave up. */
function watched(interval: number) {
  const clock = new VirtualClock();
  const pings: number[] = [];
  const timeouts: number[] = [];
  const keepAlive = new KeepAlive(clock, interval, 'connection', {
    isLive: () => true,
    ping: () => pings.push(clock.now()),
    timedOut: () => timeouts.push(clock.now()),
  });
  return { clock, keepAlive, pings, timeouts };
}

describe('KeepAlive.setInterval (a reload of websocket.echo.keepAliveMs, review L3)', () => {
  it('the silence so far counts against the new, shorter interval', () => {
    const { clock, keepAlive, pings } = watched(30_000);
    keepAlive.start();
    clock.advance(4_000);
    keepAlive.setInterval(5_000);
    clock.advance(999);
    expect(pings).toEqual([]);
    clock.advance(1);
    expect(pings).toEqual([5_000]);
  });

  it('a longer interval moves the next ping out', () => {
    const { clock, keepAlive, pings } = watched(1_000);
    keepAlive.start();
    keepAlive.setInterval(10_000);
    clock.advance(9_999);
    expect(pings).toEqual([]);
    clock.advance(1);
    expect(pings).toEqual([10_000]);
  });

  it('a ping already sent keeps its deadline; the ticks after it use the new interval', () => {
    const { clock, keepAlive, pings, timeouts } = watched(1_000);
    keepAlive.start();
    clock.advance(1_000);
    expect(pings).toEqual([1_000]);
    keepAlive.setInterval(5_000);
    clock.advance(1_000);
    // Silence of 2 s is under the new interval: no failure yet.
    expect(timeouts).toEqual([]);
    // Unanswered, it fails once the silence reaches the new interval.
    clock.advance(2_999);
    expect(timeouts).toEqual([]);
    clock.advance(1);
    expect(timeouts).toEqual([5_000]);
  });

  it('0 turns it off, before or after the start, and nothing is armed', () => {
    const { clock, keepAlive, pings } = watched(1_000);
    keepAlive.setInterval(0);
    keepAlive.start();
    expect(clock.pendingTimers).toBe(0);
    keepAlive.setInterval(2_000);
    clock.advance(2_000);
    expect(pings).toEqual([2_000]);
    keepAlive.received();
    keepAlive.setInterval(0);
    clock.advance(60_000);
    expect(pings).toEqual([2_000]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('a stopped keep-alive arms nothing when the interval changes', () => {
    const { clock, keepAlive } = watched(1_000);
    keepAlive.start();
    keepAlive.stop();
    keepAlive.setInterval(500);
    expect(clock.pendingTimers).toBe(0);
  });

  it('property: with the peer silent, the first ping comes at max(now, last byte + interval) of the interval in force', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60_000 }),
        fc.integer({ min: 1, max: 60_000 }),
        fc.integer({ min: 0, max: 60_000 }),
        fc.integer({ min: 0, max: 60_000 }),
        (first, second, receivedAt, changeAfter) => {
          const { clock, keepAlive, pings } = watched(first);
          keepAlive.start();
          // The peer speaks once, before the first ping is due, then goes silent.
          const spoke = Math.min(receivedAt, first - 1);
          clock.advance(spoke);
          keepAlive.received();
          const changeAt = spoke + Math.min(changeAfter, first - 1);
          clock.advanceTo(changeAt);
          keepAlive.setInterval(second);
          const due = Math.max(changeAt, spoke + second);
          if (due > changeAt) clock.advanceTo(due - 1);
          const early = [...pings];
          clock.advanceTo(due);
          expect(early).toEqual([]);
          expect(pings).toEqual([due]);
        },
      ),
    );
  });
});
