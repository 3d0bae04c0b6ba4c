import type { Clock, Timer } from '../../runtime/index.js';

// setTimeout's delay is a signed 32-bit count of ms; longer waits are chained.
const MAX_DELAY = 0x7fff_ffff;

/**
 * The real clock: milliseconds since the Unix epoch with sub-millisecond
 * precision, monotonic (performance.timeOrigin + performance.now(), so system
 * clock steps do not move it backwards), and timers on Node's event loop.
 */
// Read once: performance.timeOrigin is a getter that costs about as much as
// performance.now() itself, and it never changes within a process.
const timeOrigin = performance.timeOrigin;

export const systemClock: Clock = {
  now: () => timeOrigin + performance.now(),
  setTimer(delayMs: number, callback: () => void): Timer {
    const due = systemClock.now() + Math.max(0, delayMs);
    let handle: NodeJS.Timeout;
    const arm = () => {
      const left = due - systemClock.now();
      handle = setTimeout(
        left > MAX_DELAY ? arm : callback,
        Math.min(Math.max(0, left), MAX_DELAY),
      );
    };
    arm();
    return { cancel: () => clearTimeout(handle) };
  },
};
