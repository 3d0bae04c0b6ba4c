/**
 * PEAP/MSCHAPv2 and EAP-TLS forwarded between two `netrx up` hosts (from
 * audit16's reproduction, finding A6; peers: Debian nats-server 2.9.10,
 * eapol_test v2.10). The Proof's round-robin suite (test/interop/radius-cluster-eapol-test.test.ts)
 * runs `netrx radius serve --nats` children; under `netrx up` only
 * MSCHAPv2 was proven across hosts (up-cluster-state-key.test.ts). Here the
 * TLS-based methods go through the `netrx up` configuration a user writes:
 * two hosts in this process (`radius.cluster` + `radius.tls`, one
 * nats-server 2.9.10 through `cluster.nats`), the round-robin relay sending
 * each round of eapol_test v2.10's PEAP/MSCHAPv2 and EAP-TLS conversations
 * to the other host, so every TLS round that lands on the non-owner must be
 * forwarded to the owner over NATS: MPPE keys OK, and some rounds forwarded.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writeDemoCertificates } from '../../src/node/certs/demo.js';
import { validateHostConfig } from '../../src/node/host/config.js';
import { startHost, type HostService, type RunningHost } from '../../src/node/host/host.js';
import { isRadiusService } from '../../src/node/host/radius-service.js';
import { servicesFromConfig } from '../../src/node/host/services.js';
import { CLUSTER_SECRET, eapolConfigs, eapolTest } from './support/eapol-cluster.js';
import {
  RECORDED_NATS_VERSION,
  natsAlone,
  requireNatsServer,
  type NatsNode,
} from './support/nats.js';
import { commandExists, requirePeers } from './support/peers.js';
import { RoundRobin } from './support/round-robin.js';

/** The secret the shared eapol_test helper sends. */
const SECRET = CLUSTER_SECRET;
const nats = requireNatsServer('up-cluster-tls-forward.test.ts');
const eapol = requirePeers('up-cluster-tls-forward.test.ts', [
  { name: 'eapol_test', ok: () => commandExists('eapol_test'), hint: 'apt-get install eapoltest' },
]);
const skip = nats.skip || eapol.skip;
const dir = mkdtempSync(join(tmpdir(), 'netrx-up-tls-forward-'));
const certs = join(dir, 'certs');
let node: NatsNode | undefined;
const hosts: RunningHost[] = [];

beforeAll(async () => {
  if (skip) return;
  console.info(`peers: ${RECORDED_NATS_VERSION}, eapol_test v2.10`);
  await writeDemoCertificates(certs);
  node = await natsAlone(dir);
  await node.start();
}, 30_000);

afterEach(async () => {
  for (const host of hosts.splice(0)) await host.stop();
});

afterAll(async () => {
  await node?.kill();
  rmSync(dir, { recursive: true, force: true });
});

async function upHost(
  serverId: string,
): Promise<{ id: string; port: number; radius: HostService }> {
  const config = validateHostConfig({
    http: { port: 0 },
    radius: {
      port: 0,
      clients: [{ address: '127.0.0.0/8', secret: SECRET }],
      users: [{ name: 'bob', password: 'hello' }],
      methods: ['peap', 'tls', 'mschapv2'],
      tls: {
        certificate: join(certs, 'server.pem'),
        privateKey: join(certs, 'server-key.pem'),
        ca: join(certs, 'ca.pem'),
      },
      cluster: { enabled: true, id: 'audit16-tls', serverId, stateKey: '3c'.repeat(32) },
    },
    capture: { rpc: { enabled: false } },
    synthetic: { enabled: false },
    cluster: { nats: { servers: [(node as NatsNode).url] } },
  });
  const services = servicesFromConfig(config);
  const host = await startHost(config, { version: '0', services });
  hosts.push(host);
  const radius = services.find((s) => s.name === 'radius');
  if (!isRadiusService(radius)) throw new Error('no radius service');
  const port = radius.address()?.port;
  if (port === undefined) throw new Error('radius is not listening');
  return { id: serverId, port, radius };
}

const forwarded = (radius: HostService) =>
  (radius.status() as { cluster?: { forwarded?: number } }).cluster?.forwarded ?? 0;

describe.skipIf(skip)(
  `netrx up: TLS methods forwarded across two hosts (${RECORDED_NATS_VERSION})`,
  () => {
    it.each(['PEAP/MSCHAPv2', 'EAP-TLS'] as const)(
      '%s with rounds alternating between the hosts: MPPE keys OK, rounds forwarded to the owner',
      async (method) => {
        const a = await upHost('t1');
        const b = await upHost('t2');
        const relay = new RoundRobin([a, b]);
        const text = await eapolTest(await relay.bind(), eapolConfigs(dir, certs)[method]())
          .then((run) => run.text)
          .finally(() => relay.close());
        console.info(
          `audit16: ${method}: ${JSON.stringify([...relay.perServer])}, forwarded ${forwarded(a.radius)}+${forwarded(b.radius)}`,
        );
        expect(text).toContain('MPPE keys OK: 1  mismatch: 0');
        expect(text.trimEnd().split('\n').at(-1)?.trim()).toBe('SUCCESS');
        expect(forwarded(a.radius) + forwarded(b.radius)).toBeGreaterThan(0);
      },
      60_000,
    );
  },
);
