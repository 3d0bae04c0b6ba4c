/**
 * Property (review16c N3): a NAS whose answer was lost re-sends the same
 * Access-Request from any of its sockets through any server, while the
 * owner of a forwarded conversation may be slow (it answers after the
 * receiving server's `forwardTimeoutMs`, so that answer is thrown away).
 * Drawn: the fleet's size, whether it shares a bucket (rounds restored
 * there) or only forwards (rounds go to the owner, as every TLS round
 * does), the method, the forward timeout, and per round a list of
 * attempts (server, NAS source port, owner slow, answer lost). Once the
 * faults stop, the NAS's next retransmissions over the servers succeed:
 * the conversation is never killed by its own retransmit, whichever path
 * and port it takes, its last round included.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RadiusEapClient, clusterOwner, type RadiusEapResult } from '../../radius/index.js';
import { nodeCrypto } from '../runtime/index.js';
import { NAS, SERVER, flush, makeFleet, md5, mschapv2, type Node } from './radius-fleet.js';

const attempt = fc.record({
  server: fc.nat(),
  /** 0: the socket the NAS used first; else another of its sockets. */
  port: fc.integer({ min: 0, max: 3 }),
  slowOwner: fc.boolean(),
  lose: fc.boolean(),
});

describe('forwarding property: a retransmit from any socket through any server never kills the conversation', () => {
  it('property: slow owners, lost answers, new source ports, then retries succeed', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 4 }),
        fc.boolean(),
        fc.constantFrom('md5', 'mschapv2'),
        fc.integer({ min: 100, max: 1000 }),
        fc.array(fc.array(attempt, { minLength: 1, maxLength: 3 }), {
          minLength: 4,
          maxLength: 4,
        }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 3 })), {
          minLength: 3,
          maxLength: 3,
        }),
        async (size, bucket, methodName, forwardTimeoutMs, rounds, retries) => {
          const method = methodName === 'md5' ? md5 : mschapv2;
          const ids = ['a', 'b', 'c', 'd'].slice(0, size);
          const fleet = makeFleet({
            ids,
            ...(bucket ? {} : { keys: ids.map(() => undefined) }),
            methods: [method],
            forwardTimeoutMs,
          });
          const held: Uint8Array[] = [];
          const box: { result?: RadiusEapResult } = {};
          const client = new RadiusEapClient({
            clock: fleet.clock,
            crypto: nodeCrypto,
            servers: [{ ...SERVER, secret: 'testing123' }],
            methods: [method],
            identity: 'bob',
            password: 'hello',
            // The test retransmits by hand; the client's own timer never fires.
            timeoutMs: 600_000,
            send: (datagram) => held.push(datagram.slice()),
            onResult: (r) => (box.result = r),
          });
          const send = async (node: Node, port: number, slowOwner: boolean) => {
            const request = held.at(-1) as Uint8Array;
            const owner = clusterOwner(request);
            if (slowOwner && owner !== undefined) fleet.bus.silent.add(owner);
            const before = fleet.answers.length;
            const forwarded: Uint8Array[] = [];
            node.cluster.receive(request, { ...NAS, port: NAS.port + port }, 'auth', (x) =>
              forwarded.push(x),
            );
            await flush();
            // The receiving server gives up on a slow owner; the owner's late answer is thrown away.
            fleet.clock.advance(forwardTimeoutMs);
            await flush();
            fleet.bus.silent.clear();
            return [...forwarded, ...fleet.answers.splice(before)];
          };
          client.start();
          for (const attempts of rounds) {
            if (box.result !== undefined) break;
            const waiting = held.length;
            for (const a of attempts) {
              const answers = await send(fleet.nodes[a.server % size] as Node, a.port, a.slowOwner);
              if (!a.lose && answers[0] !== undefined) client.receive(answers[0], SERVER);
              if (held.length > waiting || box.result !== undefined) break;
            }
            // The faults stop: the NAS's next retransmissions, from any of its sockets, through any server.
            for (const [server, port] of retries) {
              if (held.length > waiting || box.result !== undefined) break;
              const answers = await send(fleet.nodes[server % size] as Node, port, false);
              if (answers[0] !== undefined) client.receive(answers[0], SERVER);
            }
            const reasons = fleet.nodes.map((n) => JSON.stringify(n.server.stats().dropped));
            expect(
              held.length > waiting || box.result !== undefined,
              `round stuck; drops ${reasons.join(' ')}`,
            ).toBe(true);
          }
          expect(box.result?.outcome).toBe('success');
          if (method === mschapv2) expect(box.result?.keysMatch).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });
});
