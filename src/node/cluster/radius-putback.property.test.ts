/**
 * Property (review16 R4): over drawn fleets (size, method, cache bound)
 * and interleavings of rounds delivered to any live server, answers lost,
 * server deaths, records put back into the bucket (any earlier value of
 * the conversation's key, written around the compare-and-set as someone
 * with write access can) and replays of any datagram the NAS sent before
 * (to any server, the answers going to whoever replayed them): no server
 * ever restores a record the cluster did not write as the key's newest
 * (every restore is at a revision an honest compare-and-set stored), and
 * no Access-Reject is ever sent (the password is right: a Reject can only
 * come from a fork of a put-back record). Without the history check of
 * conversation-kv.ts both fail within a few runs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RadiusEapClient, type KvWrite, type RadiusEapResult } from '../../radius/index.js';
import { nodeCrypto } from '../runtime/index.js';
import { NAS, SERVER, flush, makeFleet, md5, mschapv2, type Node } from './radius-fleet.js';

const step = fc.oneof(
  fc.record({ kind: fc.constant('deliver' as const), server: fc.nat(), lose: fc.boolean() }),
  fc.record({ kind: fc.constant('kill' as const), server: fc.nat() }),
  fc.record({ kind: fc.constant('putBack' as const), which: fc.nat() }),
  fc.record({ kind: fc.constant('replay' as const), which: fc.nat(), server: fc.nat() }),
);

const ACCESS_REJECT = 3;

describe('put-back property: a record put back is never restored', () => {
  it('property: rounds, deaths, put-backs and replays drawn: every restore is an honest newest record, no Reject', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 4 }),
        fc.constantFrom('md5', 'mschapv2'),
        fc.constantFrom(1, 4096),
        fc.array(step, { minLength: 1, maxLength: 16 }),
        async (size, methodName, maxCached, steps) => {
          const method = methodName === 'md5' ? md5 : mschapv2;
          const fleet = makeFleet({
            ids: ['a', 'b', 'c', 'd'].slice(0, size),
            methods: [method],
            maxCached,
          });
          // What honest compare-and-set writes stored, and every value they wrote, by key.
          const honest = new Set<number>();
          const values = new Map<string, Uint8Array[]>();
          const track = (key: string, value: Uint8Array, outcome: KvWrite) => {
            if (outcome.kind !== 'stored') return outcome;
            honest.add(outcome.revision);
            values.set(key, [...(values.get(key) ?? []), value.slice()]);
            return outcome;
          };
          const create = fleet.kv.create.bind(fleet.kv);
          const update = fleet.kv.update.bind(fleet.kv);
          fleet.kv.create = async (key, value) => track(key, value, await create(key, value));
          fleet.kv.update = async (key, value, revision) =>
            track(key, value, await update(key, value, revision));
          const restored: number[] = [];
          for (const node of fleet.nodes) {
            const shared = node.shared as NonNullable<Node['shared']>;
            const load = shared.load.bind(shared);
            shared.load = async (state) => {
              const outcome = await load(state);
              if (outcome.kind === 'found') restored.push(outcome.revision);
              return outcome;
            };
          }
          const held: Uint8Array[] = [];
          const box: { result?: RadiusEapResult } = {};
          const client = new RadiusEapClient({
            clock: fleet.clock,
            crypto: nodeCrypto,
            servers: [{ ...SERVER, secret: 'testing123' }],
            methods: [method],
            identity: 'bob',
            password: 'hello',
            send: (datagram) => held.push(datagram.slice()),
            onResult: (r) => (box.result = r),
          });
          client.start();
          const live = () => fleet.nodes.filter((n) => fleet.live.has(n));
          const deliver = async (node: Node, datagram: Uint8Array, toClient: boolean) => {
            const before = fleet.answers.length;
            node.cluster.receive(datagram, NAS, 'auth', (a) => fleet.answers.push(a));
            await flush();
            if (!toClient) return;
            for (const answer of fleet.answers.slice(before)) client.receive(answer, SERVER);
          };
          for (const s of steps) {
            const alive = live();
            if (s.kind === 'deliver' && held.length > 0) {
              await deliver(
                alive[s.server % alive.length] as Node,
                held.at(-1) as Uint8Array,
                !s.lose,
              );
            } else if (s.kind === 'kill' && alive.length > 1) {
              const victim = alive[s.server % alive.length] as Node;
              victim.cluster.close();
              fleet.live.delete(victim);
            } else if (s.kind === 'putBack') {
              for (const [key, written] of values) {
                fleet.kv.forcePut(key, written[s.which % written.length] as Uint8Array);
              }
            } else if (s.kind === 'replay' && held.length > 0) {
              const datagram = held[s.which % held.length] as Uint8Array;
              await deliver(alive[s.server % alive.length] as Node, datagram, false);
            }
          }
          expect(restored.filter((revision) => !honest.has(revision))).toEqual([]);
          expect(fleet.answers.map((answer) => answer[0])).not.toContain(ACCESS_REJECT);
        },
      ),
      { numRuns: 80 },
    );
  });
});
