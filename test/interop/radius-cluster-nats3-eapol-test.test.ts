/**
 * EAP conversations that survive a server change on **one NATS cluster**
 * (issue 16, Proof item 2): eapol_test (wpa_supplicant 2.10) talks through
 * the round-robin forwarder (support/round-robin.ts), which sends each
 * RADIUS round to the next of three `netrx radius serve --nats` processes;
 * the three servers share a three-node nats-server 2.9.10 cluster on
 * loopback (support/nats.ts `natsCluster`, each node its own ports and
 * store), each listing the nodes from a different one. MSCHAPv2,
 * PEAP/MSCHAPv2 and EAP-TLS all succeed with `MPPE keys OK` while the NATS
 * node that the PEAP conversation's owner is connected to is SIGKILLed
 * after the conversation's first Access-Challenge: the owner reconnects to
 * another node, its subscription comes back, and the rounds other servers
 * forward to it arrive (a round lost in the gap is retransmitted by
 * eapol_test). The node restarts and one more MSCHAPv2 succeeds. The
 * single-node suite (radius-cluster-eapol-test.test.ts) keeps the cases
 * "clustering off fails" and "the owning netrx server killed".
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RECORDED_NATS_VERSION,
  delay,
  natsCluster,
  requireNatsServer,
  type NatsNode,
} from './support/nats.js';
import {
  demoCerts,
  eapolConfigs,
  eapolTest as eapolRun,
  expectSuccess,
  radiusServe,
  requireEapolTest,
  type ServeProcess,
} from './support/eapol-cluster.js';
import { stopped } from './support/processes.js';
import { RoundRobin } from './support/round-robin.js';

const nats = requireNatsServer('radius cluster nats3 interop');
const eapol = requireEapolTest('radius cluster nats3 interop');
const skip = nats.skip || eapol.skip;
const dir = mkdtempSync(join(tmpdir(), 'cl-proof-radius-nats3-'));
const certs = join(dir, 'certs');
const shared = eapolConfigs(dir, certs);
const CONFIGS = {
  MSCHAPv2: shared.MSCHAPv2,
  'PEAP/MSCHAPv2': shared['PEAP/MSCHAPv2'],
  'EAP-TLS': shared['EAP-TLS'],
} as const;
const eapolTest = (port: number, file: string) => eapolRun(port, file, [], 15);

describe.skipIf(skip)(
  `eapol_test, round robin over three netrx servers on a three-node ${RECORDED_NATS_VERSION} cluster`,
  () => {
    let nodes: NatsNode[] = [];
    const servers: ServeProcess[] = [];

    beforeAll(async () => {
      await demoCerts(certs);
      nodes = await natsCluster(dir, 3, { monitor: true });
      await Promise.all(nodes.map((node) => node.start()));
      for (const [i, id] of ['s1', 's2', 's3'].entries()) {
        // Each server lists the nodes from a different one (the client may still shuffle them).
        const order = [...nodes.slice(i), ...nodes.slice(0, i)].map((n) => n.url).join(',');
        servers.push(
          await radiusServe({ id, certs, nats: { url: order, clusterId: 'cluster-nats3' } }),
        );
      }
    }, 90_000);

    afterAll(async () => {
      await Promise.all(servers.map((s) => stopped(s.process)));
      for (const node of nodes) await node.kill();
    });

    /** The node a netrx server's NATS connection is on now. */
    async function nodeOf(id: string): Promise<NatsNode | undefined> {
      for (const node of nodes) {
        const names = await node.connectionNames().catch((): string[] => []);
        if (names.includes(`netrx-radius-${id}`)) return node;
      }
      return undefined;
    }

    it("MSCHAPv2, PEAP/MSCHAPv2 (its owner's NATS node SIGKILLed mid-way) and EAP-TLS: MPPE keys OK; again after the restart", async () => {
      const forwarder = new RoundRobin(servers);
      const port = await forwarder.bind();
      try {
        expectSuccess(await eapolTest(port, CONFIGS.MSCHAPv2()), 'MSCHAPv2');

        // Set from the forwarder's callback (a holder, so the narrowing sees the writes).
        const cut: { owner?: string; node?: Promise<NatsNode | undefined>; after: number[] } = {
          after: [],
        };
        forwarder.onAnswer = (stateOwner, code) => {
          if (cut.node !== undefined) cut.after.push(code);
          // The first Access-Challenge (11) naming an owner: the owner's node goes.
          if (cut.node !== undefined || code !== 11 || stateOwner === undefined) return;
          cut.owner = stateOwner;
          cut.node = nodeOf(stateOwner).then(async (node) => {
            await node?.kill();
            return node;
          });
          // This answer reaches eapol_test only once the node is gone: the next round is
          // forwarded while the owner reconnects.
          return cut.node;
        };
        const peap = await eapolTest(port, CONFIGS['PEAP/MSCHAPv2']());
        const killedNode = await cut.node;
        const owner = cut.owner;
        expect(owner, 'the PEAP conversation named its owner').toBeDefined();
        expect(killedNode, `the NATS node of ${owner} was found and killed`).toBeDefined();
        expectSuccess(peap, 'PEAP/MSCHAPv2 across the node kill');
        // Rounds of the conversation went on after the kill, to the end (Access-Accept, 2).
        expect(cut.after.length, 'answers after the kill').toBeGreaterThan(3);
        expect(cut.after.at(-1)).toBe(2);
        console.info(
          `nats3: ${owner}'s node ${killedNode?.name} killed after its first challenge; ${cut.after.length} answers after`,
        );
        // The owner answered forwarded rounds after the kill: it is on another node now.
        const moved = await nodeOf(owner ?? '');
        expect(moved?.name, `${owner} reconnected`).toBeDefined();
        expect(moved?.name).not.toBe(killedNode?.name);

        expectSuccess(await eapolTest(port, CONFIGS['EAP-TLS']()), 'EAP-TLS, a node down');
        await (killedNode as NatsNode).start();
        await delay(500);
        expectSuccess(await eapolTest(port, CONFIGS.MSCHAPv2()), 'MSCHAPv2, the node back');
        expect([...forwarder.perServer.values()].every((n) => n >= 3)).toBe(true);
      } finally {
        forwarder.close();
      }
      // Rounds crossed servers over the cluster. A round forwarded while the owner was between
      // nodes may go unanswered (the forwarding server drops it, eapol_test sends it again).
      const totals = { forwarded: 0, answered: 0, served: 0 };
      for (const s of servers) {
        await stopped(s.process);
        const line =
          /cluster (\d+) forwarded, (\d+) answered by their owner, (\d+) served for others/.exec(
            s.process.text(),
          );
        expect(line, `${s.id} printed its cluster totals`).not.toBeNull();
        const [, forwarded = 0, answered = 0, served = 0] = (line ?? []).map(Number);
        expect(forwarded, `${s.id} forwarded rounds`).toBeGreaterThan(0);
        totals.forwarded += forwarded;
        totals.answered += answered;
        totals.served += served;
      }
      console.info(`nats3: cluster totals ${JSON.stringify(totals)}`);
      expect(
        totals.forwarded - totals.answered,
        'rounds lost to the node kill',
      ).toBeLessThanOrEqual(3);
      expect(totals.served).toBeGreaterThanOrEqual(totals.answered);
    }, 150_000);
  },
);

afterAll(() => rmSync(dir, { recursive: true, force: true }));
