import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BufferPool } from '../bytes/index.js';
import type { NetrxError } from '../runtime/index.js';
import { VirtualClock, createPortPair } from '../testing/index.js';

/** One step of a RAS script and its peer, drawn at random. */
type Step =
  | { kind: 'write'; bytes: number[] }
  | { kind: 'post'; size: number; timeoutMs: number }
  | { kind: 'retrieve' }
  | { kind: 'advance'; ms: number }
  | { kind: 'hangup' };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('write' as const),
    bytes: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 40 }),
  }),
  fc.record({
    kind: fc.constant('post' as const),
    size: fc.integer({ min: 1, max: 64 }),
    timeoutMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 500 })),
  }),
  fc.record({ kind: fc.constant('retrieve' as const) }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 300 }) }),
  fc.record({ kind: fc.constant('hangup' as const) }),
);

describe('Port: posted receives (property)', () => {
  it('delivers every byte written before the hang-up exactly once, in order; one receive at a time; the event is set exactly when a result is ready', () => {
    fc.assert(
      fc.property(
        fc.array(step, { maxLength: 60 }),
        fc.integer({ min: 16, max: 4096 }),
        (steps, maxQueuedBytes) => {
          const clock = new VirtualClock();
          const { port, peer } = createPortPair({
            clock,
            maxQueuedBytes,
            pool: new BufferPool({ bufferSize: 64, capacity: 2 }),
          });
          const written: number[] = [];
          const got: number[] = [];
          let hungUp = false;
          let posted:
            { buffer: Uint8Array; event: ReturnType<typeof port.receiveBuffer> } | undefined;
          const buffer = port.getBuffer(64);
          for (const s of steps) {
            switch (s.kind) {
              case 'write':
                if (!hungUp && s.bytes.length > 0) {
                  const before = port.stats().droppedBytes;
                  peer.write(Uint8Array.from(s.bytes));
                  // Bytes refused at the bound are counted, never silently half-taken.
                  if (port.stats().droppedBytes === before) written.push(...s.bytes);
                }
                break;
              case 'post': {
                const view = buffer.subarray(0, s.size);
                const hadPosted = posted !== undefined;
                let refused = false;
                try {
                  const event = port.receiveBuffer(view, s.timeoutMs);
                  posted = { buffer: view, event };
                } catch (error) {
                  refused = (error as NetrxError).number === 616;
                  if (!refused) throw error;
                }
                // Refused exactly when a receive was already posted.
                expect(refused).toBe(hadPosted);
                break;
              }
              case 'retrieve': {
                if (posted === undefined) break;
                const result = port.retrieveBuffer(posted.buffer);
                if (result.error === 600) {
                  expect(posted.event.isSet).toBe(false);
                  break;
                }
                expect(posted.event.isSet).toBe(true);
                if (result.error === 0) {
                  expect(result.size).toBeGreaterThan(0);
                  expect(result.size).toBeLessThanOrEqual(posted.buffer.length);
                  got.push(...result.data);
                } else {
                  expect([638, 619]).toContain(result.error);
                  if (result.error === 619) expect(hungUp).toBe(true);
                }
                posted = undefined;
                break;
              }
              case 'advance':
                clock.advance(s.ms);
                break;
              case 'hangup':
                hungUp = true;
                peer.hangUp();
                break;
            }
          }
          // Drain: everything accepted comes out, then the disconnect.
          if (posted !== undefined) {
            clock.advance(1000);
            const result = port.retrieveBuffer(posted.buffer);
            if (result.error === 0) got.push(...result.data);
          }
          peer.hangUp();
          for (let i = 0; i < 10_000; i++) {
            const event = port.receiveBuffer(buffer, 10);
            clock.advance(10);
            expect(event.isSet).toBe(true);
            const result = port.retrieveBuffer(buffer);
            if (result.error !== 0) {
              expect(result.error).toBe(619);
              break;
            }
            got.push(...result.data);
          }
          expect(got).toEqual(written);
          expect(clock.pendingTimers).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
