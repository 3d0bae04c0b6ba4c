/**
 * verify16c V3 against a real three-node cluster (Debian nats-server
 * v2.9.10, RECORDED_NATS_VERSION; three `-js` servers routed on free
 * loopback ports, stores in a verify16c-* temp dir, killed by their PIDs;
 * under CI=true a missing nats-server fails). A publisher that starts
 * with default flags (as `capture publish` without `--replicas` or
 * `--stream-bytes`) meets a session's streams made with replicas 3 and a
 * larger budget. It failed on main f41d324 (seen failing with `.fails`
 * removed). The budget residue (r-reach): a default-flag publisher left
 * the budget alone only once it passed no budget; it failed on 334d402
 * (max_msgs_per_subject 8192 → 128).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNatsCapture, type NatsCaptureLink } from '../../src/node/cluster/index.js';
import {
  RECORDED_NATS_VERSION,
  delay,
  natsCluster,
  requireNatsServer,
  type NatsNode,
} from './support/nats.js';

const peers = requireNatsServer('verify16c-replicas.test.ts');
const workdir = mkdtempSync(join(tmpdir(), `verify16c-nats3-${process.pid}-`));
let nodes: NatsNode[] = [];
let bare: NatsConnection | undefined;
const links: NatsCaptureLink[] = [];

beforeAll(async () => {
  if (peers.skip) return;
  nodes = await natsCluster(workdir, 3);
  await Promise.all(nodes.map((node) => node.start()));
  bare = await connect({ servers: nodes.map((n) => n.url) });
}, 30_000);

afterAll(async () => {
  for (const l of links) await l.close().catch(() => undefined);
  await bare?.close();
  for (const node of nodes) await node.kill();
  rmSync(workdir, { recursive: true, force: true });
});

/** A link, retried until the fresh cluster has elected its metadata leader. */
async function link(): Promise<NatsCaptureLink> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const l = await connectNatsCapture({ servers: nodes.map((n) => n.url), timeoutMs: 1000 });
      links.push(l);
      return l;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await delay(250);
    }
  }
}

describe.skipIf(peers.skip)(`verify16c V3 on three ${RECORDED_NATS_VERSION}`, () => {
  it('a default-flag publisher leaves the three replicas of the session streams (failed on f41d324)', async () => {
    // The first publishers (or the operator's netrx up config): replicas 3, a 64 MiB budget.
    const made = await link();
    // A new cluster elects its meta leader first: retried until the streams are made.
    for (let attempt = 0; ; attempt++) {
      const ok = await made
        .ensureStream('v3', { maxBytes: 64 * 1024 * 1024, replicas: 3 })
        .then(() => true)
        .catch((error: unknown) => {
          if (attempt >= 40) throw error;
          return false;
        });
      if (ok) break;
      await delay(500);
    }
    const jsm = await jetstreamManager(bare as NatsConnection);
    expect((await jsm.streams.info('netrx-v3')).config.num_replicas).toBe(3);
    // One more host starts `capture publish --session v3` with default flags.
    await (await link()).ensureStream('v3', { maxBytes: 1024 * 1024 });
    const after = await Promise.all(
      ['netrx-v3', 'netrx-loss-v3'].map(async (s) => (await jsm.streams.info(s)).config),
    );
    console.info(
      `V3: after a default-flag publisher: ${after
        .map(
          (c) =>
            `${c.name} replicas ${c.num_replicas}, max_msgs_per_subject ${c.max_msgs_per_subject}`,
        )
        .join('; ')}`,
    );
    for (const config of after) expect(config.num_replicas).toBe(3);
  }, 60_000);

  it('a publisher without a budget leaves the stream’s; one with --stream-bytes brings it (V3 residue, failed before)', async () => {
    const made = await link();
    for (let attempt = 0; ; attempt++) {
      const ok = await made
        .ensureStream('v3b', { maxBytes: 64 * 1024 * 1024, replicas: 3 })
        .then(() => true)
        .catch((error: unknown) => {
          if (attempt >= 40) throw error;
          return false;
        });
      if (ok) break;
      await delay(500);
    }
    const jsm = await jetstreamManager(bare as NatsConnection);
    const budget = async () => {
      const c = (await jsm.streams.info('netrx-v3b')).config;
      return [c.max_msgs_per_subject, c.max_msgs, c.num_replicas];
    };
    expect(await budget()).toEqual([8192, 131_072, 3]);
    // `capture publish --session v3b` with default flags passes no budget (capture-nats.ts).
    const changes = await (await link()).ensureStream('v3b', {});
    console.info(
      `V3 residue: a default-flag publisher: ${changes.flatMap((r) => r.changes.map((c) => `${c.stream} ${c.setting} ${c.outcome}`)).join(', ') || 'no change'}`,
    );
    // Failed before: max_msgs_per_subject 8192 → 128, max_msgs 131072 → 2048 (updated).
    expect(await budget()).toEqual([8192, 131_072, 3]);
    // `--stream-bytes 1048576`: asked for, so applied (nothing stored: nothing held).
    await (await link()).ensureStream('v3b', { maxBytes: 1024 * 1024 });
    expect(await budget()).toEqual([128, 2048, 3]);
  }, 60_000);
});
