import type { Clock } from '../runtime/index.js';

/**
 * A token bucket on an injected clock: `burst` tokens at most, refilled at
 * `ratePerSecond`. Used to rate-limit ICMP errors (RFC 1812 §4.3.2.8,
 * RFC 4443 §2.4 (f)). Allocation-free.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly clock: Clock,
    readonly ratePerSecond: number,
    readonly burst: number,
  ) {
    if (!(ratePerSecond >= 0) || !Number.isFinite(ratePerSecond)) {
      throw new RangeError(`A token rate must be a finite number >= 0: got ${ratePerSecond}`);
    }
    if (!Number.isInteger(burst) || burst < 0) {
      throw new RangeError(`A token burst must be an integer >= 0: got ${burst}`);
    }
    this.tokens = burst;
    this.last = clock.now();
  }

  /** Takes one token; false when the bucket is empty. */
  take(): boolean {
    const now = this.clock.now();
    if (now > this.last) {
      this.tokens = Math.min(
        this.burst,
        this.tokens + ((now - this.last) * this.ratePerSecond) / 1000,
      );
      this.last = now;
    }
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
