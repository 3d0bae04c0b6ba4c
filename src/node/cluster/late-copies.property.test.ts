/**
 * Review F4's residue (issue #16): a publish whose acknowledgement was lost
 * is retried under its message ID; a retry the stream stores after its
 * duplicate window is a second copy. A reader skips a copy whose batch ID
 * it remembers, but a reader process restarted between the two copies
 * remembers nothing. The property: over drawn publisher retries (acks lost,
 * NATS away), time (past the window or not), deliveries, receives and
 * reader restarts, loss stays exact (every event is delivered or counted
 * lost), and every event delivered twice is in some reader's
 * `duplicatesPossible`; with no restart, none is delivered twice.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SessionTable } from '../../capture/index.js';
import { VirtualClock } from '../../testing/index.js';
import { TraceRegistry } from '../../trace/index.js';
import { FakeJetStream } from './fake-jetstream.js';
import { StreamSessionSource } from './reader.js';
import { makeHost, readBuffer, settle, type ReadEvent } from './test-kit.js';

const WINDOW_MS = 1000;
const TOLERANCE_MS = 100;

/** One reader process: its own memory of batch IDs, the shared durable. */
function readerProcess(clock: VirtualClock, stream: FakeJetStream) {
  const table = new SessionTable({ registry: new TraceRegistry({ clock }), clock });
  const source = new StreamSessionSource({
    port: stream,
    session: 'lab',
    hosts: 'lab-1',
    durable: 'netrx-reader-lab-server',
    clock,
    duplicateWindowMs: WINDOW_MS,
    clockToleranceMs: TOLERANCE_MS,
  });
  const session = table.createSession({
    name: 'lab',
    providers: [],
    source,
    limits: { timerMs: 100 },
  });
  session.start();
  const handle = table.openSession('lab');
  /** The receive posted and not completed yet (one outstanding per session). */
  const posted: { op?: ReturnType<SessionTable['receiveData']> } = {};
  return { table, source, session, handle, posted };
}

type Reader = ReturnType<typeof readerProcess>;

const step = fc.oneof(
  {
    arbitrary: fc.record({ kind: fc.constant('emit' as const), n: fc.integer({ min: 1, max: 4 }) }),
    weight: 3,
  },
  { arbitrary: fc.record({ kind: fc.constant('acks' as const), lose: fc.boolean() }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('down' as const), down: fc.boolean() }), weight: 2 },
  {
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.integer({ min: 1, max: 1500 }),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('deliver' as const),
      max: fc.integer({ min: 0, max: 5 }),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('receive' as const),
      n: fc.integer({ min: 1, max: 3 }),
    }),
    weight: 3,
  },
  { arbitrary: fc.record({ kind: fc.constant('restart' as const) }), weight: 1 },
  // An event stored whose ack is lost, then NATS away for a while (past the window or not).
  {
    arbitrary: fc.record({
      kind: fc.constant('lostAckOutage' as const),
      outageMs: fc.integer({ min: 0, max: 2500 }),
    }),
    weight: 2,
  },
);

type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

/**
 * Runs that store a second copy and deliver both, found by the generator and
 * kept as examples: drawn runs reach the case only about 1 in 2,000, so 400
 * runs missed it about 1 time in 20 and the check below failed by chance
 * (CI did, on 4024379). These make the case certain in every run.
 */
const twiceDelivered: [Step[], number][] = [
  [
    [
      { kind: 'advance', ms: 101 },
      { kind: 'restart' },
      { kind: 'lostAckOutage', outageMs: 1133 },
      { kind: 'restart' },
      { kind: 'deliver', max: 3 },
      { kind: 'emit', n: 2 },
      { kind: 'down', down: false },
      { kind: 'deliver', max: 5 },
      { kind: 'lostAckOutage', outageMs: 594 },
      { kind: 'restart' },
    ],
    596,
  ],
  [
    [
      { kind: 'deliver', max: 2 },
      { kind: 'lostAckOutage', outageMs: 2457 },
      { kind: 'deliver', max: 5 },
      { kind: 'acks', lose: true },
      { kind: 'down', down: true },
      { kind: 'receive', n: 2 },
      { kind: 'receive', n: 1 },
      { kind: 'restart' },
      { kind: 'receive', n: 1 },
      { kind: 'deliver', max: 1 },
    ],
    575,
  ],
];

describe('copies stored after the duplicate window, across reader restarts (F4 residue)', () => {
  it('loss exact; every event delivered twice is counted in duplicatesPossible (fast-check)', async () => {
    // Runs that stored a second copy and delivered both: the examples guarantee the case.
    let runsWithTwice = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 50, max: 600 }),
        async (steps, retryMs) => {
          const clock = new VirtualClock(1_000_000);
          const stream = new FakeJetStream({ maxMsgs: 1000, clock, duplicateWindowMs: WINDOW_MS });
          const host = makeHost(clock, stream, 'lab-1', { retryMs });
          const delivered: ReadEvent[] = [];
          let lost = 0;
          let possible = 0;
          let restarts = 0;
          let reader: Reader = readerProcess(clock, stream);
          // The first reader's claim began before anything was sent (beyond the clocks' tolerance).
          clock.advance(TOLERANCE_MS);
          let next = 0;
          const take = async (reader: Reader, rounds: number) => {
            for (let i = 0; i < rounds; i++) {
              const op = reader.posted.op ?? reader.table.receiveData(reader.handle);
              reader.posted.op = op;
              await settle();
              if (op.result === undefined) {
                clock.advance(100);
                await settle();
              }
              if (op.result === undefined) return;
              reader.posted.op = undefined;
              if (op.result.status !== 'data')
                throw new Error(`receive ended: ${op.result.status}`);
              const got = readBuffer(op.result.data);
              delivered.push(...got.events);
              lost += got.lost;
            }
          };
          const close = async (reader: Reader) => {
            const last = reader.posted.op ?? reader.table.receiveData(reader.handle);
            reader.table.closeSession(reader.handle);
            await settle();
            if (last.result?.status === 'data') {
              const got = readBuffer(last.result.data);
              delivered.push(...got.events);
              lost += got.lost;
            }
            possible += reader.source.stats().duplicatesPossible ?? 0;
          };
          for (const s of steps) {
            switch (s.kind) {
              case 'emit':
                for (let i = 0; i < s.n; i++) await host.emitAlone(next++);
                break;
              case 'acks':
                stream.loseAcks = s.lose;
                break;
              case 'down':
                stream.down = s.down;
                break;
              case 'advance':
                clock.advance(s.ms);
                await settle();
                break;
              case 'deliver':
                stream.deliver(s.max);
                await settle();
                break;
              case 'receive':
                await take(reader, s.n);
                break;
              case 'lostAckOutage': {
                const lose = stream.loseAcks;
                stream.loseAcks = true;
                await host.emitAlone(next++);
                stream.loseAcks = lose;
                stream.down = true;
                for (let t = 0; t < s.outageMs; t += 100) {
                  clock.advance(Math.min(100, s.outageMs - t));
                  await settle();
                }
                stream.down = false;
                break;
              }
              case 'restart':
                await close(reader);
                restarts++;
                reader = readerProcess(clock, stream);
                break;
            }
          }
          // The end: NATS back, acks heard; the publisher settles, the reader drains.
          stream.loseAcks = false;
          stream.down = false;
          for (let i = 0; i < 200 && !host.publisher.settled; i++) {
            clock.advance(retryMs);
            await settle();
          }
          expect(host.publisher.settled).toBe(true);
          for (
            let i = 0;
            i < 50 &&
            (stream.length > 0 ||
              reader.session.stats().queuedEvents > 0 ||
              reader.session.stats().unreportedLost > 0);
            i++
          ) {
            stream.deliver();
            await settle();
            await take(reader, 5);
          }
          await close(reader);

          const seqs = delivered.map((e) => e.seq);
          const distinct = new Set(seqs).size;
          // Loss exact: every event generated was delivered or counted lost …
          expect(distinct + lost).toBe(next);
          expect(lost).toBe(host.publisher.lost);
          // … and each one delivered twice is one a reader said may be.
          expect(seqs.length - distinct).toBeLessThanOrEqual(possible);
          // A reader that held its claim throughout is exact and counts nothing.
          if (restarts === 0) expect([seqs.length, possible]).toEqual([distinct, 0]);
          if (seqs.length > distinct) runsWithTwice++;
        },
      ),
      { numRuns: 400, examples: twiceDelivered },
    );
    expect(runsWithTwice).toBeGreaterThanOrEqual(twiceDelivered.length);
  });
});

describe('the F4 residue, one interleaving', () => {
  it('a restarted reader counts nothing for copies stored inside the window (at least once is not a duplicate)', async () => {
    const clock = new VirtualClock(1_000_000);
    const stream = new FakeJetStream({ maxMsgs: 1000, clock, duplicateWindowMs: WINDOW_MS });
    const host = makeHost(clock, stream, 'lab-1', { retryMs: 100 });
    stream.loseAcks = true;
    await host.emitAlone(1); // stored, ack lost: the retry inside the window is the same message
    stream.loseAcks = false;
    await host.emitAlone(2);
    clock.advance(100);
    await settle();
    clock.advance(WINDOW_MS * 3); // read long after, by a reader started after they were sent
    const reader = readerProcess(clock, stream);
    stream.deliver();
    await settle();
    const op = reader.table.receiveData(reader.handle);
    clock.advance(100);
    await settle();
    const seqs =
      op.result?.status === 'data' ? readBuffer(op.result.data).events.map((e) => e.seq) : [];
    expect(seqs).toEqual([1, 2]);
    expect(reader.source.stats()).toMatchObject({ duplicates: 0, duplicatesPossible: 0 });
  });

  it('a retry stored after the window, read by a restarted reader, is counted as a possible duplicate', async () => {
    const clock = new VirtualClock(1_000_000);
    const stream = new FakeJetStream({ maxMsgs: 1000, clock, duplicateWindowMs: WINDOW_MS });
    const host = makeHost(clock, stream, 'lab-1', { retryMs: 100 });
    const first = readerProcess(clock, stream);
    stream.loseAcks = true;
    await host.emitAlone(7); // stored; the publisher hears nothing
    stream.loseAcks = false;
    stream.down = true;
    for (let t = 0; t < 12; t++) {
      clock.advance(100); // retries unsent while NATS is away, past the window
      await settle();
    }
    stream.deliver();
    await settle();
    const one = first.table.receiveData(first.handle);
    clock.advance(100);
    await settle();
    first.table.closeSession(first.handle);
    const second = readerProcess(clock, stream);
    stream.down = false;
    clock.advance(100); // the retry: a second copy (the window has passed)
    await settle();
    stream.deliver();
    await settle();
    const two = second.table.receiveData(second.handle);
    clock.advance(100);
    await settle();
    const seqs = [one, two].flatMap((op) =>
      op.result?.status === 'data' ? readBuffer(op.result.data).events.map((e) => e.seq) : [],
    );
    expect({ seqs, stored: stream.counters.stored }).toEqual({ seqs: [7, 7], stored: 2 });
    expect(second.source.stats().duplicatesPossible).toBe(1);
    // The publisher counted the event once, stored; nothing lost.
    expect([host.publisher.stats().stored, host.publisher.lost]).toEqual([1, 0]);
  });
});
