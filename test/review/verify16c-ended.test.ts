/**
 * verify16c (outside check of review16c N3's fix): the answers of ended
 * conversations (src/radius/server-eap-ended.ts) are kept for the
 * duplicate window and at most `max` of them. Nothing on main tested
 * either: "never expire" (H1) and "unbounded" (H2) survived the RADIUS
 * suites (reviews/verify16c-mutate.mjs). Each case below fails under its
 * mutation (seen).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EapSessionResult } from '../../src/eap/index.js';
import type { RadiusClientEntry } from '../../src/radius/clients.js';
import { EndedConversations, type EndedAnswer } from '../../src/radius/server-eap-ended.js';

const answer = (n: number): EndedAnswer => ({
  client: { name: 'nas' } as RadiusClientEntry,
  address: '127.0.0.1',
  response: Uint8Array.of(2, n, 0, 4),
  eap: Uint8Array.of(3, n, 0, 4),
  outcome: 'accept',
  result: { outcome: 'success' } as EapSessionResult,
});

describe('verify16c: the ended answers are bounded in time and number', () => {
  it('an answer is found within the window and not after it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.nat(20_000), (windowMs, age) => {
        const ended = new EndedConversations(windowMs, 8);
        ended.remember('s', answer(1), 1000);
        const found = ended.lookup('s', 1000 + age);
        expect(found === undefined).toBe(age > windowMs);
      }),
    );
  });

  it('at most `max` answers are kept, the oldest going first', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 64 }), (max, n) => {
        const ended = new EndedConversations(60_000, max);
        for (let i = 0; i < n; i++) ended.remember(`s${i}`, answer(i), 1000 + i);
        expect(ended.size).toBe(Math.min(max, n));
        expect(ended.lookup(`s${n - 1}`, 1000 + n)).toBeDefined();
        if (n > max) expect(ended.lookup(`s${n - 1 - max}`, 1000 + n)).toBeUndefined();
      }),
    );
  });
});
