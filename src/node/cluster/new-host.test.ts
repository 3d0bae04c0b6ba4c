/**
 * review16c N10: a host that starts publishing under a glob after the
 * reader opened was unread until the next discovery (DISCOVER_EVERY_MS,
 * 2 s), so a quiet host with a small budget was refused with a reader
 * live. A publisher now announces its run with a first loss report (lost
 * 0) as it starts, and the glob reader claims a host it has not claimed
 * when a report names it. Driven on a VirtualClock with discovery pushed
 * past the test (DISCOVER_EVERY_MS is 2 s, 20 timer rounds are 2 s):
 * only the announcement can bring the host in.
 */
import { describe, expect, it } from 'vitest';
import { SessionTable } from '../../capture/index.js';
import { VirtualClock } from '../../testing/index.js';
import { TraceRegistry } from '../../trace/index.js';
import { FakeJetStream } from './fake-jetstream.js';
import { StreamSessionSource } from './reader.js';
import { makeHost, readBuffer, settle } from './test-kit.js';

const TIMER_MS = 100;

/** A glob reader whose periodic discovery never comes within a test (only the one at open). */
function makeReader(clock: VirtualClock, stream: FakeJetStream, hosts: string) {
  const table = new SessionTable({ registry: new TraceRegistry({ clock }), clock });
  const source = new StreamSessionSource({
    port: stream,
    session: 'lab',
    hosts,
    durable: 'netrx-reader-lab-server',
    clock,
    discoverEveryMs: 3_600_000,
  });
  const session = table.createSession({
    name: 'lab',
    providers: [],
    source,
    limits: { timerMs: TIMER_MS },
  });
  session.start();
  return { table, source };
}

describe('a host that appears after a glob reader opened (review16c N10)', () => {
  it('is read at once: budget 10, 20 events one message each, none refused (failed before the announcement)', async () => {
    const clock = new VirtualClock();
    const stream = new FakeJetStream({ maxMsgs: 1000, maxMsgsPerSubject: 10 });
    const reader = makeReader(clock, stream, 'lab-*');
    const handle = reader.table.openSession('lab');
    await settle(); // the opening discovery: no host in the stream yet
    expect(reader.source.stats().claimedHosts).toBe(0);
    const lab = makeHost(clock, stream, 'lab-1');
    await settle(); // its start: the announcement is stored
    stream.deliver(); // the reader's loss consumer reads it
    await settle(); // the claim is bound, its loss floor read
    const seqs: number[] = [];
    let lost = 0;
    let posted: ReturnType<SessionTable['receiveData']> | undefined;
    for (let i = 0; i < 20; i++) {
      await lab.emitAlone(i);
      stream.deliver();
      await settle();
      // One receive outstanding; its data completion timer ends it once events are queued.
      posted ??= reader.table.receiveData(handle);
      if (posted.result === undefined) clock.advance(TIMER_MS);
      await settle();
      const done = posted.result;
      if (done === undefined) continue;
      posted = undefined;
      if (done.status !== 'data') throw new Error(`receive ended: ${done.status}`);
      const got = readBuffer(done.data);
      seqs.push(...got.events.map((e) => e.seq));
      lost += got.lost;
    }
    // No discovery ran after the open: the host was found through its announcement alone.
    expect(clock.now()).toBeLessThan(3_600_000);
    expect(lab.publisher.stats().refused).toBe(0);
    expect(lost).toBe(0);
    expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('an announcement of a host the pattern does not match claims nothing', async () => {
    const clock = new VirtualClock();
    const stream = new FakeJetStream({ maxMsgs: 1000, maxMsgsPerSubject: 10 });
    const reader = makeReader(clock, stream, 'lab-*');
    reader.table.openSession('lab');
    await settle();
    makeHost(clock, stream, 'prod-1');
    await settle();
    stream.deliver();
    await settle();
    expect(reader.source.stats().claimedHosts).toBe(0);
  });
});
