/**
 * The pull window as a property (review16 R8): whatever the session's room
 * (buffer size and count drawn), the stream's room, the events emitted and
 * how a slow client interleaves its receives with the stream's deliveries,
 * a reader never tail-drops what the stream holds: delivered + lost ==
 * generated exactly, lost is only what the stream refused, each event once,
 * in order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../testing/index.js';
import { FakeJetStream } from './fake-jetstream.js';
import { makeHost, makeReader, readBuffer, settle } from './test-kit.js';

describe('reader pull window (property)', () => {
  it('a slow client loses only what the stream refused, never at the reader', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          bufferBytes: fc.constantFrom(128, 256, 1024),
          maxBuffers: fc.integer({ min: 1, max: 4 }),
          maxMsgs: fc.integer({ min: 1, max: 60 }),
          emitted: fc.integer({ min: 1, max: 40 }),
          // Each step: how many messages the stream may hand out, then whether the client receives.
          steps: fc.array(
            fc.record({ deliver: fc.integer({ min: 0, max: 8 }), receive: fc.boolean() }),
            {
              maxLength: 30,
            },
          ),
        }),
        async ({ bufferBytes, maxBuffers, maxMsgs, emitted, steps }) => {
          const clock = new VirtualClock();
          const stream = new FakeJetStream({ maxMsgs });
          const host = makeHost(clock, stream, 'lab-1');
          const reader = makeReader(clock, stream, 'lab-1', { bufferBytes, maxBuffers });
          for (let i = 0; i < emitted; i++) await host.emitAlone(i);
          clock.advance(250);
          await settle();
          const refused = host.publisher.stats().refused;
          const handle = reader.table.openSession('lab');
          await settle();
          const seqs: number[] = [];
          let lost = 0;
          const receive = async () => {
            // A receive on an empty session waits for events: the client's next one is later.
            const stats = reader.session.stats();
            if (stats.queuedEvents === 0 && stats.unreportedLost === 0) return;
            const op = reader.table.receiveData(handle);
            if (op.result === undefined) clock.advance(100);
            await settle();
            const done = op.result;
            if (done?.status !== 'data') throw new Error('receive did not complete');
            const got = readBuffer(done.data);
            seqs.push(...got.events.map((e) => e.seq));
            lost += got.lost;
          };
          // The slow part: deliveries with and without the client keeping up.
          for (const step of steps) {
            stream.deliver(step.deliver);
            await settle();
            if (step.receive) await receive();
          }
          // Then the client catches up.
          for (let round = 0; round < 200 && seqs.length + lost < emitted; round++) {
            stream.deliver();
            await settle();
            await receive();
          }
          reader.table.closeSession(handle);
          expect(reader.source.stats().queueLost).toBe(0);
          expect(lost).toBe(refused);
          expect(seqs.length + lost).toBe(emitted);
          expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
          expect(new Set(seqs).size).toBe(seqs.length);
        },
      ),
      { numRuns: 60 },
    );
  }, 60_000);
});
