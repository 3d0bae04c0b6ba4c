/**
 * The conversation cache of a server sharing its EAP state in the bucket
 * (fake JetStream KV on a virtual clock): a round that comes back to the
 * server that wrote the record is answered without a read; a cache made
 * stale by another server is never answered from (the compare-and-set of
 * its write fails, the round runs again from the bucket); a stale
 * duplicate is never answered twice; the cache is bounded in count and in
 * time (the session timeout).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FINISHED_TTL_MS } from '../../radius/index.js';
import {
  SESSION_TIMEOUT_MS,
  dropped,
  flush,
  makeFleet,
  md5,
  mschapv2,
  sum,
  type Node,
} from './radius-fleet.js';
import type { EapMethod } from '../../eap/index.js';

/**
 * MSCHAPv2 that, like a TLS-based method once its engine started, saves
 * nothing after it was restored: the server that restored it must own it.
 */
function engineLike(): EapMethod {
  const restored = new WeakSet<object>();
  return {
    ...mschapv2,
    saveState: (state) => (restored.has(state as object) ? undefined : mschapv2.saveState?.(state)),
    restoreState: (saved, input) => {
      const state = mschapv2.restoreState?.(saved, input);
      if (state !== undefined) restored.add(state as object);
      return state;
    },
  };
}

/**
 * The Access-Accepts and Access-Challenges the fleet sent, grouped by the
 * RADIUS Identifier of the request they answer. (An Access-Reject is left
 * out: a duplicate of a finished round that reaches a server with no copy
 * of the conversation is rejected as an unknown State would be, at any
 * server; it moves nothing on.)
 */
function answersById(answers: readonly Uint8Array[]): Map<number, Set<string>> {
  const byId = new Map<number, Set<string>>();
  for (const answer of answers) {
    if (answer[0] === 3) continue;
    const id = answer[1] as number;
    const set = byId.get(id) ?? new Set<string>();
    set.add(Buffer.from(comparable(answer)).toString('hex'));
    byId.set(id, set);
  }
  return byId;
}

describe('shared conversation state: the cache of the server that wrote it', () => {
  it.each([
    ['EAP-MD5', md5, 1, 1],
    ['EAP-MSCHAPv2', mschapv2, 3, 1],
  ] as const)(
    '%s on one server: every later round from the cache, no KV read',
    async (_n, method, writes, deletes) => {
      const fleet = makeFleet({ ids: ['a'] });
      const result = await fleet.authenticate([method]);
      expect(result?.outcome).toBe('success');
      // Before the cache: one read per later round (MD5 1, MSCHAPv2 3).
      expect(fleet.kv.calls.get).toBe(0);
      // And the finished record, which its writer deletes finishedTtlMs later.
      expect(fleet.kv.calls.create + fleet.kv.calls.update).toBe(writes + 1);
      expect(fleet.nodes[0]?.shared?.stats().cacheHits).toBe(writes);
      expect(fleet.kv.calls.delete).toBe(0);
      fleet.clock.advance(DEFAULT_FINISHED_TTL_MS);
      await flush();
      expect(fleet.kv.calls.delete).toBe(deletes);
      expect(fleet.kv.size).toBe(0);
    },
  );

  it('maxCachedConversations 0 reads every later round back, as before the cache', async () => {
    const fleet = makeFleet({ ids: ['a'], maxCached: 0 });
    const result = await fleet.authenticate([mschapv2]);
    expect(result).toMatchObject({ outcome: 'success', keysMatch: true });
    expect(fleet.kv.calls.get).toBe(3);
    expect(fleet.nodes[0]?.server.cachedConversations).toBe(0);
  });

  it('a round that comes back after another server moved the conversation on runs from the bucket, not the stale cache', async () => {
    // a, b, a, b…: a's cache is stale at every round it gets after the first.
    const fleet = makeFleet({ ids: ['a', 'b'] });
    const result = await fleet.authenticate([mschapv2]);
    expect(result).toMatchObject({ outcome: 'success', keysMatch: true });
    const [a] = fleet.nodes as [Node, Node];
    expect(a.shared?.stats().cacheStale).toBeGreaterThan(0);
    expect(a.shared?.stats().cacheHits).toBe(0);
    expect(dropped(fleet.nodes, 'cluster-state-conflict')).toBe(0);
    expect(sum(fleet.nodes, (n) => n.cluster.stats().forwarded)).toBe(0);
  });

  it('a stale duplicate at the server whose cache awaits it: the CAS fails, the record says stale-round, nothing is answered twice', async () => {
    // Identity at a (a caches it), Challenge-Response at b (b moves it on), then that
    // Challenge-Response again at a, whose cache still awaits it, and the rest at b.
    const fleet = makeFleet({
      ids: ['a', 'b'],
      route: (n) => {
        if (n === 2) fleet.deliverTo(fleet.nodes[0] as Node, fleet.sent[1] as Uint8Array);
        return n === 0 ? 0 : 1;
      },
    });
    const result = await fleet.authenticate([mschapv2]);
    expect(result).toMatchObject({ outcome: 'success', keysMatch: true });
    const [a] = fleet.nodes as [Node, Node];
    expect(a.shared?.stats().cacheStale).toBe(1);
    expect(a.server.stats().dropped['cluster-state-stale-round']).toBe(1);
    for (const set of answersById(fleet.answers).values()) expect(set.size).toBe(1);
  });

  it('property: 2–3 servers, random routing, stale duplicates to random servers, drawn cache bound: no request answered twice differently, success, the cache bounded and emptied by the session timeout', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 3 }),
        fc.constantFrom(md5, mschapv2),
        fc.array(fc.nat(), { minLength: 1, maxLength: 40 }),
        fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 6 }),
        fc.constantFrom(0, 1, 2, 4096),
        fc.integer({ min: 1, max: 4 }),
        async (size, method, routes, duplicates, maxCached, conversations) => {
          const ids = Array.from({ length: size }, (_, i) => `s-${i}`);
          const fleet = makeFleet({
            ids,
            maxCached,
            route: (n, alive) => (routes[n % routes.length] as number) % alive,
          });
          for (let c = 0; c < conversations; c++) {
            const first = fleet.answers.length;
            const firstSent = fleet.sent.length;
            const result = await fleet.authenticate([method]);
            expect(result?.outcome).toBe('success');
            // Stale duplicates: this conversation's later-round requests (with a State: a first
            // request anywhere else starts a new conversation, as at any server), each to a drawn server.
            const later = fleet.sent.slice(firstSent).filter(hasState);
            for (const [which, to] of duplicates) {
              const earlier = later[which % later.length] as Uint8Array;
              fleet.deliverTo(fleet.nodes[to % size] as Node, earlier);
              await flushMany();
            }
            // No replay: every request of this conversation (by Identifier: one client never
            // reuses one here) got one answer, byte for byte, however often it came.
            const answers = answersById(fleet.answers.slice(first));
            for (const set of answers.values()) expect(set.size).toBe(1);
          }
          for (const node of fleet.nodes) {
            expect(node.server.cachedConversations).toBeLessThanOrEqual(maxCached);
          }
          fleet.clock.advance(SESSION_TIMEOUT_MS + 1);
          for (const node of fleet.nodes) {
            expect(node.server.cachedConversations).toBe(0);
            expect(node.server.stats().sessions).toBe(0);
            // A cached copy expiring is not a conversation that expired.
            expect(node.server.stats().expired).toBe(0);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

/**
 * What makes two answers the same answer: an Access-Accept a finished
 * record answers again at another server is signed there afresh (new MPPE
 * salts, so new Vendor-Specific values and authenticators); its code,
 * Identifier and other attributes (EAP-Success, User-Name, State) are the
 * ones compared. Every other answer is compared byte for byte.
 */
function comparable(answer: Uint8Array): Uint8Array {
  if (answer[0] !== 2) return answer;
  const kept: number[] = [answer[0], answer[1] as number];
  for (let at = 20; at + 2 <= answer.length; at += answer[at + 1] || answer.length) {
    const type = answer[at] as number;
    if (type === 26 || type === 80) continue; // Vendor-Specific (MPPE keys), Message-Authenticator
    kept.push(...answer.subarray(at, at + (answer[at + 1] as number)));
  }
  return Uint8Array.from(kept);
}

/** Whether a RADIUS datagram carries a State attribute (24). */
function hasState(datagram: Uint8Array): boolean {
  for (let at = 20; at + 2 <= datagram.length; at += datagram[at + 1] || datagram.length) {
    if (datagram[at] === 24) return true;
  }
  return false;
}

async function flushMany(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve().then(() => undefined);
  for (let i = 0; i < 40; i++) await Promise.resolve();
}

describe('shared conversation state: a method that stops saving (a TLS engine started) is owned by the server that restored it', () => {
  it('the record is deleted, the next challenge names the new owner, later rounds are forwarded to it', async () => {
    const fleet = makeFleet({ ids: ['a', 'b', 'c'], methods: [engineLike()] });
    const result = await fleet.authenticate([mschapv2]);
    expect(result).toMatchObject({ outcome: 'success', keysMatch: true });
    const [, b] = fleet.nodes as [Node, Node, Node];
    expect(b.shared?.stats().owned).toBe(1);
    // Challenges: the first names a (it began it), the second b (it restored it and owns it now).
    const owners = fleet.answers.filter((d) => d[0] === 11).map((d) => ownerOf(d));
    expect(owners).toEqual(['a', 'b']);
    expect(sum(fleet.nodes, (n) => n.cluster.stats().forwarded)).toBe(1);
    expect(b.server.stats().sessions).toBe(0);
    expect(fleet.kv.size).toBe(0);
  });

  it('the round that starts it delivered to two servers: one owns it, the other sends nothing', async () => {
    // No cache: both copies are restored from the bucket, so both start an "engine".
    const fleet = makeFleet({
      ids: ['a', 'b', 'c'],
      methods: [engineLike()],
      copies: 2,
      maxCached: 0,
    });
    const result = await fleet.authenticate([mschapv2]);
    expect(result?.outcome).toBe('success');
    expect(sum(fleet.nodes, (n) => n.shared?.stats().owned ?? 0)).toBe(1);
    expect(dropped(fleet.nodes, 'cluster-state-conflict')).toBeGreaterThan(0);
  });
});

describe('shared conversation state: taking a conversation over whose record does not go', () => {
  it('a failed delete at the takeover answers nothing (the bucket still holds the round); the retry is taken over', async () => {
    const fleet = makeFleet({ ids: ['a', 'b', 'c'], methods: [engineLike()] });
    const remove = fleet.kv.delete.bind(fleet.kv);
    let failures = 1;
    fleet.kv.delete = (key, revision) => {
      if (failures-- > 0) return Promise.resolve({ kind: 'failed', reason: 'disconnected' });
      return remove(key, revision);
    };
    const result = await fleet.authenticate([mschapv2]);
    expect(result).toMatchObject({ outcome: 'success', keysMatch: true });
    expect(dropped(fleet.nodes, 'cluster-state-write-failed')).toBe(1);
    expect(sum(fleet.nodes, (n) => n.shared?.stats().restoredWriteFailed ?? 0)).toBe(1);
    // Owned once: by the server the retry reached, not by the one whose delete failed.
    expect(sum(fleet.nodes, (n) => n.shared?.stats().owned ?? 0)).toBe(1);
    const [, b] = fleet.nodes as [Node, Node, Node];
    expect(b.shared?.stats().owned).toBe(0);
    expect(b.server.stats().sessions).toBe(0);
  });
});

/** The server id an Access-Challenge's State names. */
function ownerOf(datagram: Uint8Array): string | undefined {
  for (let at = 20; at + 2 <= datagram.length; at += datagram[at + 1] || datagram.length) {
    if (datagram[at] !== 24) continue;
    const state = datagram.subarray(at + 2, at + (datagram[at + 1] as number));
    return String.fromCharCode(...state.subarray(2, 2 + (state[1] as number)));
  }
  return undefined;
}
