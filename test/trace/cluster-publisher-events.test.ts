/**
 * `netrx-cluster` events a capture publisher's loss is told by (audit16
 * A7): StreamRefused (2) and LocalBufferDropped (3), through
 * `traceNotices`, the `onNotice` both `capture publish` and `netrx up`
 * give their publishers, over the fake JetStream on a virtual clock. A
 * session listens as an operator would: Warning and below, the Loss
 * keyword. The fields are docs/cluster.md's "Trace events" table.
 */
import { describe, expect, it } from 'vitest';
import { CLUSTER_PROVIDER, ClusterKeyword, traceNotices } from '../../src/node/cluster/index.js';
import { FakeJetStream } from '../../src/node/cluster/fake-jetstream.js';
import { makeHost, settle } from '../../src/node/cluster/test-kit.js';
import { VirtualClock } from '../../src/testing/index.js';
import { TraceLevel } from '../../src/trace/index.js';
import { collect } from './support/collect.js';

function lossSession(host: ReturnType<typeof makeHost>) {
  return collect(host.registry, CLUSTER_PROVIDER.name, {
    level: TraceLevel.Warning,
    matchAnyKeyword: ClusterKeyword.Loss,
  });
}

describe('netrx-cluster: a publisher’s loss', () => {
  it('StreamRefused: session, refused (cumulative), reason, once per refused message', async () => {
    const clock = new VirtualClock();
    const stream = new FakeJetStream({ maxMsgs: 1 });
    const box: { notice?: ReturnType<typeof traceNotices> } = {};
    const host = makeHost(clock, stream, 'lab-1', { onNotice: (n) => box.notice?.(n) });
    box.notice = traceNotices(host.registry, 'lab');
    const seen = lossSession(host);
    for (let seq = 0; seq < 3; seq++) await host.emitAlone(seq);
    await settle();
    expect(host.publisher.stats()).toMatchObject({ stored: 1, refused: 2 });
    expect(seen.named('StreamRefused')).toEqual([
      { session: 'lab', refused: 1n, reason: 'maximum messages exceeded' },
      { session: 'lab', refused: 2n, reason: 'maximum messages exceeded' },
    ]);
    expect(seen.events.find((e) => e.name === 'StreamRefused')).toMatchObject({
      id: 2,
      level: TraceLevel.Warning,
      keywords: ClusterKeyword.Loss,
    });
  });

  it('LocalBufferDropped: session, dropped (cumulative), while NATS is away and the buffer is full', async () => {
    const clock = new VirtualClock();
    const stream = new FakeJetStream({ maxMsgs: 1000 });
    const box: { notice?: ReturnType<typeof traceNotices> } = {};
    const host = makeHost(clock, stream, 'lab-2', {
      maxBuffered: 2,
      onNotice: (n) => box.notice?.(n),
    });
    box.notice = traceNotices(host.registry, 'lab');
    const seen = lossSession(host);
    host.publisher.setStatus('disconnected');
    for (let seq = 0; seq < 5; seq++) host.emit(seq);
    await settle();
    expect(host.publisher.stats()).toMatchObject({ dropped: 3 });
    expect(seen.named('LocalBufferDropped')).toEqual([
      { session: 'lab', dropped: 1n },
      { session: 'lab', dropped: 2n },
      { session: 'lab', dropped: 3n },
    ]);
    expect(seen.events.find((e) => e.name === 'LocalBufferDropped')).toMatchObject({
      id: 3,
      level: TraceLevel.Warning,
      keywords: ClusterKeyword.Loss,
    });
    // The Connection keyword is not asked for: NatsConnection (disconnected) stays out.
    expect(seen.named('NatsConnection')).toEqual([]);
  });
});
