// `netrx up`'s capture readers: their durables carry `capture.nats.host`, so
// two hosts serving one entry bind two durables (the second is refused,
// 10100) instead of splitting the events (review16 R2; review16c M25: no
// test named the durable, and dropping the host from it survived).
import { describe, expect, it } from 'vitest';
import type { NatsConnectionStatus } from '../cluster/connection-settings.js';
import { VirtualClock } from '../../testing/index.js';
import { TraceRegistry } from '../../trace/index.js';
import { FakeJetStream } from '../cluster/fake-jetstream.js';
import { defaultReaderId } from '../cluster/index.js';
import { reconcileCaptureStreams, resolveStreamLimits } from '../cluster/stream-config.js';
import { publishedStreamLimits, startCaptureNats } from './capture-nats.js';
import { validateHostConfig } from './config.js';

/** A connection that never connects: the host booted during an outage, nothing reaches NATS. */
const neverConnected = {
  status: () => ({ state: 'reconnecting', everConnected: false }) as NatsConnectionStatus,
  onState: () => () => undefined,
  onError: () => () => undefined,
  close: () => Promise.resolve(),
};

/** `/health`'s capture.nats entry of a host serving two entries as `host` (undefined: the default). */
async function servedStatus(
  host: string | undefined,
  more: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  const config = validateHostConfig({
    capture: {
      nats: {
        ...more,
        ...(host === undefined ? {} : { host }),
        serve: [{ name: 'fleet', stream: 'lab', hosts: 'lab-*' }, { name: 'edge' }],
      },
    },
    cluster: { nats: { servers: ['nats://127.0.0.1:4222'] } },
  });
  const clock = new VirtualClock();
  const nats = await startCaptureNats(
    config.capture,
    neverConnected,
    new TraceRegistry({ clock }),
    clock,
  );
  try {
    return nats.status();
  } finally {
    await nats.close();
  }
}

async function servedDurables(host: string | undefined): Promise<unknown[]> {
  const serve = (await servedStatus(host))['serve'] as { durable: unknown }[];
  return serve.map((entry) => entry.durable);
}

describe('capture.nats readers under netrx up', () => {
  it('share capture.nats.pullBudgetBytes per served entry (/health serve[].pullBudgetBytes, issue 16)', async () => {
    const budgets = async (more: Record<string, unknown>) =>
      ((await servedStatus('dash-a', more))['serve'] as { pullBudgetBytes: unknown }[]).map(
        (entry) => entry.pullBudgetBytes,
      );
    expect(await budgets({})).toEqual([8 * 1024 * 1024, 8 * 1024 * 1024]);
    expect(await budgets({ pullBudgetBytes: 262_144 })).toEqual([262_144, 262_144]);
  });

  it("name their durables after the stream, the entry and capture.nats.host (/health's serve[].durable)", async () => {
    expect(await servedDurables('dash-a')).toEqual([
      'netrx-reader-lab-fleet-dash-a',
      'netrx-reader-edge-edge-dash-a',
    ]);
    // Another host serving the same entries binds other durables.
    expect(await servedDurables('dash-b')).toEqual([
      'netrx-reader-lab-fleet-dash-b',
      'netrx-reader-edge-edge-dash-b',
    ]);
  });
});

describe('capture.nats.host by default (issue 16: every default host was `netrx`)', () => {
  it("is this machine's derived identity, in the durables and /health", async () => {
    const id = defaultReaderId();
    expect(await servedDurables(undefined)).toEqual([
      `netrx-reader-lab-fleet-${id}`,
      `netrx-reader-edge-edge-${id}`,
    ]);
    expect(await servedStatus(undefined)).toMatchObject({ host: id, hostDerived: true });
  });

  it('an explicit host is kept as it is, `netrx` included', async () => {
    expect(await servedDurables('netrx')).toEqual([
      'netrx-reader-lab-fleet-netrx',
      'netrx-reader-edge-edge-netrx',
    ]);
    expect(await servedStatus('netrx')).toMatchObject({ host: 'netrx', hostDerived: false });
  });
});

describe('capture.nats publishers under netrx up: the stream budget (verify16c V3 residue)', () => {
  const natsOf = (nats: Record<string, unknown>) =>
    validateHostConfig({
      capture: { nats: { publish: ['default'], ...nats } },
      cluster: { nats: { servers: ['nats://127.0.0.1:4222'] } },
    }).capture.nats;

  it('without streamBytes/streamMessages the queueEvents budget only sizes a new stream', async () => {
    const stream = new FakeJetStream({ maxMsgs: Infinity });
    // The operator's streams: 500 messages per host and provider.
    await reconcileCaptureStreams(stream.admin, 'default', resolveStreamLimits({ maxMsgs: 500 }));
    const limits = publishedStreamLimits(4096, natsOf({}));
    // Failed before (the queueEvents budget was always applied): 500 → 128.
    await reconcileCaptureStreams(stream.admin, 'default', resolveStreamLimits(limits));
    expect(stream.streamConfig('netrx-default')?.max_msgs_per_subject).toBe(500);
    // A stream this host creates takes the queueEvents budget (4096 events' buffers over 8 KiB).
    await reconcileCaptureStreams(stream.admin, 'other', resolveStreamLimits(limits));
    expect(stream.streamConfig('netrx-other')?.max_msgs_per_subject).toBe(122);
  });

  it('capture.nats.streamBytes or streamMessages given: an existing stream is brought to it', async () => {
    const stream = new FakeJetStream({ maxMsgs: Infinity });
    await reconcileCaptureStreams(stream.admin, 'default', resolveStreamLimits({ maxMsgs: 500 }));
    await reconcileCaptureStreams(
      stream.admin,
      'default',
      resolveStreamLimits(publishedStreamLimits(4096, natsOf({ streamBytes: 2 * 1024 * 1024 }))),
    );
    expect(stream.streamConfig('netrx-default')?.max_msgs_per_subject).toBe(256);
    await reconcileCaptureStreams(
      stream.admin,
      'default',
      resolveStreamLimits(publishedStreamLimits(4096, natsOf({ streamMessages: 300 }))),
    );
    expect(stream.streamConfig('netrx-default')?.max_msgs_per_subject).toBe(300);
  });
});

describe('capture.nats.batchBytes under netrx up: the stream follows the cut (issue #16)', () => {
  const natsOf = (nats: Record<string, unknown>) =>
    validateHostConfig({
      capture: { nats: { publish: ['default'], ...nats } },
      cluster: { nats: { servers: ['nats://127.0.0.1:4222'] } },
    }).capture.nats;

  it('a stream this host creates takes the budget over its cut, so the bytes hold whatever the cut', async () => {
    const stream = new FakeJetStream({ maxMsgs: Infinity });
    const cut = publishedStreamLimits(4096, natsOf({ batchBytes: 32_768, batchEvents: 256 }));
    expect(cut.batchBytes).toBe(32_768);
    await reconcileCaptureStreams(stream.admin, 'big', resolveStreamLimits(cut));
    // queueEvents 4096's ~1 MB over 32 KiB: 30 messages (122 over the default 8 KiB, above).
    expect(stream.streamConfig('netrx-big')?.max_msgs_per_subject).toBe(30);
    const given = publishedStreamLimits(
      4096,
      natsOf({ batchBytes: 32_768, streamBytes: 2 * 1024 * 1024 }),
    );
    await reconcileCaptureStreams(stream.admin, 'given', resolveStreamLimits(given));
    expect(stream.streamConfig('netrx-given')?.max_msgs_per_subject).toBe(64);
  });

  it('a cut alone is no budget: an existing stream keeps its own (verify16c V3 still holds)', async () => {
    const stream = new FakeJetStream({ maxMsgs: Infinity });
    await reconcileCaptureStreams(stream.admin, 'default', resolveStreamLimits({ maxMsgs: 500 }));
    const limits = publishedStreamLimits(4096, natsOf({ batchBytes: 32_768 }));
    expect(limits.defaultBudget).toBe(true);
    await reconcileCaptureStreams(stream.admin, 'default', resolveStreamLimits(limits));
    expect(stream.streamConfig('netrx-default')?.max_msgs_per_subject).toBe(500);
    // With a budget asked for, the existing stream is brought to it over the cut.
    await reconcileCaptureStreams(
      stream.admin,
      'default',
      resolveStreamLimits(
        publishedStreamLimits(4096, natsOf({ batchBytes: 32_768, streamBytes: 1024 * 1024 })),
      ),
    );
    expect(stream.streamConfig('netrx-default')?.max_msgs_per_subject).toBe(32);
  });
});
