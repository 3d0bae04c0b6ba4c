/**
 * review16d D1 as a property: a reader that lives through more publisher
 * runs than it has run slots (`maxPublishers`) keeps counting loss. Drawn:
 * the slot count, the stream budget, a literal or a glob reader over one or
 * two hosts, and runs, each announced (every run is), losing some or none
 * of its events, after a pause of none, an hour or more than the loss
 * stream keeps reports (7 days), and perhaps after the reader restarted on
 * its durable (the new one reads the old one's loss floors).
 *
 * The model: a run's loss is counted exactly unless, when it is reported,
 * `maxPublishers` other lossy runs were counted less than a retention
 * before (those slots cannot be freed: a replacement reader could meet
 * their reports again). Then its reports are `untracked`, counted, and its
 * loss reaches no client. Runs without loss never take a slot. Before the
 * fix every run's announcement took one for good: the first lossy run past
 * `maxPublishers` runs in a reader's life was untracked.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SessionTable, type SessionHandle } from '../../capture/index.js';
import { VirtualClock } from '../../testing/index.js';
import { TraceRegistry } from '../../trace/index.js';
import { FakeJetStream } from './fake-jetstream.js';
import { LOSS_REPORT_RETENTION_MS } from './loss-reports.js';
import { StreamSessionSource } from './reader.js';
import { makeHost, readBuffer, settle } from './test-kit.js';

const TIMER_MS = 100;
const HOUR = 3600 * 1000;

/**
 * A virtual clock whose reading can jump ahead without firing the timers
 * in between (a machine suspended for days): only `now()` moves, so
 * days pass in a test without millions of timer rounds.
 */
class JumpingClock extends VirtualClock {
  private offset = 0;

  override now(): number {
    return super.now() + this.offset;
  }

  jump(ms: number): void {
    this.offset += ms;
  }
}

interface Reader {
  readonly table: SessionTable;
  readonly source: StreamSessionSource;
  readonly handle: SessionHandle;
}

async function openReader(
  clock: JumpingClock,
  stream: FakeJetStream,
  hosts: string,
  maxPublishers: number,
): Promise<Reader> {
  const table = new SessionTable({ registry: new TraceRegistry({ clock }), clock });
  const source = new StreamSessionSource({
    port: stream,
    session: 'lab',
    hosts,
    durable: 'netrx-reader-lab-server',
    clock,
    maxPublishers,
  });
  table
    .createSession({ name: 'lab', providers: [], source, limits: { timerMs: TIMER_MS } })
    .start();
  const handle = table.openSession('lab');
  await settle();
  stream.deliver();
  await settle();
  return { table, source, handle };
}

const scenario = fc.record({
  maxPublishers: fc.integer({ min: 1, max: 3 }),
  budget: fc.integer({ min: 1, max: 3 }),
  glob: fc.boolean(),
  runs: fc.array(
    fc.record({
      host: fc.constantFrom('lab-1', 'lab-2'),
      sent: fc.integer({ min: 0, max: 5 }),
      pause: fc.constantFrom('none', 'hour', 'past-retention'),
      restartFirst: fc.boolean(),
    }),
    { minLength: 2, maxLength: 9 },
  ),
});

describe('reader run slots over a long life (review16d D1)', () => {
  // A floor's message ID ends in Date.now(): two readers' first floors in one millisecond of
  // wall time were one ID to the fake (which, with no clock, keeps IDs for ever), so the second
  // floor was dropped as a duplicate and the next reader read the first (the property failed
  // about one run in three). Date follows the test's clock instead.
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('loss is exact while slots can be freed, and what cannot be tracked is counted (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ maxPublishers, budget, glob, runs }) => {
        const clock = new JumpingClock();
        const stream = new FakeJetStream({ maxMsgs: 1000, maxMsgsPerSubject: budget });
        let reader = await openReader(clock, stream, glob ? 'lab-*' : 'lab-1', maxPublishers);
        let untrackedBefore = 0;
        // The model: per retention period, the lossy runs whose loss was counted.
        let period = 0;
        let countedInPeriod = 0;
        let restartedInPeriod = false;
        // One receive outstanding at a time, across runs.
        let posted: ReturnType<SessionTable['receiveData']> | undefined;
        for (const [index, drawn] of runs.entries()) {
          vi.setSystemTime(clock.now());
          if (drawn.pause === 'hour') clock.jump(HOUR);
          if (drawn.pause === 'past-retention') {
            clock.jump(LOSS_REPORT_RETENTION_MS + 24 * HOUR);
            period++;
            countedInPeriod = 0;
            restartedInPeriod = false;
          }
          if (drawn.restartFirst) {
            restartedInPeriod = true;
            untrackedBefore += reader.source.stats().untrackedReports;
            reader.table.closeSession(reader.handle);
            await settle();
            // Everything reached the client before: the receive the close ends carries nothing.
            const last = posted?.result;
            if (last?.status === 'data')
              expect(readBuffer(last.data)).toEqual({ events: [], lost: 0 });
            posted = undefined;
            reader = await openReader(clock, stream, glob ? 'lab-*' : 'lab-1', maxPublishers);
          }
          const untrackedAtStart = untrackedBefore + reader.source.stats().untrackedReports;
          const host = glob ? drawn.host : 'lab-1';
          const run = makeHost(clock, stream, host, { instance: `run${index}` });
          await settle();
          for (let seq = 0; seq < drawn.sent; seq++) await run.emitAlone(seq);
          const refused = run.publisher.stats().refused;
          let delivered = 0;
          let lost = 0;
          for (let round = 0; round < 8; round++) {
            clock.advance(1000); // the publisher's report pacing
            await settle();
            stream.deliver();
            await settle();
            posted ??= reader.table.receiveData(reader.handle);
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
          expect(run.publisher.settled).toBe(true);
          run.publisher.close();
          await settle();
          expect(delivered).toBe(drawn.sent - refused);
          const untracked = untrackedBefore + reader.source.stats().untrackedReports;
          if (refused === 0) {
            expect(lost).toBe(0);
          } else if (countedInPeriod < maxPublishers) {
            countedInPeriod++;
            expect(lost, `run ${index} (period ${period})`).toBe(refused);
            expect(untracked, 'none untracked by this run').toBe(untrackedAtStart);
          } else if (!glob || !restartedInPeriod || lost === 0) {
            // No slot can be freed yet: untracked, and counted where an operator sees it.
            expect(lost).toBe(0);
            expect(untracked).toBeGreaterThan(untrackedAtStart);
          } else {
            // A glob reader restarted on its durable reads the floors of the hosts it claims
            // again, not those of hosts gone quiet: their runs hold no slot, so room was left.
            expect(lost).toBe(refused);
            expect(untracked).toBe(untrackedAtStart);
            countedInPeriod++;
          }
        }
        reader.table.closeSession(reader.handle);
      }),
      { numRuns: 60 },
    );
  });
});
