/**
 * EAP conversations that survive a server change (issue 16, item 2):
 * eapol_test (wpa_supplicant 2.10) talks through a UDP round-robin
 * forwarder (support/round-robin.ts) that sends each RADIUS round to the next of
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
  expectSuccess,
  lastLine,
  radiusServe,
  requireEapolTest,
  type ServeProcess,
} from './support/eapol-cluster.js';
import { natsAlone, requireNatsServer, type NatsNode } from './support/nats.js';
import { stopChild, stopped } from './support/processes.js';
import { RoundRobin } from './support/round-robin.js';

const nats = requireNatsServer('radius cluster interop');
const eapol = requireEapolTest('radius cluster interop');
const skip = nats.skip || eapol.skip;
const dir = mkdtempSync(join(tmpdir(), 'netrx-cluster-eap-'));

const serve = (id: string, natsUrl: string | undefined) =>
  radiusServe({
    id,
    certs: join(dir, 'certs'),
    ...(natsUrl === undefined ? {} : { nats: { url: natsUrl, clusterId: 'cluster-eap' } }),
  });

const certs = join(dir, 'certs');
const shared = eapolConfigs(dir, certs);
const CONFIGS = {
  MSCHAPv2: shared.MSCHAPv2,
  'PEAP/MSCHAPv2': shared['PEAP/MSCHAPv2'],
  'EAP-TLS': shared['EAP-TLS'],
} as const;

describe.skipIf(skip)('eapol_test through a round-robin forwarder over three netrx servers', () => {
  let natsNode: NatsNode;

  beforeAll(async () => {
    await demoCerts(certs);
    natsNode = await natsAlone(dir);
    await natsNode.start();
  }, 60_000);

  afterAll(async () => {
    await natsNode.kill();
  });

  it('the NATS link on nats-server: answered, empty answer, no responders, timeout', async () => {
    const a = await connectRadiusClusterLink({ servers: natsNode.url, clusterId: 'link-test' });
    const b = await connectRadiusClusterLink({ servers: natsNode.url, clusterId: 'link-test' });
    try {
      const echo = b.serve('echo', (message, respond) => respond(message.subarray(1)));
      const empty = b.serve('empty', (_message, respond) => respond(new Uint8Array(0)));
      const silent = b.serve('silent', () => {});
      // A subscription is live once the server has seen it: flush b by a round trip.
      await b.request('echo', Uint8Array.of(0), 2000);
      expect(await a.request('echo', Uint8Array.of(9, 1, 2, 3), 2000)).toEqual({
        kind: 'answered',
        data: Uint8Array.of(1, 2, 3),
      });
      expect(await a.request('empty', Uint8Array.of(1), 2000)).toMatchObject({
        kind: 'answered',
        data: new Uint8Array(0),
      });
      expect(await a.request('nobody', Uint8Array.of(1), 2000)).toEqual({ kind: 'unavailable' });
      expect(await a.request('silent', Uint8Array.of(1), 200)).toEqual({ kind: 'timeout' });
      echo.stop();
      empty.stop();
      silent.stop();
      // Plain Uint8Arrays both ways (a Buffer's slice() is a view, and the core copies with slice()).
      const served: Uint8Array[] = [];
      const probe = b.serve('probe', (message, respond) => {
        served.push(message);
        respond(message);
      });
      await b.request('echo', Uint8Array.of(0), 2000);
      const back = await a.request('probe', Uint8Array.of(7), 2000);
      expect(back.kind === 'answered' && Object.getPrototypeOf(back.data)).toBe(
        Uint8Array.prototype,
      );
      expect(Object.getPrototypeOf(served[0])).toBe(Uint8Array.prototype);
      probe.stop();
      // Unsubscribed: gone, as a killed owner is.
      await b.request('nobody', Uint8Array.of(0), 2000);
      expect(await a.request('echo', Uint8Array.of(1), 2000)).toEqual({ kind: 'unavailable' });
    } finally {
      await a.close();
      await b.close();
    }
  }, 30_000);

  async function fleet(clustered: boolean) {
    const servers = await Promise.all(
      ['s1', 's2', 's3'].map((id) => serve(id, clustered ? natsNode.url : undefined)),
    );
    const forwarder = new RoundRobin(servers);
    const port = await forwarder.bind();
    return {
      servers,
      forwarder,
      port,
      close: async () => {
        forwarder.close();
        await Promise.all(servers.map((s) => stopped(s.process)));
      },
    };
  }

  it('with --nats: MSCHAPv2, PEAP/MSCHAPv2 and EAP-TLS all succeed, MPPE keys OK, every server took rounds', async () => {
    const f = await fleet(true);
    try {
      for (const [name, file] of Object.entries(CONFIGS)) {
        expectSuccess(await eapolTest(f.port, file()), name);
      }
      expect([...f.forwarder.perServer.values()].every((n) => n >= 3)).toBe(true);
    } finally {
      await f.close();
    }
    // Each server forwarded rounds to the others and served theirs.
    for (const s of f.servers)
      expect(s.process.text()).toMatch(
        /cluster [1-9]\d* forwarded, [1-9]\d* answered by their owner, [1-9]\d* served for others/,
      );
  }, 120_000);

  it('without --nats the same forwarder breaks the conversation: FAILURE', async () => {
    const f = await fleet(false);
    try {
      const run = await eapolTest(f.port, CONFIGS.MSCHAPv2());
      expect(run.text).not.toContain('CTRL-EVENT-EAP-SUCCESS');
      expect(lastLine(run.text)).toBe('FAILURE');
    } finally {
      await f.close();
    }
  }, 60_000);

  it('the owner SIGKILLed mid-conversation: that attempt fails, the next one succeeds', async () => {
    const f = await fleet(true);
    try {
      let killed: ServeProcess | undefined;
      f.forwarder.onAnswer = (owner, code) => {
        // After the first Access-Challenge (11), the conversation's owner goes.
        if (killed !== undefined || code !== 11 || owner === undefined) return;
        killed = f.servers.find((s) => s.id === owner);
        if (killed === undefined) return;
        f.forwarder.live.splice(f.forwarder.live.indexOf(killed), 1);
        void stopChild(killed.process.child, 'SIGKILL');
      };
      const first = await eapolTest(f.port, CONFIGS['PEAP/MSCHAPv2']());
      expect(killed).toBeDefined();
      expect(first.text).not.toContain('CTRL-EVENT-EAP-SUCCESS');
      expect(lastLine(first.text)).toBe('FAILURE');
      const second = await eapolTest(f.port, CONFIGS['PEAP/MSCHAPv2']());
      expect(second.text).toContain('MPPE keys OK: 1  mismatch: 0');
      expect(lastLine(second.text)).toBe('SUCCESS');
    } finally {
      await f.close();
    }
    // The survivors dropped (and counted) the rounds they could not deliver to the dead owner.
    const survivors = f.servers.filter((s) => s.process.child.signalCode !== 'SIGKILL');
    expect(survivors).toHaveLength(2);
    const drops = survivors.map((s) => Number(/(\d+) dropped/.exec(s.process.text())?.[1]));
    expect(drops.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  }, 120_000);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));
