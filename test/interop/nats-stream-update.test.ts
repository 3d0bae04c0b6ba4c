/**
 * `ensureStream` over streams that already exist, against a real
 * nats-server (Debian nats-server v2.9.10, RECORDED_NATS_VERSION; a private
 * `nats-server -js` on a free loopback port, store in an r-stream temp dir,
 * killed by its PID). Under CI=true a missing nats-server fails
 * (requireNatsServer). A stream created the way an older netrx did (one
 * stream-wide limit, no per-subject budget) is brought to the new limits by
 * a host that starts with them, and the refusals then follow them; a limit
 * is never lowered below what the stream holds (2.9.10 would remove the
 * oldest, unread messages); retention and storage are what JetStream
 * refuses to change.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  jetstreamManager,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectNatsCapture,
  type NatsCaptureLink,
  type StreamChange,
} from '../../src/node/cluster/index.js';
import { RECORDED_NATS_VERSION, publishingHost, requireNatsServer } from './support/nats.js';
import { emitOneByOne, natsSuite } from './support/nats-suite.js';

const peers = requireNatsServer('nats-stream-update.test.ts');
const nats = natsSuite(peers, 'r-stream-nats');
let bare: NatsConnection | undefined;
let jsm: JetStreamManager;
const changes: StreamChange[] = [];

beforeAll(async () => {
  if (peers.skip) return;
  bare = await connect({ servers: nats.server.url });
  jsm = await jetstreamManager(bare);
}, 20_000);

// Runs before the suite's own afterAll (vitest's stack order): the server is still up.
afterAll(async () => {
  await bare?.close();
});

async function link(): Promise<NatsCaptureLink> {
  const l = await connectNatsCapture({
    servers: nats.server.url,
    timeoutMs: 1000,
    onStreamChange: (change) => changes.push(change),
  });
  nats.track(l);
  return l;
}

/** The event and loss streams as netrx created them before the per-subject budget (review16 R1). */
async function olderNetrxStreams(
  session: string,
  maxMsgs: number,
  storage: (typeof StorageType)[keyof typeof StorageType] = StorageType.File,
) {
  const old = {
    retention: RetentionPolicy.Workqueue,
    discard: DiscardPolicy.New,
    storage,
    max_msgs: maxMsgs,
    max_bytes: -1,
    max_msg_size: 65_536 + 1024,
    duplicate_window: 120_000_000_000,
  };
  await jsm.streams.add({ ...old, name: `netrx-${session}`, subjects: [`netrx.${session}.>`] });
  await jsm.streams.add({
    name: `netrx-loss-${session}`,
    subjects: [`netrxloss.${session}.>`],
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    storage,
    max_msgs_per_subject: 16,
    max_msgs: 1_000_000,
    max_bytes: 256 * 1024 * 1024,
  });
}

/** One stream's changes as [setting, outcome, to], in setting order. */
const changesOf = (stream: string) =>
  changes
    .filter((c) => c.stream === stream)
    .map((c) => [c.setting, c.outcome, c.to])
    .sort((a, b) => String(a[0]).localeCompare(String(b[0])));

describe.skipIf(peers.skip)(`ensureStream over existing streams, ${RECORDED_NATS_VERSION}`, () => {
  it('an older stream takes the per-subject budget from a host that starts with it; refusals follow it; nothing unread is removed', async () => {
    await olderNetrxStreams('old', 10);
    const first = await link();
    const prod = publishingHost(first, 'prod-1', 'old');
    await emitOneByOne(prod, 12);
    const lab = publishingHost(first, 'lab-1', 'old');
    await emitOneByOne(lab, 1);
    // The old stream-wide limit: prod-1, read by nobody, has every host refused.
    expect([prod.publisher.stats().stored, prod.publisher.stats().refused]).toEqual([10, 2]);
    expect(lab.publisher.stats().refused).toBe(1);

    // A host starts with the new limits: 4 messages per host and provider.
    await (await link()).ensureStream('old', { maxBytes: 1024 * 1024, maxMsgs: 4 });
    // prod-1's subject holds 10: the budget is held there (4 would remove 6 unread messages).
    expect(changesOf('netrx-old')).toEqual([
      ['discard_new_per_subject', 'updated', 'true'],
      ['max_msgs', 'updated', '64'],
      ['max_msgs_per_subject', 'held', '10'],
    ]);
    // The loss stream too (made before the 7-day age and the 1024 reports per run).
    expect(changesOf('netrx-loss-old')).toEqual([
      ['max_age', 'updated', String(7 * 24 * 3600 * 1_000_000_000)],
      ['max_msgs_per_subject', 'updated', '1024'],
    ]);
    const info = await jsm.streams.info('netrx-old');
    expect(info.state.messages).toBe(10);
    expect(info.config).toMatchObject({
      max_msgs: 64,
      max_msgs_per_subject: 10,
      discard_new_per_subject: true,
    });
    expect((await jsm.streams.info('netrx-loss-old')).config.max_msgs_per_subject).toBe(1024);

    // lab-1 is stored again, up to its own budget; prod-1 is refused alone.
    await emitOneByOne(lab, 12);
    await emitOneByOne(prod, 1);
    expect([lab.publisher.stats().stored, lab.publisher.stats().refused]).toEqual([10, 3]);
    expect(prod.publisher.stats().refused).toBe(3);
  });

  it('a lower budget on a stream that holds less is applied exactly; refused per subject with 10077', async () => {
    await olderNetrxStreams('lower', 100);
    changes.length = 0;
    const l = await link();
    await l.ensureStream('lower', { maxBytes: 1024 * 1024, maxMsgs: 3 });
    expect(changesOf('netrx-lower')).toEqual([
      ['discard_new_per_subject', 'updated', 'true'],
      ['max_msgs', 'updated', '48'],
      ['max_msgs_per_subject', 'updated', '3'],
    ]);
    const lab = publishingHost(l, 'lab-1', 'lower');
    const reasons: string[] = [];
    await emitOneByOne(lab, 5);
    const outcome = await l.publish(
      'netrx.lower.lab-1.netrx-synthetic',
      new Uint8Array(8),
      'r-x.1',
    );
    if (outcome.kind === 'refused') reasons.push(outcome.reason);
    expect([lab.publisher.stats().stored, lab.publisher.stats().refused]).toEqual([3, 2]);
    expect(reasons[0]).toMatch(/maximum messages per subject exceeded/);
    // A second start with the same limits finds nothing to change.
    changes.length = 0;
    await l.ensureStream('lower', { maxBytes: 1024 * 1024, maxMsgs: 3 });
    expect(changes).toEqual([]);
  });

  it('a reader (createOnly) leaves the publishers’ limits alone', async () => {
    changes.length = 0;
    const l = await link();
    await l.ensureStream('lower', { maxBytes: 64 * 1024 * 1024, createOnly: true });
    expect(changes).toEqual([]);
    expect((await jsm.streams.info('netrx-lower')).config.max_msgs_per_subject).toBe(3);
  });

  it('retention JetStream cannot change is an error naming the stream; storage is kept and told', async () => {
    await jsm.streams.add({
      name: 'netrx-limits',
      subjects: ['netrx.limits.>'],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
    });
    const l = await link();
    const refused = await l.ensureStream('limits', { maxBytes: 1024 * 1024 }).then(
      () => undefined,
      (error: unknown) => error as { code?: string; message?: string },
    );
    expect(refused?.code).toBe('ERR_NATS_STREAM_UNCHANGEABLE');
    expect(refused?.message).toMatch(
      /^stream netrx-limits: retention is limits, netrx needs workqueue/,
    );
    // What JetStream itself answers to that change (why it is not tried).
    const info = await jsm.streams.info('netrx-limits');
    await expect(
      // Not in the client's update type either: sent anyway, to see the server refuse it.
      jsm.streams.update('netrx-limits', {
        ...info.config,
        retention: RetentionPolicy.Workqueue,
      } as never),
    ).rejects.toMatchObject({ code: 10052 });

    await olderNetrxStreams('mem', 10, StorageType.Memory);
    changes.length = 0;
    await l.ensureStream('mem', { maxBytes: 1024 * 1024, maxMsgs: 4 });
    expect(changesOf('netrx-mem')).toContainEqual(['storage', 'kept', 'memory']);
    expect(changesOf('netrx-mem')).toContainEqual(['max_msgs_per_subject', 'updated', '4']);
    const mem = (await jsm.streams.info('netrx-mem')).config;
    expect([String(mem.storage), mem.max_msgs_per_subject]).toEqual(['memory', 4]);
    expect(l.streamChanges.kept).toBeGreaterThanOrEqual(2);
  });
});
