/**
 * EAP conversations in a shared bucket of sealed state (fake JetStream KV
 * on a virtual clock): every round lands on a different server and is
 * answered there from the bucket, never forwarded; the server that began
 * the conversation can die after its first round; a round answered twice
 * gives one answer (compare-and-set); records expire with the bucket's
 * TTL; tampered, foreign-key and replayed records are refused, counted;
 * with the bucket away new conversations stay local.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FINISHED_TTL_MS, RadiusEapClient } from '../../radius/index.js';
import { nodeCrypto } from '../runtime/index.js';
import {
  KEY,
  NAS,
  SESSION_TIMEOUT_MS,
  SERVER,
  dropped,
  flush,
  makeFleet,
  md5,
  mschapv2,
  sum,
  type Node,
} from './radius-fleet.js';

describe('shared conversation state: later rounds answered from the bucket', () => {
  it.each([
    ['EAP-MD5', md5],
    ['EAP-MSCHAPv2', mschapv2],
  ] as const)(
    '%s round robin over three servers: success, nothing forwarded',
    async (_n, method) => {
      const fleet = makeFleet({ ids: ['a', 'b', 'c'] });
      const result = await fleet.authenticate([method]);
      expect(result?.outcome).toBe('success');
      if (method === mschapv2) expect(result?.keysMatch).toBe(true);
      expect(sum(fleet.nodes, (n) => n.cluster.stats().forwarded)).toBe(0);
      expect(sum(fleet.nodes, (n) => n.cluster.stats().restored)).toBeGreaterThan(0);
      // The finished record (the Accept kept for a retransmit elsewhere), deleted finishedTtlMs later.
      expect(sum(fleet.nodes, (n) => n.shared?.stats().finished ?? 0)).toBe(1);
      expect(fleet.kv.size).toBe(1);
      fleet.clock.advance(DEFAULT_FINISHED_TTL_MS);
      await flush();
      expect(sum(fleet.nodes, (n) => n.shared?.stats().deleted ?? 0)).toBe(1);
      // Nothing left anywhere: no record, no conversation in memory.
      expect(fleet.kv.size).toBe(0);
      expect(fleet.nodes.every((n) => n.server.stats().sessions === 0)).toBe(true);
    },
  );

  it('the server that began it dies after its first round: MSCHAPv2 still succeeds', async () => {
    const fleet = makeFleet({ ids: ['a', 'b', 'c'] });
    const a = fleet.nodes[0] as Node;
    const original = a.server.receive.bind(a.server);
    a.server.receive = (datagram, from, service) => {
      original(datagram, from, service);
      a.cluster.close();
      fleet.live.delete(a);
    };
    const result = await fleet.authenticate([mschapv2]);
    expect(result).toMatchObject({ outcome: 'success', keysMatch: true });
    expect(a.server.stats().sessionsStarted).toBe(1);
    expect(dropped(fleet.nodes, 'cluster-owner-unavailable')).toBe(0);
  });

  it('without the bucket the same fleet with its owner dead fails (forwarding only)', async () => {
    const fleet = makeFleet({ ids: ['a', 'b', 'c'], keys: [undefined, undefined, undefined] });
    const a = fleet.nodes[0] as Node;
    const original = a.server.receive.bind(a.server);
    a.server.receive = (datagram, from, service) => {
      original(datagram, from, service);
      a.cluster.close();
      fleet.live.delete(a);
    };
    const result = await fleet.authenticate([mschapv2]);
    expect(result?.outcome).toBe('timeout');
    expect(dropped(fleet.nodes, 'cluster-owner-unavailable')).toBeGreaterThan(0);
  });

  it('one round delivered to two servers at once: one answer wins, the other is a counted conflict', async () => {
    const fleet = makeFleet({ ids: ['a', 'b', 'c'], copies: 2 });
    const result = await fleet.authenticate([md5]);
    expect(result?.outcome).toBe('success');
    expect(sum(fleet.nodes, (n) => n.shared?.stats().conflicts ?? 0)).toBeGreaterThan(0);
    expect(dropped(fleet.nodes, 'cluster-state-conflict')).toBe(
      sum(fleet.nodes, (n) => n.shared?.stats().conflicts ?? 0),
    );
  });

  it('a record expires with the bucket TTL (virtual clock): the next round finds nothing', async () => {
    const fleet = makeFleet({ ids: ['a', 'b'] });
    const [a, b] = fleet.nodes as [Node, Node];
    // Stop after the first Access-Challenge by holding the client's answer.
    const held: Uint8Array[] = [];
    const client = new RadiusEapClient({
      clock: fleet.clock,
      crypto: nodeCrypto,
      servers: [{ ...SERVER, secret: 'testing123' }],
      methods: [md5],
      identity: 'bob',
      password: 'hello',
      send: (datagram) => held.push(datagram),
      onResult: () => {},
    });
    client.start();
    a.cluster.receive(held.shift() as Uint8Array, NAS, 'auth', () => {});
    await flush();
    client.receive(fleet.answers.at(-1) as Uint8Array, SERVER);
    expect(fleet.kv.size).toBe(1);
    expect(a.server.stats().sessions).toBe(0);
    fleet.clock.advance(SESSION_TIMEOUT_MS - 1);
    expect(fleet.kv.size).toBe(1);
    fleet.clock.advance(1);
    expect(fleet.kv.size).toBe(0);
    const before = fleet.bus.requests.get('a') ?? 0;
    b.cluster.receive(held.shift() as Uint8Array, NAS, 'auth', () => {});
    await flush();
    // Nothing in the bucket: forwarded to its owner, which no longer has it either.
    expect(fleet.bus.requests.get('a')).toBe(before + 1);
    expect(b.cluster.stats().restored).toBe(0);
  });

  it('a server with another key refuses the record (authentication, counted); the NAS retry reaches one with the right key', async () => {
    const other = nodeCrypto.randomBytes(32);
    const fleet = makeFleet({ ids: ['a', 'b'], keys: [KEY, other] });
    const result = await fleet.authenticate([md5]);
    expect(result?.outcome).toBe('success');
    expect(fleet.nodes[1]?.shared?.stats()).toMatchObject({ loaded: 0 });
    expect(fleet.nodes[1]?.shared?.stats().refused).toBeGreaterThan(0);
    expect(dropped(fleet.nodes, 'cluster-state-authentication')).toBeGreaterThan(0);
  });

  it('property: any bit flipped in a stored record: refused, never restored, never throws', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.constantFrom(md5, mschapv2), async (bit, method) => {
        // No cache: a round that comes back to the writer would be answered from its memory.
        const fleet = makeFleet({ ids: ['a', 'b'], maxCached: 0 });
        fleet.kv.tamper = (value) => {
          const copy = value.slice();
          const at = bit % copy.length;
          copy[at] = (copy[at] ?? 0) ^ (1 << (bit % 8));
          return copy;
        };
        const result = await fleet.authenticate([method]);
        expect(result?.outcome).not.toBe('success');
        expect(sum(fleet.nodes, (n) => n.cluster.stats().restored)).toBe(0);
        expect(sum(fleet.nodes, (n) => n.shared?.stats().refused ?? 0)).toBeGreaterThan(0);
      }),
      { numRuns: 25 },
    );
  });

  it('an older round put back into the bucket is refused (rewound: the entry it replaced is in the history), not replayed', async () => {
    const fleet = makeFleet({ ids: ['a', 'b', 'c'] });
    const keys: string[] = [];
    const older: Uint8Array[] = [];
    const original = fleet.kv.update.bind(fleet.kv);
    // After the MSCHAPv2 Success Request is written, put the Challenge round's record back.
    fleet.kv.update = (key, value, revision) => {
      keys.push(key);
      older.push(fleet.kv.raw(key) as Uint8Array);
      return original(key, value, revision).then((outcome) => {
        fleet.kv.forcePut(key, older[0] as Uint8Array);
        return outcome;
      });
    };
    const result = await fleet.authenticate([mschapv2]);
    expect(result?.outcome).not.toBe('success');
    // Before the history check (review16 R4) this record was restored and its rounds met stale-round.
    expect(dropped(fleet.nodes, 'cluster-state-rewound')).toBeGreaterThan(0);
    expect(dropped(fleet.nodes, 'cluster-state-stale-round')).toBe(0);
  });

  it('with the bucket away new conversations stay local (the owner answers through forwarding)', async () => {
    const fleet = makeFleet({ ids: ['a', 'b', 'c'] });
    fleet.kv.down = true;
    const result = await fleet.authenticate([mschapv2]);
    expect(result).toMatchObject({ outcome: 'success', keysMatch: true });
    expect(sum(fleet.nodes, (n) => n.shared?.stats().writeFailed ?? 0)).toBeGreaterThan(0);
    expect(sum(fleet.nodes, (n) => n.cluster.stats().forwarded)).toBeGreaterThan(0);
  });

  it('property: fleet size, method, first server and wrong passwords drawn: the outcome is the password, the bucket ends empty', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.constantFrom(md5, mschapv2),
        fc.integer({ min: 0, max: 4 }),
        fc.boolean(),
        async (size, method, start, wrong) => {
          const ids = Array.from({ length: size }, (_, i) => `s-${i}`);
          const fleet = makeFleet({ ids, start });
          const result = await fleet.authenticate([method], wrong ? 'nope' : 'hello');
          expect(result?.outcome).toBe(wrong ? 'failure' : 'success');
          fleet.clock.advance(DEFAULT_FINISHED_TTL_MS);
          await flush();
          expect(fleet.kv.size).toBe(0);
          expect(sum(fleet.nodes, (n) => n.cluster.stats().forwarded)).toBe(0);
        },
      ),
      { numRuns: 30 },
    );
  });
});
