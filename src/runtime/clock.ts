/**
 * Time as cores see it: injected, never read from the host.
 *
 * `now()` is in milliseconds, never goes backwards, and may have a fractional
 * part. The Node clock (src/node/runtime) counts from the Unix epoch, so its
 * readings are also wall-clock timestamps; the virtual clock in src/testing
 * starts wherever the test says and moves only when the test advances it.
 */
export interface Clock {
  now(): number;
  /** Calls `callback` once, `delayMs` from now, unless cancelled first. */
  setTimer(delayMs: number, callback: () => void): Timer;
}

export interface Timer {
  /** Idempotent; cancelling a timer that has fired does nothing. */
  cancel(): void;
}
