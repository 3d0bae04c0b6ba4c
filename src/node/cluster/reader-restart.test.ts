/**
 * A reader that stops mid-stream (its session closed, its process gone) and
 * a new one on the same durable consumer: between them every event
 * generated is delivered once or counted lost, never delivered twice.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../testing/index.js';
import { FakeJetStream } from './fake-jetstream.js';
import { makeHost, makeReader, readBuffer, settle, type ReadEvent } from './test-kit.js';

/** Delivers at most `messages` stream messages to the reader and takes every buffer its session fills. */
async function readSome(
  clock: VirtualClock,
  stream: FakeJetStream,
  reader: ReturnType<typeof makeReader>,
  handle: ReturnType<ReturnType<typeof makeReader>['table']['openSession']>,
  messages: number,
  receives = 50,
): Promise<{ events: ReadEvent[]; lost: number }> {
  const events: ReadEvent[] = [];
  let lost = 0;
  stream.deliver(messages);
  for (let round = 0; round < receives; round++) {
    const stats = reader.session.stats();
    if (stats.queuedEvents === 0 && stats.unreportedLost === 0) break;
    const op = reader.table.receiveData(handle);
    if (op.result === undefined) clock.advance(100);
    await settle();
    if (op.result?.status !== 'data') throw new Error('receive did not complete');
    const got = readBuffer(op.result.data);
    events.push(...got.events);
    lost += got.lost;
  }
  return { events, lost };
}

describe('a reader restarted mid-stream', () => {
  it('delivered + lost = generated, and no event is delivered twice (fast-check over sizes and the cut)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          maxMsgs: fc.integer({ min: 2, max: 40 }),
          events: fc.integer({ min: 1, max: 60 }),
          perMessage: fc.integer({ min: 1, max: 4 }),
          cut: fc.integer({ min: 0, max: 40 }),
          // Buffers the client takes from the first reader before it goes (the rest stay queued).
          receives: fc.integer({ min: 0, max: 50 }),
        }),
        async ({ maxMsgs, events, perMessage, cut, receives }) => {
          const clock = new VirtualClock();
          const stream = new FakeJetStream({ maxMsgs });
          const host = makeHost(clock, stream, 'lab-1', { retryMs: 10 });
          for (let seq = 0; seq < events; seq += perMessage) {
            for (let i = seq; i < Math.min(events, seq + perMessage); i++) host.emit(i);
            await settle();
          }
          clock.advance(10);
          await settle();
          expect(host.publisher.settled).toBe(true);

          const first = makeReader(clock, stream, '*');
          const firstHandle = first.table.openSession('lab');
          // A glob reader claims the hosts it finds in the stream (an answer away).
          await settle();
          const one = await readSome(clock, stream, first, firstHandle, cut, receives);
          // The reader goes away mid-stream, a receive posted: its last buffer counts what it discarded.
          const last = first.table.receiveData(firstHandle);
          first.table.closeSession(firstHandle);
          await settle();
          if (last.result?.status === 'data') {
            const got = readBuffer(last.result.data);
            one.events.push(...got.events);
            one.lost += got.lost;
          }

          const second = makeReader(clock, stream, '*');
          const secondHandle = second.table.openSession('lab');
          // A glob reader claims the hosts it finds in the stream (an answer away).
          await settle();
          const two = await readSome(clock, stream, second, secondHandle, Infinity);
          second.table.closeSession(secondHandle);

          const seqs = [...one.events, ...two.events].map((e) => e.seq);
          expect(new Set(seqs).size).toBe(seqs.length);
          expect(seqs.length + one.lost + two.lost).toBe(events);
          // Beyond the publisher's loss: only the rest of a message partly delivered when it went.
          expect(one.lost + two.lost).toBeGreaterThanOrEqual(host.publisher.lost);
          expect(stream.length).toBe(0);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('a client that closes before a loss reached it', () => {
  it('gets the loss in its next open of the session (the reader acked the report on close)', async () => {
    const clock = new VirtualClock();
    const stream = new FakeJetStream({ maxMsgs: 1 });
    const host = makeHost(clock, stream, 'lab-1');
    await host.emitAlone(0);
    await host.emitAlone(1); // the stream is full: refused, a loss report follows
    await settle();
    expect(host.publisher.stats()).toMatchObject({ stored: 1, refused: 1, reportedLost: 1 });
    const reader = makeReader(clock, stream, 'lab-1');
    const first = reader.table.openSession('lab');
    stream.deliver(); // event 0 queued, the report's growth counted: no receive posted
    await settle();
    expect(reader.session.stats()).toMatchObject({ queuedEvents: 1, unreportedLost: 1 });
    reader.table.closeSession(first); // event 0 given back; the loss stays the session's
    const again = reader.table.openSession('lab');
    const got = await readSome(clock, stream, reader, again, Infinity);
    reader.table.closeSession(again);
    expect(got.events.map((e) => e.seq)).toEqual([0]);
    // Found by the full-flow property (test/property/nats-fan-in-flow): main lost this count.
    expect(got.lost).toBe(1);
  });
});
