/**
 * One NAS, two spellings of its address, with real sockets: of two
 * `netrx radius serve` processes on one nats-server 2.9.10, r-radius-s1
 * listens on `::` (a dual-stack socket: the NAS 127.0.0.1 arrives as
 * `::ffff:127.0.0.1`) and r-radius-s2 on 127.0.0.1 (the same NAS arrives as
 * `127.0.0.1`). A round-robin forwarder (support/round-robin.ts) sends
 * eapol_test's (wpa_supplicant 2.10) rounds to each in turn, so a
 * conversation begun under one spelling is forwarded to its owner under
 * the other. Every authentication succeeds with its MPPE keys checked
 * (before netrx compared canonical addresses, src/radius/nas-address.ts,
 * the owner refused those rounds as `state-of-other-client`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  demoCerts,
  eapolConfigs,
  eapolTest,
  expectSuccess,
  radiusServe,
  requireEapolTest,
} from './support/eapol-cluster.js';
import { natsAlone, requireNatsServer, type NatsNode } from './support/nats.js';
import { stopped } from './support/processes.js';
import { RoundRobin } from './support/round-robin.js';

const nats = requireNatsServer('radius cluster dual-stack interop');
const eapol = requireEapolTest('radius cluster dual-stack interop');
const skip = nats.skip || eapol.skip;
const dir = mkdtempSync(join(tmpdir(), 'r-radius-dual-stack-'));
const certs = join(dir, 'certs');
const configs = eapolConfigs(dir, certs);

const serve = (id: string, host: string, natsUrl: string) =>
  radiusServe({ id, certs, host, nats: { url: natsUrl, clusterId: 'r-radius-dual-stack' } });

describe.skipIf(skip)('a NAS reaching a dual-stack and an IPv4 server in turn', () => {
  let natsNode: NatsNode;

  beforeAll(async () => {
    await demoCerts(certs);
    natsNode = await natsAlone(dir);
    await natsNode.start();
  }, 60_000);

  afterAll(async () => {
    await natsNode.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('MSCHAPv2 and PEAP/MSCHAPv2 succeed, MPPE keys OK, nothing refused as another client', async () => {
    const servers = [
      await serve('r-radius-s1', '::', natsNode.url),
      await serve('r-radius-s2', '127.0.0.1', natsNode.url),
    ];
    const forwarder = new RoundRobin(servers);
    const port = await forwarder.bind();
    try {
      for (const [name, file] of [
        ['MSCHAPv2', configs.MSCHAPv2],
        ['PEAP/MSCHAPv2', configs['PEAP/MSCHAPv2']],
      ] as const) {
        expectSuccess(await eapolTest(port, file()), name);
      }
      // Both servers took rounds, so rounds crossed from one spelling to the other.
      expect([...forwarder.perServer.values()].every((n) => n >= 2)).toBe(true);
    } finally {
      forwarder.close();
      await Promise.all(servers.map((s) => stopped(s.process)));
    }
    // Forwarded rounds were answered by their owner, and no server dropped any (the refusal was a drop).
    const exits = servers.map((s) => s.process.text());
    expect(exits.join('\n')).toMatch(
      /cluster [1-9]\d* forwarded, [1-9]\d* answered by their owner/,
    );
    for (const text of exits) expect(text).toMatch(/accepted, \d+ rejected, 0 dropped/);
  }, 120_000);
});
