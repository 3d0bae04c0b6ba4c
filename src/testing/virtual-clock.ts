import type { Clock, Timer } from '../runtime/index.js';

interface Scheduled {
  readonly due: number;
  readonly seq: number;
  readonly callback: () => void;
  cancelled: boolean;
}

/**
 * A clock that moves only when the test says so. Timers due at the same
 * instant fire in the order they were set; a timer set by a firing callback for
 * a time already reached fires within the same `advance`. No real time passes,
 * so tests that use it never sleep.
 */
export class VirtualClock implements Clock {
  private current: number;
  private seq = 0;
  private readonly timers: Scheduled[] = [];

  constructor(startMs = 0) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimer(delayMs: number, callback: () => void): Timer {
    const entry: Scheduled = {
      due: this.current + Math.max(0, delayMs),
      seq: this.seq++,
      callback,
      cancelled: false,
    };
    // Keep `timers` sorted by (due, seq): binary search for the insertion point.
    let lo = 0;
    let hi = this.timers.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const other = this.timers[mid] as Scheduled;
      if (other.due < entry.due || (other.due === entry.due && other.seq < entry.seq)) lo = mid + 1;
      else hi = mid;
    }
    this.timers.splice(lo, 0, entry);
    return {
      cancel: () => {
        if (entry.cancelled) return;
        entry.cancelled = true;
        const at = this.timers.indexOf(entry);
        if (at >= 0) this.timers.splice(at, 1);
      },
    };
  }

  /** Timers set and not yet fired or cancelled. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`Cannot advance a clock by ${ms} ms`);
    this.advanceTo(this.current + ms);
  }

  /** Moves time forward to `targetMs`, firing every timer due by then. */
  advanceTo(targetMs: number): void {
    if (targetMs < this.current) {
      throw new RangeError(`Cannot move a clock back from ${this.current} to ${targetMs}`);
    }
    for (;;) {
      const next = this.timers[0];
      if (next === undefined || next.due > targetMs) break;
      this.timers.shift();
      this.current = next.due;
      next.cancelled = true;
      next.callback();
    }
    this.current = targetMs;
  }

  /** Fires the next timer, whenever it is due; returns false if there is none. */
  runNext(): boolean {
    const next = this.timers[0];
    if (next === undefined) return false;
    this.advanceTo(next.due);
    return true;
  }
}
