/**
 * `netrx-cluster` events `netrx up` emits for its capture fan-in (audit16
 * A7), through `startCaptureNats` (src/node/host/capture-nats.ts) over the
 * fake JetStream on a virtual clock: StreamConfigChanged (8), an existing
 * stream brought to the session's limits; NatsConsumerLag (7), a served
 * host's consumer over the lag threshold; StreamDuplicatePossible (9), a
 * copy stored after the duplicate window. The JetStream link is the fake
 * behind the `NatsCaptureLink` face (the module that makes the real one is
 * replaced, nothing else). A session listens as an operator would: Warning
 * and below, the keyword docs/cluster.md gives the event.
 */
import { describe, expect, it, vi } from 'vitest';
import { SessionTable, type SessionSource } from '../../src/capture/index.js';
import type { NatsConnectionStatus } from '../../src/node/cluster/connection-settings.js';
import { FakeJetStream } from '../../src/node/cluster/fake-jetstream.js';
import { CLUSTER_PROVIDER, ClusterKeyword } from '../../src/node/cluster/index.js';
import { LAG_SAMPLE_EVERY_MS, LAG_THRESHOLD } from '../../src/node/cluster/lag-sampler.js';
import type { NatsCaptureLink } from '../../src/node/cluster/nats.js';
import { settle } from '../../src/node/cluster/test-kit.js';
import {
  DEFAULT_DUPLICATE_WINDOW_MS,
  reconcileCaptureStreams,
  resolveStreamLimits,
  type StreamChange,
} from '../../src/node/cluster/stream-config.js';
import { startCaptureNats } from '../../src/node/host/capture-nats.js';
import { validateHostConfig } from '../../src/node/host/config.js';
import { VirtualClock } from '../../src/testing/index.js';
import { TraceLevel, TraceRegistry } from '../../src/trace/index.js';
import { collect } from './support/collect.js';

const fake = vi.hoisted((): { stream: unknown } => ({ stream: undefined }));

vi.mock('../../src/node/cluster/nats.js', async (importOriginal) => {
  const original = await importOriginal<Record<string, unknown>>();
  return {
    ...original,
    // The link over the fake, as nats.ts's ensureStream does it: reconcile, then tell each change.
    natsCaptureLinkOver: (
      _connection: unknown,
      options: { onStreamChange?: (change: StreamChange) => void },
    ): Promise<NatsCaptureLink> => {
      const stream = fake.stream as FakeJetStream;
      const streamChanges = { updated: 0, held: 0, kept: 0 };
      const link: NatsCaptureLink = {
        serverVersion: '2.9.10',
        streamChanges,
        consumerErrors: 0,
        consumerErrorCodes: {},
        async ensureStream(session, limits) {
          const done = await reconcileCaptureStreams(
            stream.admin,
            session,
            resolveStreamLimits(limits),
            { createOnly: limits.createOnly === true },
          );
          for (const change of done.flatMap((r) => r.changes)) {
            streamChanges[change.outcome]++;
            options.onStreamChange?.(change);
          }
          return done;
        },
        onStatus: () => undefined,
        publish: (subject, data, msgId) => stream.publish(subject, data, msgId),
        consume: (spec, onMessage, onError, gate) => stream.consume(spec, onMessage, onError, gate),
        streamHosts: (name, session) => stream.streamHosts(name, session),
        consumerLag: (name, durable) => stream.consumerLag(name, durable),
        lastMessage: (name, subject) => stream.lastMessage(name, subject),
        close: () => Promise.resolve(),
      };
      return Promise.resolve(link);
    },
  };
});

const connected = {
  status: () => ({ state: 'connected', everConnected: true }) as NatsConnectionStatus,
  onState: () => () => undefined,
  onError: () => () => undefined,
  close: () => Promise.resolve(),
};

function host(clock: VirtualClock, stream: FakeJetStream, nats: Record<string, unknown>) {
  fake.stream = stream;
  const config = validateHostConfig({
    capture: { nats: { host: 'dash-a', ...nats } },
    cluster: { nats: { servers: ['nats://127.0.0.1:4222'] } },
  });
  const registry = new TraceRegistry({ clock });
  return {
    registry,
    config,
    start: () => startCaptureNats(config.capture, connected, registry, clock),
  };
}

/** Opens the served entry `name` as a capture client would, so its reader consumes. */
function open(clock: VirtualClock, source: SessionSource | undefined) {
  if (source === undefined) throw new Error('no such served entry');
  const table = new SessionTable({ registry: new TraceRegistry({ clock }), clock });
  const session = table.createSession({ name: 'fleet', providers: [], source, limits: {} });
  session.start();
  table.openSession('fleet');
  return table;
}

describe('netrx-cluster under netrx up (capture.nats)', () => {
  it('StreamConfigChanged: stream, setting, have, want, outcome, to, changes', async () => {
    const clock = new VirtualClock();
    const stream = new FakeJetStream({ maxMsgs: Infinity });
    // Made by an older publisher with other limits.
    await reconcileCaptureStreams(stream.admin, 'default', resolveStreamLimits({ maxMsgs: 500 }));
    const { registry, start } = host(clock, stream, {
      publish: ['default'],
      streamMessages: 300,
    });
    const seen = collect(registry, CLUSTER_PROVIDER.name, {
      level: TraceLevel.Warning,
      matchAnyKeyword: ClusterKeyword.Connection,
    });
    const nats = await start();
    try {
      expect(seen.named('StreamConfigChanged')).toEqual([
        {
          stream: 'netrx-default',
          setting: 'max_msgs_per_subject',
          have: '500',
          want: '300',
          outcome: 'updated',
          to: '300',
          changes: 1n,
        },
        // And the stream-wide limit with it.
        {
          stream: 'netrx-default',
          setting: 'max_msgs',
          have: '8000',
          want: '4800',
          outcome: 'updated',
          to: '4800',
          changes: 2n,
        },
      ]);
      expect(seen.events.find((e) => e.name === 'StreamConfigChanged')).toMatchObject({
        id: 8,
        level: TraceLevel.Warning,
        keywords: ClusterKeyword.Connection,
      });
    } finally {
      await nats.close();
    }
  });

  it('NatsConsumerLag: session, host, lag, threshold, once per rise', async () => {
    const clock = new VirtualClock();
    const stream = new FakeJetStream({ maxMsgs: Infinity, clock });
    const { registry, start } = host(clock, stream, {
      serve: [{ name: 'fleet', stream: 'lab', hosts: 'lab-1' }],
    });
    const seen = collect(registry, CLUSTER_PROVIDER.name, {
      level: TraceLevel.Warning,
      matchAnyKeyword: ClusterKeyword.Loss,
    });
    const nats = await start();
    try {
      open(clock, nats.sources.get('fleet'));
      await settle();
      // Room for more than the threshold (the stream the entry made holds 122 per host).
      stream.maxMsgs = Infinity;
      stream.maxMsgsPerSubject = Infinity;
      const behind = LAG_THRESHOLD + 10;
      for (let i = 0; i < behind; i++) {
        await stream.publish('netrx.lab.lab-1.netrx-synthetic', new Uint8Array(0), `m${i}`);
      }
      clock.advance(LAG_SAMPLE_EVERY_MS);
      await settle();
      clock.advance(LAG_SAMPLE_EVERY_MS); // still behind: not told again
      await settle();
      expect(seen.named('NatsConsumerLag')).toEqual([
        { session: 'fleet', host: 'lab-1', lag: BigInt(behind), threshold: BigInt(LAG_THRESHOLD) },
      ]);
      expect(seen.events.find((e) => e.name === 'NatsConsumerLag')).toMatchObject({
        id: 7,
        level: TraceLevel.Warning,
        keywords: ClusterKeyword.Loss,
      });
    } finally {
      await nats.close();
    }
  });

  it('StreamDuplicatePossible: session, host, count, for a copy stored past the window', async () => {
    const clock = new VirtualClock(1_000_000_000);
    const stream = new FakeJetStream({ maxMsgs: Infinity, clock });
    const { registry, start } = host(clock, stream, {
      serve: [{ name: 'fleet', stream: 'lab', hosts: 'lab-1' }],
    });
    const seen = collect(registry, CLUSTER_PROVIDER.name, {
      level: TraceLevel.Warning,
      matchAnyKeyword: ClusterKeyword.Loss,
    });
    const nats = await start();
    try {
      open(clock, nats.sources.get('fleet'));
      await settle();
      // A batch first sent a whole duplicate window before it was stored (a retry after an outage).
      const sent = clock.now() - DEFAULT_DUPLICATE_WINDOW_MS;
      await stream.publish(
        'netrx.lab.lab-1.netrx-synthetic',
        new Uint8Array(0),
        `lab-1.run1.1.t${sent}`,
      );
      stream.deliver();
      await settle();
      expect(seen.named('StreamDuplicatePossible')).toEqual([
        { session: 'fleet', host: 'lab-1', count: 1n },
      ]);
      expect(seen.events.find((e) => e.name === 'StreamDuplicatePossible')).toMatchObject({
        id: 9,
        level: TraceLevel.Warning,
        keywords: ClusterKeyword.Loss,
      });
    } finally {
      await nats.close();
    }
  });
});
