// The guessing limits (login-limiter.ts) on plain numbers for time: the
// free attempts, the doubling wait and its cap, the global bucket, the
// bounded address table, and IPv6 addresses limited by their /64.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LOGIN_LIMITS,
  LoginLimiter,
  addressKey,
  limiterKey,
  type LoginLimits,
} from './login-limiter.js';

const limits: LoginLimits = {
  attempts: 3,
  backoffMs: 1000,
  maxBackoffMs: 8000,
  globalPerMinute: 1000,
  maxAddresses: 16,
};

describe('LoginLimiter', () => {
  it('an address fails `attempts` times freely, then waits 1 s, 2 s, 4 s … up to the cap', () => {
    const limiter = new LoginLimiter(limits, 0);
    let now = 0;
    for (let i = 0; i < 2; i++) {
      expect(limiter.check('10.0.0.1', now)).toEqual({ ok: true });
      expect(limiter.failed('10.0.0.1', now)).toBe(0);
    }
    expect(limiter.failed('10.0.0.1', now)).toBe(1000);
    expect(limiter.check('10.0.0.1', now)).toEqual({
      ok: false,
      scope: 'address',
      retryAfterMs: 1000,
    });
    // Another address is not held up.
    expect(limiter.check('10.0.0.2', now)).toEqual({ ok: true });
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      now += waits.at(-1) ?? 1000;
      expect(limiter.check('10.0.0.1', now).ok).toBe(true);
      waits.push(limiter.failed('10.0.0.1', now));
    }
    expect(waits).toEqual([2000, 4000, 8000, 8000, 8000]);
    expect(limiter.check('10.0.0.1', now + 7999).ok).toBe(false);
    // A right login starts the address afresh.
    limiter.succeeded('10.0.0.1');
    expect(limiter.check('10.0.0.1', now).ok).toBe(true);
  });

  it('the global bucket holds every address that failed once all together failed globalPerMinute times', () => {
    const limiter = new LoginLimiter({ ...limits, globalPerMinute: 6, maxAddresses: 64 }, 0);
    for (let i = 0; i < 6; i++) limiter.failed(`10.0.1.${i}`, 0);
    expect(limiter.check('10.0.1.0', 0)).toEqual({
      ok: false,
      scope: 'global',
      retryAfterMs: 10_000,
    });
    // One failure's worth refills in a sixth of a minute.
    expect(limiter.check('10.0.1.0', 10_000)).toEqual({ ok: true });
  });

  it('review mutant M2: the global bucket refills at globalPerMinute per minute, no faster', () => {
    // A long maxBackoffMs: no address is forgotten for being quiet meanwhile.
    const limiter = new LoginLimiter(
      { ...limits, globalPerMinute: 6, maxAddresses: 64, maxBackoffMs: 3_600_000 },
      0,
    );
    for (let i = 0; i < 6; i++) limiter.failed(`10.0.2.${i}`, 0);
    // A tenth of the way to one token: still refused, with the rest of the wait.
    expect(limiter.check('10.0.2.0', 1_000)).toEqual({
      ok: false,
      scope: 'global',
      retryAfterMs: 9_000,
    });
    expect(limiter.check('10.0.2.0', 9_999).ok).toBe(false);
    // Half a minute gives back 3 failures' worth, and not a fourth.
    for (let i = 0; i < 3; i++) {
      expect(limiter.check('10.0.2.1', 30_000)).toEqual({ ok: true });
      limiter.failed(`10.0.2.${10 + i}`, 30_000);
    }
    expect(limiter.check('10.0.2.1', 30_000)).toMatchObject({ ok: false, scope: 'global' });
  });

  it('S1: an empty global bucket never refuses an address with no failure (the scraper)', () => {
    const limiter = new LoginLimiter({ ...DEFAULT_LOGIN_LIMITS, maxAddresses: 4096 }, 0);
    for (let i = 0; i < 125; i++) {
      const key = `127.0.0.${i}`;
      if (limiter.check(key, 0).ok) limiter.failed(key, 0);
    }
    expect(limiter.check('127.0.0.3', 0).ok).toBe(false);
    expect(limiter.check('127.0.0.250', 0)).toEqual({ ok: true });
    // A new address's first wrong guess puts it under the global cap at once.
    limiter.failed('127.0.0.251', 0);
    expect(limiter.check('127.0.0.251', 0)).toMatchObject({ ok: false, scope: 'global' });
  });

  it('remembers at most maxAddresses, forgetting the least recently failed first, and forgets quiet ones', () => {
    const limiter = new LoginLimiter(limits, 0);
    for (let i = 0; i < 100; i++) limiter.failed(`10.1.0.${i}`, 0);
    expect(limiter.size).toBe(16);
    expect(limiter.forgotten).toBe(84);
    // The last 16 are the ones kept.
    for (let i = 0; i < 3; i++) limiter.failed('10.1.0.99', 0);
    expect(limiter.check('10.1.0.99', 0).ok).toBe(false);
    // Quiet for maxBackoffMs after the wait: forgotten, not counted as room made.
    limiter.failed('10.9.9.9', 0 + 1000 + 8000 + 8000);
    expect(limiter.size).toBe(1);
    expect(limiter.forgotten).toBe(84);
  });

  it('keys IPv4 as itself, IPv4-mapped IPv6 as IPv4, IPv6 by its /64', () => {
    expect(addressKey('192.0.2.1')).toBe('192.0.2.1');
    expect(addressKey('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(addressKey('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2::99')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:0db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey(undefined)).toBe('');
    expect(addressKey('not an address')).toBe('');
  });

  it('S2: counts every loopback address as the one key `loopback`, anything else as its addressKey', () => {
    for (const remote of ['127.0.0.1', '127.0.0.2', '127.255.255.254', '::1', '::ffff:127.0.0.3'])
      expect({ remote, key: limiterKey(addressKey(remote)) }).toEqual({ remote, key: 'loopback' });
    for (const remote of ['128.0.0.1', '126.255.255.255', '10.127.0.1', '2001:db8::1'])
      expect({ remote, key: limiterKey(addressKey(remote)) }).toEqual({
        remote,
        key: addressKey(remote),
      });
  });

  it('property: a guesser rotating over 127/8 is held after `attempts` failures, whatever the settings', () => {
    const octet = fc.integer({ min: 0, max: 255 });
    const loopback = fc
      .tuple(octet, octet, octet, fc.boolean())
      .map(([a, b, c, mapped]) => `${mapped ? '::ffff:' : ''}127.${a}.${b}.${c}`);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.array(loopback, { minLength: 9, maxLength: 9 }),
        (attempts, backoffMs, remotes) => {
          const limiter = new LoginLimiter(
            {
              attempts,
              backoffMs,
              maxBackoffMs: backoffMs * 8,
              globalPerMinute: 1000,
              maxAddresses: 64,
            },
            0,
          );
          for (const remote of remotes.slice(0, attempts))
            limiter.failed(limiterKey(addressKey(remote)), 0);
          const next = remotes[attempts] ?? '::1';
          expect(limiter.check(limiterKey(addressKey(next)), 0)).toEqual({
            ok: false,
            scope: 'address',
            retryAfterMs: backoffMs,
          });
          expect(limiter.check(limiterKey(addressKey('::1')), backoffMs).ok).toBe(true);
        },
      ),
    );
  });

  it('property: the table stays bounded, waits stay capped, an address is not held up before its attempts, a clean one never, and the global rate holds for the others', () => {
    const settings = fc.record({
      attempts: fc.integer({ min: 1, max: 8 }),
      backoffMs: fc.integer({ min: 1, max: 5000 }),
      extra: fc.integer({ min: 0, max: 60_000 }),
      globalPerMinute: fc.integer({ min: 1, max: 200 }),
      maxAddresses: fc.integer({ min: 1, max: 32 }),
    });
    const step = fc.record({ address: fc.integer({ min: 0, max: 40 }), dt: fc.nat(3000) });
    fc.assert(
      fc.property(settings, fc.array(step, { maxLength: 300 }), (s, steps) => {
        const l: LoginLimits = {
          attempts: s.attempts,
          backoffMs: s.backoffMs,
          maxBackoffMs: s.backoffMs + s.extra,
          globalPerMinute: s.globalPerMinute,
          maxAddresses: s.maxAddresses,
        };
        const limiter = new LoginLimiter(l, 0);
        const failures = new Map<string, number>();
        const checked: number[] = [];
        let now = 0;
        for (const { address, dt } of steps) {
          now += dt;
          const key = `10.0.0.${address}`;
          const known = limiter.knows(key);
          const verdict = limiter.check(key, now);
          // An address with no failure on record is always checked (S1).
          if (!known) expect(verdict).toEqual({ ok: true });
          if (!verdict.ok) {
            expect(verdict.retryAfterMs).toBeGreaterThan(0);
            if (verdict.scope === 'address') {
              expect(verdict.retryAfterMs).toBeLessThanOrEqual(l.maxBackoffMs);
              // Only an address that failed `attempts` times (as far as it is remembered) waits.
              expect(failures.get(key) ?? 0).toBeGreaterThanOrEqual(l.attempts);
            }
            continue;
          }
          limiter.failed(key, now);
          failures.set(key, (failures.get(key) ?? 0) + 1);
          if (known) checked.push(now);
          expect(limiter.size).toBeLessThanOrEqual(l.maxAddresses);
        }
        // Of the addresses already on record, in any window of W ms at most
        // the bucket plus its refill got through.
        for (let i = 0; i < checked.length; i++) {
          for (let j = i; j < checked.length; j++) {
            const window = (checked[j] as number) - (checked[i] as number);
            expect(j - i + 1).toBeLessThanOrEqual(
              l.globalPerMinute + (window * l.globalPerMinute) / 60_000 + 1e-9,
            );
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('the defaults are the documented ones', () => {
    expect(DEFAULT_LOGIN_LIMITS).toEqual({
      attempts: 5,
      backoffMs: 1000,
      maxBackoffMs: 900_000,
      globalPerMinute: 120,
      maxAddresses: 4096,
    });
  });
});
