/**
 * EAP conversation state in a sealed JetStream KV bucket (issue 16 item 2,
 * part B). Peers: eapol_test (wpa_supplicant 2.10), nats-server 2.9.10
 * (`-js`, loopback, its own store). The same round-robin forwarder as
 * radius-cluster-eapol-test.test.ts sends each round to the next of three
 * `netrx radius serve --nats --state-key`; the server that began the
 * conversation is SIGKILLed after its first Access-Challenge, and
 * MSCHAPv2 (MPPE keys OK) and EAP-MD5 still succeed: every later round is
 * answered by whichever server gets it, from the bucket. Without
 * --state-key the same kill fails the attempt, as before. PEAP/MSCHAPv2:
 * its Identity/Start phase is in the bucket too, so the server that gets
 * the ClientHello starts TLS and becomes the owner named in the State.
 *
 * The forwarder, the eapol_test blocks and runs are support/round-robin.ts
 * and support/eapol-cluster.ts.
 *
 * EAP conversations that survive a server change (issue 16, item 2):
 * eapol_test (wpa_supplicant 2.10) talks through a UDP round-robin
 * forwarder, written here, that sends each RADIUS round to the next of
 * three `netrx radius serve` processes sharing one nats-server 2.9.10, as
 * an access point failing over between servers would. With `--nats` every
 * later round reaches the server that owns its State (NATS request/reply)
 * and every authentication succeeds with its MS-MPPE keys checked by
 * eapol_test (`MPPE keys OK`): MSCHAPv2, PEAP/MSCHAPv2 and EAP-TLS, whose
 * TLS engine state never leaves its process. Without `--nats` the same
 * forwarder breaks the conversation. With the owner SIGKILLed mid-way the
 * attempt fails (its rounds dropped, counted) and the next one succeeds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRadiusClusterLink } from '../../src/node/cluster/index.js';
import {
  demoCerts,
  eapolConfigs,
  eapolTest,
  lastLine,
  radiusServe,
  requireEapolTest,
  type ServeProcess,
} from './support/eapol-cluster.js';
import { natsAlone, requireNatsServer, type NatsNode } from './support/nats.js';
import { stopChild, stopped } from './support/processes.js';
import { RoundRobin } from './support/round-robin.js';

const nats = requireNatsServer('radius cluster kv interop');
const eapol = requireEapolTest('radius cluster kv interop');
const skip = nats.skip || eapol.skip;
const dir = mkdtempSync(join(tmpdir(), 'netrx-cluster-kv-'));

const STATE_KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff)).toString(
  'hex',
);

const serve = (id: string, natsUrl: string, stateKey?: string) =>
  radiusServe({
    id,
    certs: join(dir, 'certs'),
    nats: { url: natsUrl, clusterId: 'cluster-kv' },
    ...(stateKey === undefined ? {} : { stateKey }),
  });

const certs = join(dir, 'certs');
const CONFIGS = eapolConfigs(dir, certs);

describe.skipIf(skip)(
  'eapol_test, three servers, conversation state in a KV bucket, owner killed',
  () => {
    let natsNode: NatsNode;

    beforeAll(async () => {
      await demoCerts(certs);
      natsNode = await natsAlone(dir);
      await natsNode.start();
    }, 60_000);

    afterAll(async () => {
      await natsNode.kill();
    });

    it('the KV bucket on nats-server: create, compare-and-set update and delete, conflicts (API 10071)', async () => {
      const link = await connectRadiusClusterLink({ servers: natsNode.url, clusterId: 'kv-test' });
      try {
        const kv = await link.conversationBucket({ ttlMs: 30_000 });
        const created = await kv.create('abcd', Uint8Array.of(1));
        expect(created.kind).toBe('stored');
        const revision = created.kind === 'stored' ? created.revision : 0;
        expect(await kv.create('abcd', Uint8Array.of(2))).toEqual({ kind: 'conflict' });
        expect(await kv.get('abcd')).toEqual({ kind: 'found', value: Uint8Array.of(1), revision });
        const updated = await kv.update('abcd', Uint8Array.of(3), revision);
        expect(updated.kind).toBe('stored');
        // The revision read before the update is stale now: the second writer loses.
        expect(await kv.update('abcd', Uint8Array.of(4), revision)).toEqual({ kind: 'conflict' });
        expect(await kv.delete('abcd', revision)).toEqual({ kind: 'conflict' });
        const latest = updated.kind === 'stored' ? updated.revision : 0;
        expect((await kv.delete('abcd', latest)).kind).toBe('stored');
        expect(await kv.get('abcd')).toEqual({ kind: 'absent' });
      } finally {
        await link.close();
      }
    }, 30_000);

    async function fleet(stateKey: string | undefined) {
      const servers = await Promise.all(
        ['s1', 's2', 's3'].map((id) => serve(id, natsNode.url, stateKey)),
      );
      const forwarder = new RoundRobin(servers);
      const port = await forwarder.bind();
      let killed: ServeProcess | undefined;
      forwarder.onAnswer = (owner, code) => {
        // After the first Access-Challenge (11), the server that began the conversation goes.
        if (killed !== undefined || code !== 11 || owner === undefined) return;
        killed = servers.find((s) => s.id === owner);
        if (killed === undefined) return;
        forwarder.live.splice(forwarder.live.indexOf(killed), 1);
        void stopChild(killed.process.child, 'SIGKILL');
      };
      return {
        servers,
        forwarder,
        port,
        killed: () => killed,
        close: async () => {
          forwarder.close();
          await Promise.all(servers.map((s) => stopped(s.process)));
        },
      };
    }

    it.each(['MSCHAPv2', 'EAP-MD5'] as const)(
      'with --state-key: %s succeeds with its owner SIGKILLed after the first round',
      async (name) => {
        const f = await fleet(STATE_KEY);
        try {
          // EAP-MD5 derives no MSK: -n tells eapol_test not to expect MPPE keys.
          const run = await eapolTest(f.port, CONFIGS[name](), name === 'EAP-MD5' ? ['-n'] : []);
          expect(f.killed(), name).toBeDefined();
          if (name === 'MSCHAPv2') expect(run.text).toContain('MPPE keys OK: 1  mismatch: 0');
          expect(run.text).toContain('CTRL-EVENT-EAP-SUCCESS');
          expect(lastLine(run.text), name).toBe('SUCCESS');
        } finally {
          await f.close();
        }
        // The survivors answered the later rounds from KV and forwarded nothing.
        const survivors = f.servers.filter((s) => s !== f.killed());
        const fromKv = survivors.map((s) =>
          Number(/(\d+) answered from KV/.exec(s.process.text())?.[1] ?? 0),
        );
        expect(fromKv.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
        for (const s of survivors) expect(s.process.text()).toMatch(/cluster 0 forwarded/);
      },
      120_000,
    );

    it('PEAP/MSCHAPv2 with --state-key: the Identity/Start phase moves, and the server that starts TLS owns the rest', async () => {
      const servers = await Promise.all(
        ['s1', 's2', 's3'].map((id) => serve(id, natsNode.url, STATE_KEY)),
      );
      const forwarder = new RoundRobin(servers);
      const port = await forwarder.bind();
      const owners: (string | undefined)[] = [];
      forwarder.onAnswer = (owner, code) => {
        if (code === 11) owners.push(owner);
      };
      try {
        const run = await eapolTest(port, CONFIGS['PEAP/MSCHAPv2']());
        expect(run.text).toContain('MPPE keys OK: 1  mismatch: 0');
        expect(lastLine(run.text)).toBe('SUCCESS');
      } finally {
        forwarder.close();
        await Promise.all(servers.map((s) => stopped(s.process)));
      }
      // Round 1 (Identity) reached s1, whose State the next challenges carry while the
      // conversation is small data in the bucket (a Nak, the PEAP Start). The request that
      // brought the ClientHello reached server X, which restored the Start, started TLS and
      // answered with a State of its own: from there on every challenge names X, never s1,
      // and X forwards nothing (eapol_test sends one request at a time: answer k is request k's).
      expect(owners[0]).toBe('s1');
      const k = owners.findIndex((owner) => owner !== 's1');
      expect(k).toBeGreaterThan(0);
      const owner = owners[k] as string;
      expect(forwarder.order[k]).toBe(owner);
      expect(new Set(owners.slice(0, k))).toEqual(new Set(['s1']));
      expect(new Set(owners.slice(k))).toEqual(new Set([owner]));
      expect(owners.length - k).toBeGreaterThan(2);
      const owning = servers.find((s) => s.id === owner) as ServeProcess;
      expect(owning.process.text()).toMatch(/cluster 0 forwarded/);
    }, 120_000);

    it('without --state-key the same kill fails the attempt (forwarding only): FAILURE', async () => {
      const f = await fleet(undefined);
      try {
        const run = await eapolTest(f.port, CONFIGS.MSCHAPv2());
        expect(f.killed()).toBeDefined();
        expect(run.text).not.toContain('CTRL-EVENT-EAP-SUCCESS');
        expect(lastLine(run.text)).toBe('FAILURE');
      } finally {
        await f.close();
      }
    }, 120_000);
  },
);

afterAll(() => rmSync(dir, { recursive: true, force: true }));
