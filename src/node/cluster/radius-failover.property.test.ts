/**
 * Property (review F6/F7): over drawn fleets and interleavings of rounds,
 * NAS retransmits, answers lost on the way back, server deaths and failed
 * KV writes and deletes (the bucket stays reachable for reads), a
 * conversation whose NAS keeps retrying is never dropped for ever: once
 * the faults stop, retrying the NAS's current request over the live
 * servers ends in Access-Accept. That includes an Access-Accept lost on
 * its way, its server dead after: the finished record answers the NAS's
 * retransmit at any server (this property found that hole; it held an
 * exemption for it until the finished record closed it).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RadiusEapClient, type RadiusEapResult } from '../../radius/index.js';
import { nodeCrypto } from '../runtime/index.js';
import { NAS, SERVER, flush, makeFleet, md5, mschapv2, type Node } from './radius-fleet.js';
import type { KvWrite } from '../../radius/index.js';

const step = fc.oneof(
  fc.record({
    kind: fc.constant('deliver' as const),
    server: fc.nat(),
    lose: fc.boolean(),
    failUpdate: fc.boolean(),
    failDelete: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('kill' as const), server: fc.nat() }),
);

const failed = (): Promise<KvWrite> => Promise.resolve({ kind: 'failed', reason: 'disconnected' });

describe('failover property: a retried conversation is never dropped for ever', () => {
  it('property: faults at any moment, then retries over the live servers succeed', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 4 }),
        fc.constantFrom('md5', 'mschapv2'),
        fc.array(step, { maxLength: 12 }),
        async (size, methodName, steps) => {
          const method = methodName === 'md5' ? md5 : mschapv2;
          const fleet = makeFleet({ ids: ['a', 'b', 'c', 'd'].slice(0, size), methods: [method] });
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
          const deliver = async (node: Node, lose: boolean) => {
            const before = fleet.answers.length;
            const forwarded: Uint8Array[] = [];
            node.cluster.receive(held.at(-1) as Uint8Array, NAS, 'auth', (a) => forwarded.push(a));
            await flush();
            const answers = [...forwarded, ...fleet.answers.splice(before)];
            if (!lose) for (const answer of answers) client.receive(answer, SERVER);
          };
          const update = fleet.kv.update.bind(fleet.kv);
          const remove = fleet.kv.delete.bind(fleet.kv);
          for (const s of steps) {
            if (box.result !== undefined) break;
            const alive = live();
            const node = alive[s.server % alive.length] as Node;
            if (s.kind === 'kill') {
              if (alive.length === 1) continue;
              node.cluster.close();
              fleet.live.delete(node);
              continue;
            }
            fleet.kv.update = s.failUpdate ? failed : update;
            fleet.kv.delete = s.failDelete ? failed : remove;
            await deliver(node, s.lose);
            fleet.kv.update = update;
            fleet.kv.delete = remove;
          }
          for (let retry = 0; retry < 40 && box.result === undefined; retry++) {
            const alive = live();
            await deliver(alive[retry % alive.length] as Node, false);
          }
          expect(box.result?.outcome).toBe('success');
        },
      ),
      {
        numRuns: 60,
        // The counterexample this property found (run 92 of 400 on main before the finished
        // record): the MD5 Accept lost, its server killed. Kept so it runs every time.
        examples: [
          [
            2,
            'md5',
            [
              { kind: 'deliver', server: 0, lose: false, failUpdate: false, failDelete: false },
              { kind: 'deliver', server: 0, lose: true, failUpdate: false, failDelete: false },
              { kind: 'kill', server: 0 },
            ],
          ],
        ],
      },
    );
  });
});
