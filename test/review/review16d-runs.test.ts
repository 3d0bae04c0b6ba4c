/**
 * review16d D1 (final outside review of issue #16), the reviewer's
 * reproduction (branch review16d, b2ae5ec) on the project's fake JetStream
 * and VirtualClock; it failed on main (46207e1) before the fix.
 *
 * D1: since review16c N10 every publisher run announces itself with a
 * lost-0 report, and `LossLedger.add` now records a run's first report
 * even when it adds nothing. Before N10 a run without loss took no slot of
 * the reader's `maxPublishers` runs (default 4096, never freed while the
 * source lives); now every run does, including every `netrx up` start
 * (a fresh `randomUUID()` run per start). Once the slots are taken, the
 * loss of every later run is `untracked`: refused events with no
 * NET_EVENT_LOST. The test shrinks `maxPublishers` to 3 to reach it.
 */
import { describe, expect, it } from 'vitest';
import { SessionTable } from '../../src/capture/index.js';
import { VirtualClock } from '../../src/testing/index.js';
import { TraceRegistry } from '../../src/trace/index.js';
import { FakeJetStream } from '../../src/node/cluster/fake-jetstream.js';
import { StreamSessionSource } from '../../src/node/cluster/reader.js';
import { makeHost, readBuffer, settle } from '../../src/node/cluster/test-kit.js';

const TIMER_MS = 100;

function reader(clock: VirtualClock, stream: FakeJetStream, maxPublishers: number) {
  const table = new SessionTable({ registry: new TraceRegistry({ clock }), clock });
  const source = new StreamSessionSource({
    port: stream,
    session: 'lab',
    hosts: 'lab-1',
    durable: 'netrx-reader-lab-server',
    clock,
    maxPublishers,
  });
  table
    .createSession({ name: 'lab', providers: [], source, limits: { timerMs: TIMER_MS } })
    .start();
  return { table, source };
}

/** Restarted runs without loss, then one run that loses `refused` of `sent`; what the client got. */
async function run(maxPublishers: number, quietRuns: number) {
  const clock = new VirtualClock();
  const stream = new FakeJetStream({ maxMsgs: 1000, maxMsgsPerSubject: 2 });
  const { table, source } = reader(clock, stream, maxPublishers);
  const handle = table.openSession('lab');
  await settle();
  for (let i = 0; i < quietRuns; i++) {
    const quiet = makeHost(clock, stream, 'lab-1', { instance: `quiet${i}` });
    await settle();
    stream.deliver();
    await settle();
    quiet.publisher.close();
    await settle();
  }
  const lossy = makeHost(clock, stream, 'lab-1', { instance: 'lossy' });
  await settle();
  for (let seq = 0; seq < 5; seq++) await lossy.emitAlone(seq); // budget 2: 3 refused
  const refused = lossy.publisher.stats().refused;
  let delivered = 0;
  let lost = 0;
  let posted: ReturnType<SessionTable['receiveData']> | undefined;
  for (let round = 0; round < 20; round++) {
    clock.advance(1000); // the publisher's report pacing
    await settle();
    stream.deliver();
    await settle();
    // One receive outstanding; its data completion timer ends it once events are queued.
    posted ??= table.receiveData(handle);
    if (posted.result === undefined) clock.advance(TIMER_MS);
    await settle();
    const done = posted.result;
    if (done === undefined) continue;
    posted = undefined;
    if (done.status !== 'data') throw new Error(`receive ended: ${done.status}`);
    const got = readBuffer(done.data);
    delivered += got.events.length;
    lost += got.lost;
  }
  return { refused, delivered, lost, untracked: source.stats().untrackedReports };
}

describe('review16d D1: announcements use up the reader run slots (maxPublishers)', () => {
  it('control: with slots free, delivered + lost = generated', async () => {
    const got = await run(8, 3);
    expect(got.refused).toBe(3);
    expect(got.delivered + got.lost).toBe(5);
  });

  it('after maxPublishers quiet runs, a run that loses 3 still shows lost 3 (showed 0)', async () => {
    const got = await run(3, 3);
    expect(got.refused).toBe(3);
    expect({ delivered: got.delivered, lost: got.lost }).toEqual({ delivered: 2, lost: 3 });
    expect(got.untracked).toBe(0);
  });
});
