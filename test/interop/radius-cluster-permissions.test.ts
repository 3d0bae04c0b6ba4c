/**
 * The NATS permissions docs/cluster.md gives for the forward subjects and
 * the EAP state bucket (review16c N9: the forward envelope's NAS address
 * is not authenticated, so who may publish forwards is the trust
 * boundary), run as written on the real server: Debian nats-server
 * (RECORDED_NATS_VERSION, 2.9.10), `-js` on a free loopback port with its
 * own store, the configuration block read from the docs. Under CI=true a
 * missing server is a failure.
 *
 * Checked: s1 and s2 forward to each other and s1 opens the bucket
 * (control); the capture user's forward never reaches s1 and its bucket
 * write is not stored, it cannot purge the bucket's stream; s1 may not
 * serve s2's subject.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectRadiusClusterLink,
  type NatsRadiusClusterLink,
} from '../../src/node/cluster/index.js';
import { NatsNode, freePort, requireNatsServer } from './support/nats.js';

const nats = requireNatsServer('radius-cluster-permissions.test.ts');
const dir = mkdtempSync(join(tmpdir(), 'r-fwd-nats-permissions-'));
const PASSWORDS = {
  RADIUS_S1_PASSWORD: 'radius-s1-Pq7Lm2Zx',
  RADIUS_S2_PASSWORD: 'radius-s2-Wd4Hn8Kc',
  CAPTURE_PASSWORD: 'capture-Tr5Vb1Qs',
};

/** The `authorization { … }` block of docs/cluster.md's trust-boundary example. */
function documentedAuthorization(): string {
  const docs = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'cluster.md'), 'utf8');
  const start = docs.indexOf('authorization {\n  users = [\n    { user: radius-s1');
  if (start < 0) throw new Error('docs/cluster.md: the permissions example is gone');
  const end = docs.indexOf('\n}\n', start);
  return `${docs.slice(start, end)}\n}\n`;
}

const outcome = (promise: Promise<unknown>): Promise<string> =>
  promise.then(
    () => 'answered',
    (error: unknown) => (error instanceof Error ? error.message : String(error)),
  );

describe.skipIf(nats.skip)('the documented NATS permissions for RADIUS forwards', () => {
  let node: NatsNode;
  let s1: NatsRadiusClusterLink;
  let s2: NatsRadiusClusterLink;
  let capture: NatsConnection;
  const atS1: Uint8Array[] = [];

  beforeAll(async () => {
    writeFileSync(join(dir, 'nats.conf'), documentedAuthorization());
    // nats-server reads `$NAME` from its environment; the spawned server inherits ours.
    Object.assign(process.env, PASSWORDS);
    node = new NatsNode(
      'permissions',
      await freePort(),
      ['-js', '-sd', join(dir, 'store'), '-c', join(dir, 'nats.conf')],
      dir,
    );
    await node.start();
    const link = (user: string, password: string) =>
      connectRadiusClusterLink({
        servers: node.url,
        clusterId: 'lab',
        auth: { kind: 'user', user, password },
      });
    s1 = await link('radius-s1', PASSWORDS.RADIUS_S1_PASSWORD);
    s2 = await link('radius-s2', PASSWORDS.RADIUS_S2_PASSWORD);
    s1.serve('s1', (message, respond) => {
      atS1.push(message.slice());
      respond(Uint8Array.of(0x73, 0x31));
    });
    s2.serve('s2', (_message, respond) => respond(Uint8Array.of(0x73, 0x32)));
    capture = await connect({
      servers: node.url,
      user: 'capture-host',
      pass: PASSWORDS.CAPTURE_PASSWORD,
    });
  }, 60_000);

  afterAll(async () => {
    await capture?.close();
    await s1?.close();
    await s2?.close();
    await node?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('control: s2 forwards to s1 and s1 to s2, and s1 opens the bucket', async () => {
    await expect(s2.request('s1', Uint8Array.of(1), 2000)).resolves.toEqual({
      kind: 'answered',
      data: Uint8Array.of(0x73, 0x31),
    });
    await expect(s1.request('s2', Uint8Array.of(2), 2000)).resolves.toEqual({
      kind: 'answered',
      data: Uint8Array.of(0x73, 0x32),
    });
    const kv = await s1.conversationBucket({ ttlMs: 30_000 });
    const created = await kv.create('c0ffee', Uint8Array.of(7));
    expect(created.kind).toBe('stored');
    expect(atS1).toHaveLength(1);
  }, 30_000);

  it('the capture user cannot forward to s1, nor write the bucket', async () => {
    const before = atS1.length;
    const forward = await outcome(
      capture.request('netrxradius.lab.s1', Uint8Array.of(9), { timeout: 1500 }),
    );
    console.info(`capture user's forward: ${forward}`);
    expect(forward).not.toBe('answered');
    expect(atS1).toHaveLength(before);
    const put = await outcome(
      capture.request('$KV.netrx-eap-lab.deadbeef', Uint8Array.of(9), { timeout: 1500 }),
    );
    console.info(`capture user's bucket write: ${put}`);
    expect(put).not.toBe('answered');
    // Nor reach the bucket's stream through the JetStream API (a purge, a message delete).
    for (const api of [
      '$JS.API.STREAM.PURGE.KV_netrx-eap-lab',
      '$JS.API.STREAM.MSG.DELETE.KV_netrx-eap-lab',
    ]) {
      const refused = await outcome(capture.request(api, Uint8Array.of(), { timeout: 1500 }));
      expect(refused, api).toMatch(/permission/i);
    }
    const kv = await s1.conversationBucket({ ttlMs: 30_000 });
    expect(await kv.get('deadbeef')).toEqual({ kind: 'absent' });
    expect(await kv.get('c0ffee')).toMatchObject({ kind: 'found' });
  }, 30_000);

  it('s1 cannot serve s2 subject (no server answers for another)', async () => {
    const impostor = await connect({
      servers: node.url,
      user: 'radius-s1',
      pass: PASSWORDS.RADIUS_S1_PASSWORD,
    });
    try {
      const subscription = impostor.subscribe('netrxradius.lab.s2');
      const closed = await Promise.race([
        subscription.closed.then(
          (reason) => `closed: ${String(reason)}`,
          (error: unknown) => `closed: ${String(error)}`,
        ),
        new Promise<string>((resolve) => setTimeout(() => resolve('still open'), 3000)),
      ]);
      console.info(`radius-s1 subscribing to s2's subject: ${closed}`);
      expect(closed).toMatch(/closed: .*permission/i);
    } finally {
      await impostor.close();
    }
  }, 30_000);
});
