/**
 * A publisher older than review16c N10 sends no announcement (its first
 * loss report, lost 0, as it starts): it reports only when its loss grows.
 * So a glob reader finds it in the stream at its next discovery
 * (DISCOVER_EVERY_MS, 2 s), not at once. docs/cluster.md (Upgrading a
 * fleet) states the cost; this pins it: up to one discovery interval of
 * latency, no loss while the host's budget holds what it sends meanwhile,
 * and past that budget a refusal that is counted (delivered + lost =
 * offered), never silent. Issue 16.
 */
import { describe, expect, it } from 'vitest';
import { SYNTHETIC_PROVIDER_GUID, SessionTable, SyntheticEvent } from '../../capture/index.js';
import { VirtualClock } from '../../testing/index.js';
import { TraceRegistry } from '../../trace/index.js';
import { FakeJetStream } from './fake-jetstream.js';
import type { PublishPort } from './ports.js';
import { CapturePublisher } from './publisher.js';
import { DISCOVER_EVERY_MS, StreamSessionSource } from './reader.js';
import { readBuffer, settle } from './test-kit.js';

const TIMER_MS = 100;

/** A port that keeps back a report with nothing lost: what a pre-N10 publisher never sent. */
function withoutAnnouncement(stream: FakeJetStream): PublishPort {
  return {
    publish(subject, data, msgId) {
      if (subject.startsWith('netrxloss.')) {
        const report = JSON.parse(new TextDecoder().decode(data)) as { lost: number };
        if (report.lost === 0) return Promise.resolve({ kind: 'stored', duplicate: false });
      }
      return stream.publish(subject, data, msgId);
    },
  };
}

function oldHost(clock: VirtualClock, stream: FakeJetStream, host: string) {
  const registry = new TraceRegistry({ clock });
  const provider = registry.register({ guid: SYNTHETIC_PROVIDER_GUID, name: 'netrx-synthetic' });
  const publisher = new CapturePublisher({
    port: withoutAnnouncement(stream),
    registry,
    clock,
    host,
    session: 'lab',
    providers: [{ provider: 'netrx-synthetic' }],
    instance: 'old1',
  });
  const payload = new Uint8Array(8);
  return {
    publisher,
    async emitAlone(seq: number) {
      new DataView(payload.buffer).setUint32(0, seq, true);
      provider.write(SyntheticEvent, payload);
      await settle();
    },
  };
}

/** A glob reader on the default discovery interval, its session open. */
function openReader(clock: VirtualClock, stream: FakeJetStream) {
  const table = new SessionTable({ registry: new TraceRegistry({ clock }), clock });
  const source = new StreamSessionSource({
    port: stream,
    session: 'lab',
    hosts: 'lab-*',
    durable: 'netrx-reader-lab-server',
    clock,
  });
  table
    .createSession({ name: 'lab', providers: [], source, limits: { timerMs: TIMER_MS } })
    .start();
  return { table, source, handle: table.openSession('lab') };
}

/** Receives until `until` on the reader's clock; what its client got, and when the first event came. */
async function receiveUntil(
  clock: VirtualClock,
  stream: FakeJetStream,
  reader: ReturnType<typeof openReader>,
  until: number,
) {
  const got = { seqs: [] as number[], lost: 0, firstAt: undefined as number | undefined };
  let posted: ReturnType<SessionTable['receiveData']> | undefined;
  while (clock.now() < until) {
    stream.deliver();
    await settle();
    posted ??= reader.table.receiveData(reader.handle);
    clock.advance(TIMER_MS);
    await settle();
    const done = posted.result;
    if (done === undefined) continue;
    posted = undefined;
    if (done.status !== 'data') throw new Error(`receive ended: ${done.status}`);
    const buffer = readBuffer(done.data);
    if (buffer.events.length > 0) got.firstAt ??= clock.now();
    got.seqs.push(...buffer.events.map((e) => e.seq));
    got.lost += buffer.lost;
  }
  return got;
}

describe('a publisher older than N10 (no announcement) under a glob reader', () => {
  it('is read from the next discovery, within one interval, losing nothing', async () => {
    const clock = new VirtualClock();
    const stream = new FakeJetStream({ maxMsgs: 1000, maxMsgsPerSubject: 10 });
    const reader = openReader(clock, stream);
    await settle(); // the opening discovery: nothing in the stream yet
    const host = oldHost(clock, stream, 'lab-1');
    for (let seq = 0; seq < 5; seq++) await host.emitAlone(seq);
    stream.deliver();
    await settle();
    expect(reader.source.stats().claimedHosts).toBe(0); // no announcement to claim it on
    const got = await receiveUntil(clock, stream, reader, 2 * DISCOVER_EVERY_MS);
    expect(reader.source.stats().claimedHosts).toBe(1);
    expect(got.firstAt).toBeGreaterThanOrEqual(DISCOVER_EVERY_MS);
    expect(got.firstAt).toBeLessThanOrEqual(DISCOVER_EVERY_MS + 3 * TIMER_MS);
    expect(got).toMatchObject({ seqs: [0, 1, 2, 3, 4], lost: 0 });
    expect(host.publisher.stats().refused).toBe(0);
  });

  it('past its budget before that discovery: refused and counted, delivered + lost = offered', async () => {
    const clock = new VirtualClock();
    const stream = new FakeJetStream({ maxMsgs: 1000, maxMsgsPerSubject: 3 });
    const reader = openReader(clock, stream);
    await settle();
    const host = oldHost(clock, stream, 'lab-1');
    for (let seq = 0; seq < 5; seq++) await host.emitAlone(seq);
    const got = await receiveUntil(clock, stream, reader, 2 * DISCOVER_EVERY_MS);
    expect(host.publisher.stats().refused).toBe(2);
    expect(got).toMatchObject({ seqs: [0, 1, 2], lost: 2 });
  });
});
