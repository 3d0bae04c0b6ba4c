/**
 * How fast a client may guess the dashboard token (or a login code): each
 * remote address (an IPv6 one by its /64, which one machine usually holds
 * whole) may fail `attempts` times freely; after that it must wait before
 * its next try, `backoffMs` at first and twice as long after every further
 * failure, up to `maxBackoffMs`. While it waits, every credential it
 * presents is refused unchecked (429 with Retry-After), so a guess during
 * the wait costs nothing and learns nothing. A global token bucket caps the
 * failures of all addresses together (`globalPerMinute`), for an attacker
 * who spreads guesses over many addresses: once it is empty, every address
 * with a failure on record waits for it. An address with none (the
 * Prometheus scraper, a dashboard user) is still checked: a right token
 * from a clean address is no guess, and refusing it would let anyone who
 * can reach the port lock every bearer out (review S1). A guesser spread
 * over many addresses thus gets one guess per address it holds while the
 * bucket is empty, until the table forgets it.
 *
 * Bounded: at most `maxAddresses` addresses are remembered, least recently
 * failed forgotten first (counted); an address quiet for `maxBackoffMs`
 * after its last wait ended is forgotten too. Forgetting an address resets
 * its backoff, which is why the global cap exists. Time comes in as `now`.
 */
export interface LoginLimits {
  /** Failures an address may make before it has to wait. */
  readonly attempts: number;
  /** The first wait after `attempts` failures (ms); doubles with each further failure. */
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  /** Failures from all addresses together per minute, before addresses that failed wait. */
  readonly globalPerMinute: number;
  /** Addresses remembered at once. */
  readonly maxAddresses: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  attempts: 5,
  backoffMs: 1000,
  maxBackoffMs: 15 * 60_000,
  globalPerMinute: 120,
  maxAddresses: 4096,
};

export type LimitVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly scope: 'address' | 'global'; readonly retryAfterMs: number };

interface Entry {
  failures: number;
  /** No credential from this address is checked before this time. */
  until: number;
  /** The last failure. */
  seen: number;
}

/**
 * Addresses are limited under `limiterKey(addressKey(remote))`, the key every
 * per-address bound of the node transports shares (node/runtime
 * remote-address.ts): all of loopback as one key (review S2), IPv6 by /64.
 */
export { addressKey, limiterKey } from '../runtime/remote-address.js';

export class LoginLimiter {
  private readonly limits: LoginLimits;
  /** Insertion order is the order of the last failure: the first entry is forgotten first. */
  private readonly table = new Map<string, Entry>();
  private bucket: { tokens: number; at: number };
  /** Addresses forgotten to make room for another (not for being quiet). */
  forgotten = 0;

  constructor(limits: LoginLimits, now: number) {
    this.limits = limits;
    this.bucket = { tokens: limits.globalPerMinute, at: now };
  }

  /** Whether a credential from `address` may be checked now. */
  check(address: string, now: number): LimitVerdict {
    const entry = this.table.get(address);
    if (entry !== undefined && now < entry.until)
      return { ok: false, scope: 'address', retryAfterMs: entry.until - now };
    // Only an address that failed is held by the global cap (see the top).
    if (entry === undefined) return { ok: true };
    this.refill(now);
    if (this.bucket.tokens < 1) {
      const perToken = 60_000 / this.limits.globalPerMinute;
      return {
        ok: false,
        scope: 'global',
        retryAfterMs: Math.ceil((1 - this.bucket.tokens) * perToken),
      };
    }
    return { ok: true };
  }

  /**
   * Records a wrong credential from `address`; returns the wait it now has
   * to serve (ms, 0 for none), so the caller can say so once, not per try.
   */
  failed(address: string, now: number): number {
    this.refill(now);
    this.bucket.tokens = Math.max(0, this.bucket.tokens - 1);
    this.sweep(now);
    const entry = this.table.get(address) ?? { failures: 0, until: now, seen: now };
    this.table.delete(address);
    entry.failures++;
    entry.seen = now;
    const over = entry.failures - this.limits.attempts;
    const wait =
      over < 0 ? 0 : Math.min(this.limits.maxBackoffMs, this.limits.backoffMs * 2 ** over);
    entry.until = now + wait;
    while (this.table.size >= this.limits.maxAddresses) {
      const oldest = this.table.keys().next();
      if (oldest.done === true) break;
      this.table.delete(oldest.value);
      this.forgotten++;
    }
    this.table.set(address, entry);
    return wait;
  }

  /** A right credential: the address starts afresh. */
  succeeded(address: string): void {
    this.table.delete(address);
  }

  /** Whether `address` has a failure on record (so the global cap holds it). */
  knows(address: string): boolean {
    return this.table.has(address);
  }

  /** Addresses remembered now. */
  get size(): number {
    return this.table.size;
  }

  private refill(now: number): void {
    const { globalPerMinute } = this.limits;
    const elapsed = Math.max(0, now - this.bucket.at);
    this.bucket = {
      tokens: Math.min(globalPerMinute, this.bucket.tokens + (elapsed * globalPerMinute) / 60_000),
      at: now,
    };
  }

  /** Forgets quiet addresses from the front (least recently failed first): amortised O(1). */
  private sweep(now: number): void {
    for (const [key, entry] of this.table) {
      if (now < Math.max(entry.until, entry.seen) + this.limits.maxBackoffMs) break;
      this.table.delete(key);
    }
  }
}
