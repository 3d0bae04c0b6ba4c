/**
 * The history the put-back check stands on (review16 R4), on the real
 * server: nats-server 2.9.10 (RECORDED_NATS_VERSION, Debian `nats-server`,
 * `-js` on a free loopback port, its own store; a missing server fails
 * under CI=true). The conversation bucket keeps two entries per key, a
 * bucket made before with history 1 is raised to 2 when a server opens it,
 * and `revisionAfter` (a direct get of the key's next message) finds the
 * entry a put-back replaced.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRadiusClusterLink } from '../../src/node/cluster/index.js';
import { conversationBucketName } from '../../src/node/cluster/radius-kv.js';
import { natsAlone, requireNatsServer, type NatsNode } from './support/nats.js';

const nats = requireNatsServer('radius kv history interop');
const dir = mkdtempSync(join(tmpdir(), 'r-kv-history-'));

describe.skipIf(nats.skip)('the EAP state bucket keeps the entry a put-back replaced', () => {
  let node: NatsNode;

  beforeAll(async () => {
    node = await natsAlone(dir);
    await node.start();
  }, 60_000);

  afterAll(async () => {
    await node.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a bucket made with history 1 (before the check) is raised to 2 when a server opens it', async () => {
    const nc = await connect({ servers: node.url });
    try {
      const name = conversationBucketName('old-bucket');
      await new Kvm(jetstream(nc)).create(name, { history: 1, ttl: 30_000 });
      const jsm = await jetstreamManager(nc);
      expect((await jsm.streams.info(`KV_${name}`)).config.max_msgs_per_subject).toBe(1);
      const link = await connectRadiusClusterLink({ servers: node.url, clusterId: 'old-bucket' });
      try {
        await link.conversationBucket({ ttlMs: 30_000 });
      } finally {
        await link.close();
      }
      expect((await jsm.streams.info(`KV_${name}`)).config.max_msgs_per_subject).toBe(2);
    } finally {
      await nc.close();
    }
  }, 30_000);

  it('revisionAfter follows the history: honest writes in order, a put-back has its witness', async () => {
    const link = await connectRadiusClusterLink({ servers: node.url, clusterId: 'history' });
    const nc = await connect({ servers: node.url });
    try {
      const kv = await link.conversationBucket({ ttlMs: 30_000 });
      const created = await kv.create('abcd', Uint8Array.of(1));
      if (created.kind !== 'stored') throw new Error(`create: ${created.kind}`);
      const updated = await kv.update('abcd', Uint8Array.of(2), created.revision);
      if (updated.kind !== 'stored') throw new Error(`update: ${updated.kind}`);
      // Honest: each record is the key's first entry after the revision it was written over.
      expect(await kv.revisionAfter('abcd', 0)).toEqual({
        kind: 'found',
        revision: created.revision,
      });
      expect(await kv.revisionAfter('abcd', created.revision)).toEqual({
        kind: 'found',
        revision: updated.revision,
      });
      expect(await kv.revisionAfter('abcd', updated.revision)).toEqual({ kind: 'absent' });
      // Someone with write access puts the first value back, without compare-and-set.
      const raw = await new Kvm(jetstream(nc)).open(conversationBucketName('history'));
      const putBack = await raw.put('abcd', Uint8Array.of(1));
      expect(await kv.get('abcd')).toEqual({
        kind: 'found',
        value: Uint8Array.of(1),
        revision: putBack,
      });
      // Its sealed basedOn would be 0; the first entry after 0 is the one it replaced.
      expect(await kv.revisionAfter('abcd', 0)).toEqual({
        kind: 'found',
        revision: updated.revision,
      });
      const deleted = await kv.delete('abcd', putBack);
      expect(deleted.kind).toBe('stored');
      // The delete marker is an entry too: the history goes on past the put-back.
      const afterPutBack = await kv.revisionAfter('abcd', putBack);
      expect(afterPutBack.kind).toBe('found');
      expect(afterPutBack.kind === 'found' && afterPutBack.revision > putBack).toBe(true);
    } finally {
      await nc.close();
      await link.close();
    }
  }, 30_000);
});
