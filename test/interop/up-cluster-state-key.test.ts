/**
 * `radius.cluster.stateKey` under `netrx up`, end to end (issue 16 part 3).
 * Peers: eapol_test (wpa_supplicant, recorded version below) and one
 * nats-server (Debian 2.9.10, `-js`, loopback, its own store). Two `netrx
 * up` hosts run in this process, each with its own configuration, on one
 * nats-server through `cluster.nats`; the round-robin relay sends each
 * round of eapol_test's MSCHAPv2 conversation to the other host, so every
 * later round is answered by a host that did not answer the one before,
 * from the sealed KV bucket: `MPPE keys OK`, nothing forwarded. The same
 * two hosts without the cluster fail (each round is a stranger to the
 * host it reaches).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { validateHostConfig } from '../../src/node/host/config.js';
import { startHost, type RunningHost } from '../../src/node/host/host.js';
import type { HostService } from '../../src/node/host/host.js';
import { isRadiusService } from '../../src/node/host/radius-service.js';
import { servicesFromConfig } from '../../src/node/host/services.js';
import {
  RECORDED_NATS_VERSION,
  natsAlone,
  requireNatsServer,
  type NatsNode,
} from './support/nats.js';
import { commandExists, requirePeers, versionOf } from './support/peers.js';
import { ran } from './support/processes.js';
import { RoundRobin } from './support/round-robin.js';

const RECORDED_EAPOL_TEST = 'eapol_test v2.10';
const SECRET = 'up-cluster-secret';
const STATE_KEY = '5a'.repeat(32);
const nats = requireNatsServer('up-cluster-state-key.test.ts');
const eapol = requirePeers('up-cluster-state-key.test.ts', [
  { name: 'eapol_test', ok: () => commandExists('eapol_test'), hint: 'apt-get install eapoltest' },
]);
const skip = nats.skip || eapol.skip;
const dir = mkdtempSync(join(tmpdir(), 'cluster-nats-up-e2e-'));
let natsNode: NatsNode | undefined;
const hosts: { host: RunningHost; services: HostService[] }[] = [];

beforeAll(async () => {
  if (skip) return;
  console.info(`peers: ${versionOf('eapol_test', ['-v'])} (checked with ${RECORDED_EAPOL_TEST})`);
  natsNode = await natsAlone(dir);
  await natsNode.start();
}, 30_000);

afterEach(async () => {
  for (const { host } of hosts.splice(0)) await host.stop();
});

afterAll(async () => {
  await natsNode?.kill();
  rmSync(dir, { recursive: true, force: true });
});

async function upHost(
  serverId: string,
  clustered: boolean,
): Promise<{ id: string; port: number; radius: HostService }> {
  const config = validateHostConfig({
    http: { port: 0 },
    radius: {
      port: 0,
      clients: [{ address: '127.0.0.0/8', secret: SECRET }],
      users: [{ name: 'bob', password: 'hello' }],
      methods: ['mschapv2'],
      ...(clustered
        ? { cluster: { enabled: true, id: 'up-e2e', serverId, stateKey: STATE_KEY } }
        : {}),
    },
    capture: { rpc: { enabled: false } },
    synthetic: { enabled: false },
    ...(clustered ? { cluster: { nats: { servers: [(natsNode as NatsNode).url] } } } : {}),
  });
  const services = servicesFromConfig(config);
  const host = await startHost(config, { version: '0', services });
  hosts.push({ host, services });
  const radius = services.find((s) => s.name === 'radius');
  if (!isRadiusService(radius)) throw new Error('no radius service');
  const address = radius.address();
  if (address === undefined) throw new Error('radius is not listening');
  return { id: serverId, port: address.port, radius };
}

function mschapv2Config(): string {
  const file = join(dir, 'mschapv2.conf');
  writeFileSync(
    file,
    [
      'network={',
      '  key_mgmt=IEEE8021X',
      '  eap=MSCHAPV2',
      '  identity="bob"',
      '  password="hello"',
      '  eapol_flags=0',
      '}',
      '',
    ].join('\n'),
  );
  return file;
}

async function eapolTest(port: number): Promise<string> {
  const run = await ran('eapol_test', [
    '-c',
    mschapv2Config(),
    '-a',
    '127.0.0.1',
    '-p',
    String(port),
    '-s',
    SECRET,
    '-t',
    '10',
  ]);
  return run.text;
}

describe.skipIf(skip)(
  `netrx up: radius.cluster.stateKey, two hosts on one nats-server (${RECORDED_NATS_VERSION})`,
  () => {
    it('eapol_test MSCHAPv2 with its rounds alternating between the hosts: MPPE keys OK, answered from the bucket', async () => {
      const a = await upHost('h1', true);
      const b = await upHost('h2', true);
      const relay = new RoundRobin([a, b]);
      try {
        const text = await eapolTest(await relay.bind());
        expect(text).toContain('MPPE keys OK: 1  mismatch: 0');
        expect(text.trimEnd().split('\n').at(-1)?.trim()).toBe('SUCCESS');
        // MSCHAPv2 is three rounds at least: both hosts answered some.
        expect(relay.perServer.get('h1') ?? 0).toBeGreaterThan(0);
        expect(relay.perServer.get('h2') ?? 0).toBeGreaterThan(0);
      } finally {
        relay.close();
      }
      const cluster = (service: HostService) =>
        (service.status() as { cluster?: { forwarded: number; shared?: { loaded: number } } })
          .cluster;
      const loaded = [a, b].map((h) => cluster(h.radius)?.shared?.loaded ?? 0);
      expect(loaded.reduce((x, y) => x + y, 0)).toBeGreaterThan(0);
      expect([a, b].map((h) => cluster(h.radius)?.forwarded)).toEqual([0, 0]);
    }, 60_000);

    it('the same two hosts without the cluster: the conversation breaks', async () => {
      const a = await upHost('h1', false);
      const b = await upHost('h2', false);
      const relay = new RoundRobin([a, b]);
      try {
        const text = await eapolTest(await relay.bind());
        expect(text.trimEnd().split('\n').at(-1)?.trim()).toBe('FAILURE');
      } finally {
        relay.close();
      }
    }, 60_000);
  },
);
