/**
 * NATS going away under `netrx up` (issue #16; from audit16's
 * reproduction, findings A1 and A9). Issue 16 part 3 says "while NATS is away, publishing falls back
 * to counting loss (never unbounded buffering), and RADIUS falls back to
 * local state for new conversations", and part 2 says the KV state is
 * "encrypted and authenticated with a key from configuration before it
 * leaves the process". up-nats-boot.test.ts covers NATS absent at boot
 * only, and checks RADIUS through a non-empty stats object, not through a
 * conversation that succeeds. Here, against real peers (Debian
 * nats-server 2.9.10, eapol_test v2.10), one `netrx up` host:
 *
 * 1. with NATS connected: an eapol_test MSCHAPv2 conversation succeeds and
 *    every record that reaches the bucket (read by a raw NATS client
 *    subscribed to the bucket's `$KV.…` subjects) is the sealed format,
 *    never the identity or password in clear, opens with the configured
 *    key and does not open with another key;
 * 2. NATS SIGKILLed after the host had connected: a new eapol_test
 *    conversation succeeds from local state (`writeFailed` counted),
 *    answered at once: no `Resending RADIUS message`, no
 *    `duplicate-in-progress` drop (A1: before the fix each round waited
 *    3 s on the bucket, 6 s and 1–2 resends per conversation); the
 *    `radius` entry of /health is `degraded` with `clusterLink.connected:
 *    false` (A9); capture publishing counts its loss with `pending` never
 *    above `capture.nats.maxBuffered`;
 * 3. NATS restarted: the next conversation is stored in the bucket again
 *    and the `radius` entry is `running`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateHostConfig } from '../../src/node/host/config.js';
import { startHost, type HostService, type RunningHost } from '../../src/node/host/host.js';
import { isRadiusService } from '../../src/node/host/radius-service.js';
import { servicesFromConfig } from '../../src/node/host/services.js';
import { aes256GcmAead } from '../../src/node/runtime/aead.js';
import { openConversation } from '../../src/radius/conversation-seal.js';
import { conversationBucketName } from '../../src/node/cluster/radius-kv.js';
import {
  RECORDED_NATS_VERSION,
  natsAlone,
  requireNatsServer,
  type NatsNode,
} from './support/nats.js';
import { commandExists, requirePeers } from './support/peers.js';
import { ran } from './support/processes.js';

const RECORDED_EAPOL_TEST = 'eapol_test v2.10';
const SECRET = 'audit16-secret';
const PASSWORD = 'audit16-Pw-hello';
const IDENTITY = 'audit16bob';
const STATE_KEY_HEX = '7e'.repeat(32);
const CLUSTER_ID = 'audit16';
const MAX_BUFFERED = 64;
const nats = requireNatsServer('up-nats-away.test.ts');
const eapol = requirePeers('up-nats-away.test.ts', [
  { name: 'eapol_test', ok: () => commandExists('eapol_test'), hint: 'apt-get install eapoltest' },
]);
const skip = nats.skip || eapol.skip;
const dir = mkdtempSync(join(tmpdir(), 'r-away-nats-away-'));
let node: NatsNode | undefined;
let host: RunningHost | undefined;
let services: HostService[] = [];
let radiusPort = 0;
let raw: NatsConnection | undefined;
const sealedRecords: { key: string; value: Uint8Array }[] = [];

beforeAll(async () => {
  if (skip) return;
  console.info(`peers: ${RECORDED_NATS_VERSION}, ${RECORDED_EAPOL_TEST}`);
  node = await natsAlone(dir);
  await node.start();
  raw = await connect({ servers: node.url });
  // Every put to the bucket, as the server receives it (a KV put is a publish on $KV.<bucket>.<key>).
  const bucket = conversationBucketName(CLUSTER_ID);
  const subscription = raw.subscribe(`$KV.${bucket}.>`);
  void (async () => {
    for await (const message of subscription) {
      sealedRecords.push({
        key: message.subject.slice(`$KV.${bucket}.`.length),
        value: message.data.slice(), // copy: the client reuses its buffers
      });
    }
  })();
  await raw.flush();
  const config = validateHostConfig({
    http: { port: 0 },
    radius: {
      port: 0,
      clients: [{ address: '127.0.0.0/8', secret: SECRET }],
      users: [{ name: IDENTITY, password: PASSWORD }],
      methods: ['mschapv2'],
      cluster: { enabled: true, id: CLUSTER_ID, serverId: 'a1', stateKey: STATE_KEY_HEX },
    },
    capture: {
      rpc: { enabled: false },
      nats: { host: 'audit16-h1', publish: ['default'], maxBuffered: MAX_BUFFERED },
    },
    synthetic: { intervalMs: 100, secret: SECRET },
    cluster: { nats: { servers: [node.url], name: 'netrx up audit16' } },
  });
  services = servicesFromConfig(config);
  host = await startHost(config, { version: '0', services });
  const radius = services.find((s) => s.name === 'radius');
  if (!isRadiusService(radius)) throw new Error('no radius service');
  radiusPort = radius.address()?.port ?? 0;
}, 60_000);

afterAll(async () => {
  await raw?.close().catch(() => undefined);
  await host?.stop();
  await node?.kill();
  rmSync(dir, { recursive: true, force: true });
});

function eapolConfig(): string {
  const file = join(dir, 'mschapv2.conf');
  writeFileSync(
    file,
    [
      'network={',
      '  key_mgmt=IEEE8021X',
      '  eap=MSCHAPV2',
      `  identity="${IDENTITY}"`,
      `  password="${PASSWORD}"`,
      '  eapol_flags=0',
      '}',
      '',
    ].join('\n'),
  );
  return file;
}

async function eapolTest(): Promise<{ text: string; ms: number }> {
  const started = Date.now();
  const run = await ran('eapol_test', [
    '-c',
    eapolConfig(),
    '-a',
    '127.0.0.1',
    '-p',
    String(radiusPort),
    '-s',
    SECRET,
    '-t',
    '20',
  ]);
  return { text: run.text, ms: Date.now() - started };
}

type Entry = Record<string, unknown>;
async function healthServices(): Promise<Entry[]> {
  const running = host as RunningHost;
  const body = (await (await fetch(new URL('/health', running.url))).json()) as {
    services: Entry[];
  };
  return body.services;
}
const shared = (services: Entry[]) =>
  (
    services.find((s) => s['name'] === 'radius') as
      { cluster?: { shared?: { stored: number; writeFailed: number } } } | undefined
  )?.cluster?.shared;
const publisher = (services: Entry[]) =>
  (
    services.find((s) => s['name'] === 'capture') as
      { nats?: { publish?: { dropped: number; pending: number; stored: number }[] } } | undefined
  )?.nats?.publish?.[0];

async function until(what: string, check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const inProgressDrops = (services: Entry[]) =>
  (services.find((s) => s['name'] === 'radius') as { dropped?: Record<string, number> } | undefined)
    ?.dropped?.['duplicate-in-progress'] ?? 0;

/** eapol_test's RADIUS retransmissions (a round the server answered late or not at all). */
const resends = (text: string) =>
  text.split('\n').filter((line) => line.includes('Resending RADIUS message')).length;
const bytes = (text: string) => new TextEncoder().encode(text);
function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}
const fromHex = (hex: string) => Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));

describe.skipIf(skip)(`netrx up: NATS away after the start (${RECORDED_NATS_VERSION})`, () => {
  it('connected: eapol_test MSCHAPv2 succeeds; what reaches the bucket is sealed with the configured key', async () => {
    const { text, ms } = await eapolTest();
    console.info(`eapol_test with NATS connected took ${ms} ms, ${resends(text)} resends`);
    expect(text).toContain('MPPE keys OK: 1  mismatch: 0');
    expect(text.trimEnd().split('\n').at(-1)?.trim()).toBe('SUCCESS');
    await raw?.flush();
    const puts = sealedRecords.filter((r) => r.value.length > 0); // deletes carry no value
    expect(puts.length).toBeGreaterThan(0);
    const right = aes256GcmAead(fromHex(STATE_KEY_HEX));
    const wrong = aes256GcmAead(fromHex('7f'.repeat(32)));
    for (const { key, value } of puts) {
      for (const secret of [IDENTITY, PASSWORD, SECRET])
        expect(contains(value, bytes(secret))).toBe(false);
      expect(value[0]).toBe(2); // SEALED_FORMAT
      const state = fromHex(key);
      expect(openConversation(right, state, value).ok).toBe(true);
      expect(openConversation(wrong, state, value)).toMatchObject({ ok: false });
      // One bit flipped in the ciphertext does not open (authenticated, not only encrypted).
      const flipped = value.slice();
      flipped[flipped.length - 20] = (flipped[flipped.length - 20] ?? 0) ^ 1;
      expect(openConversation(right, state, flipped)).toMatchObject({ ok: false });
    }
    expect(shared(await healthServices())?.stored ?? 0).toBeGreaterThan(0);
  }, 60_000);

  it('NATS SIGKILLed: a new conversation succeeds from local state; publishing counts loss, pending bounded', async () => {
    await (node as NatsNode).kill();
    await until('the nats service to see the loss', async () => {
      const nats = (await healthServices()).find((s) => s['name'] === 'nats');
      return nats?.['state'] === 'reconnecting';
    });
    const before = shared(await healthServices());
    const droppedBefore = inProgressDrops(await healthServices());
    const { text, ms } = await eapolTest();
    console.info(`eapol_test with NATS away took ${ms} ms, ${resends(text)} resends`);
    expect(text).toContain('MPPE keys OK: 1  mismatch: 0');
    expect(text.trimEnd().split('\n').at(-1)?.trim()).toBe('SUCCESS');
    const after = shared(await healthServices());
    // A1: answered at once from memory, so the NAS never resends and nothing waits in
    // the duplicate cache (before the fix: 2 resends, 5 duplicate-in-progress drops).
    const services = await healthServices();
    const radiusEntry = services.find((s) => s['name'] === 'radius');
    console.info(`radius dropped ${JSON.stringify(radiusEntry?.['dropped'])}`);
    expect(resends(text)).toBe(0);
    expect(inProgressDrops(services) - droppedBefore).toBe(0);
    expect((after?.writeFailed ?? 0) - (before?.writeFailed ?? 0)).toBeGreaterThan(0);
    // A9: the radius entry says NATS is away, as at boot.
    expect(radiusEntry).toMatchObject({
      status: 'degraded',
      clusterLink: { attached: true, connected: false },
    });

    // Publishing: the synthetic provider goes on every 100 ms; the buffer stays bounded.
    let seen: { dropped: number; pending: number } | undefined;
    await until('counted capture loss', async () => {
      seen = publisher(await healthServices());
      return (seen?.dropped ?? 0) > 0;
    });
    expect(seen?.pending ?? Infinity).toBeLessThanOrEqual(MAX_BUFFERED);
    const metrics = await (await fetch(new URL('/metrics', (host as RunningHost).url))).text();
    expect(metrics).toMatch(/^netrx_nats_connected(\{\})? 0$/m);
  }, 90_000);

  it('NATS back: new conversations use the bucket again; the radius entry runs', async () => {
    await (node as NatsNode).start();
    await until('the nats service to reconnect', async () => {
      const nats = (await healthServices()).find((s) => s['name'] === 'nats');
      return nats?.['state'] === 'connected';
    });
    const before = shared(await healthServices());
    const { text } = await eapolTest();
    expect(text.trimEnd().split('\n').at(-1)?.trim()).toBe('SUCCESS');
    const services = await healthServices();
    expect((shared(services)?.stored ?? 0) - (before?.stored ?? 0)).toBeGreaterThan(0);
    expect((shared(services)?.writeFailed ?? 0) - (before?.writeFailed ?? 0)).toBe(0);
    expect(services.find((s) => s['name'] === 'radius')).toMatchObject({
      status: 'running',
      clusterLink: { attached: true, connected: true },
    });
  }, 60_000);
});
