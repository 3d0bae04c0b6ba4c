/**
 * F6 with the real peer (review16 §1): a server that wrote a round's state
 * to the bucket and died before its answer left. Peers: eapol_test
 * (RECORDED_EAPOL_TEST, `eapol_test v2.10`, Debian eapoltest
 * 2:2.10-12+deb12u3) and nats-server 2.9.10 (RECORDED_NATS_VERSION, `-js`
 * on a free loopback port, its own store); either missing fails under
 * CI=true. Three netrx RADIUS servers of one cluster run in this process
 * (support/eapol-cluster.ts) behind the suites' round-robin forwarder
 * (support/round-robin.ts). One of them has the fault seam around its
 * bucket (`crashAfterWrite`): at its nth stored compare-and-set it closes
 * its socket and its NATS link, and that round's answer never leaves. The
 * NAS (eapol_test) retransmits the round; the forwarder sends it to the next
 * live server, which finds the record answering exactly that EAP Response
 * and sends the same Request again (or, for the last round, the finished
 * record's Accept with the same MPPE keys): the authentication succeeds
 * with `MPPE keys OK`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RECORDED_EAPOL_TEST,
  clusterServer,
  crashAfterWrite,
  eapolConfigs,
  eapolTest,
  lastLine,
  requireEapolTest,
  type ClusterServer,
} from './support/eapol-cluster.js';
import { natsAlone, requireNatsServer, type NatsNode } from './support/nats.js';
import { versionOf } from './support/peers.js';
import { RoundRobin } from './support/round-robin.js';

const nats = requireNatsServer('radius cluster kv F6 interop');
const eapol = requireEapolTest('radius cluster kv F6 interop');
const skip = nats.skip || eapol.skip;
const dir = mkdtempSync(join(tmpdir(), 'r-kv-f6-'));
const configs = eapolConfigs(dir, join(dir, 'certs'));
const STATE_KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 53 + 7) & 0xff);

const CASES = [
  // netrx offers MD5 first: MSCHAPv2's updates are the Nak round (the MSCHAPv2 Challenge),
  // the Challenge Response round (the Success Request), then the finished record (Accept).
  { method: 'MSCHAPv2', nth: 1, answeredBy: 'retransmits' },
  { method: 'MSCHAPv2', nth: 2, answeredBy: 'retransmits' },
  { method: 'MSCHAPv2', nth: 3, answeredBy: 'finishedAnswered' },
  // EAP-MD5's only update is its finished record (Accept; no MSK: -n).
  { method: 'EAP-MD5', nth: 1, answeredBy: 'finishedAnswered' },
] as const;

describe.skipIf(skip)('eapol_test: the server that wrote a round dies before answering it', () => {
  let natsNode: NatsNode;

  beforeAll(async () => {
    expect(versionOf('eapol_test', ['-v'])).toBe(RECORDED_EAPOL_TEST);
    natsNode = await natsAlone(dir);
    await natsNode.start();
  }, 60_000);

  afterAll(async () => {
    await natsNode.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(CASES)(
    '$method, crash after update $nth: the retransmit is answered elsewhere and the login succeeds',
    async ({ method, nth, answeredBy }) => {
      const clusterId = `f6-${method === 'EAP-MD5' ? 'md5' : 'mschapv2'}-${nth}`;
      const servers: ClusterServer[] = [];
      const forwarder = new RoundRobin([]);
      let crashed: string | undefined;
      // Stored updates across the fleet: the server storing the nth one crashes.
      let updates = 0;
      const crashNow = (id: string) => () => {
        if (++updates !== nth) return false;
        crashed = id;
        const at = forwarder.live.findIndex((s) => s.id === id);
        if (at >= 0) forwarder.live.splice(at, 1);
        void servers.find((s) => s.id === id)?.stop();
        return true;
      };
      for (const id of ['s1', 's2', 's3']) {
        servers.push(
          await clusterServer({
            id,
            natsUrl: natsNode.url,
            clusterId,
            stateKey: STATE_KEY,
            wrapKv: (kv) => crashAfterWrite(kv, crashNow(id)),
          }),
        );
      }
      forwarder.live.push(...servers);
      const port = await forwarder.bind();
      try {
        const run = await eapolTest(
          port,
          configs[method](),
          method === 'EAP-MD5' ? ['-n'] : [],
          20,
        );
        const survivors = servers.filter((s) => s.id !== crashed);
        const shared = survivors.map((s) => s.server.stats().cluster?.shared);
        const total = (key: 'retransmits' | 'finishedAnswered' | 'staleRounds') =>
          shared.reduce((sum, stats) => sum + (stats?.[key] ?? 0), 0);
        console.info(
          `F6 ${method} crash after update ${nth}: crashed ${String(crashed)}; survivors ${answeredBy} ${total(answeredBy)}, stale ${total('staleRounds')}; ${lastLine(run.text)}`,
        );
        expect(crashed).toBeDefined();
        expect(total(answeredBy)).toBeGreaterThanOrEqual(1);
        expect(total('staleRounds')).toBe(0);
        if (method === 'MSCHAPv2') expect(run.text).toContain('MPPE keys OK: 1  mismatch: 0');
        expect(run.text).toContain('CTRL-EVENT-EAP-SUCCESS');
        expect(lastLine(run.text)).toBe('SUCCESS');
      } finally {
        forwarder.close();
        await Promise.all(servers.map((s) => s.stop()));
      }
    },
    120_000,
  );
});
