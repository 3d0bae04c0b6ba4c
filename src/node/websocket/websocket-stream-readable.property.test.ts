/**
 * The readable side's posted-receive logic on its own, against a model:
 * messages arrive only while the connection reads (a paused netrx
 * connection decodes nothing more), a reader posts reads at drawn moments,
 * and the high-water mark and message sizes are drawn. After every step
 * (and the turn it takes to settle):
 *
 * - bounded: a queue at or over the high-water mark (at 0: any message
 *   waiting unread) has the connection paused;
 * - live: a posted read that waits, or a queue under the mark, has it
 *   reading;
 * - every message is read once, in arrival order.
 *
 * The pull is kept pending until the side pauses (one pull per pause, not
 * one per message): this is the test that says the socket still stops and
 * restarts exactly when it should.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from './websocket.js';
import {
  MESSAGE_OVERHEAD_BYTES,
  ReadableSide,
  type WebSocketStreamMessage,
} from './websocket-stream-sides.js';

/** The two calls the readable side makes on its connection, recorded. */
class FakeConnection {
  paused = false;
  pauses = 0;
  pause(): void {
    this.paused = true;
    this.pauses++;
  }
  resume(): void {
    this.paused = false;
  }
}

/** A turn: every promise job queued by the streams settles before it ends. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

type Step = { kind: 'arrive'; size: number } | { kind: 'read' };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('arrive' as const),
    size: fc.oneof(fc.nat(200), fc.constantFrom(0, 1024, 65_536, 70_000)),
  }),
  fc.record({ kind: fc.constant('read' as const) }),
);

describe('WebSocketStream readable: posted receives against a model', () => {
  it('pauses at the high-water mark, reads while a read waits, loses nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(0, 1, 100, 1024, 65_536),
        fc.array(stepArb, { minLength: 1, maxLength: 60 }),
        async (highWaterMark, steps) => {
          const connection = new FakeConnection();
          const side = new ReadableSide(
            connection as unknown as WebSocket,
            { closeUsing: () => {} },
            highWaterMark,
          );
          const reader = side.stream.getReader();
          const delivered: number[] = [];
          let arrived = 0;
          let waitingReads = 0;
          const post = (): void => {
            waitingReads++;
            void reader.read().then(({ value }) => {
              waitingReads--;
              delivered.push((value as Uint8Array).length);
            });
          };
          const sizes: number[] = [];
          await settle();
          for (const step of steps) {
            if (step.kind === 'read') post();
            else if (!connection.paused) {
              sizes.push(step.size);
              arrived++;
              side.message(new Uint8Array(step.size), true);
            }
            await settle();
            // The model's queue: what arrived and no read took yet.
            const queued = sizes.slice(delivered.length);
            const queuedBytes = queued.reduce(
              (sum, size) => sum + size + MESSAGE_OVERHEAD_BYTES,
              0,
            );
            const full = queued.length > 0 && (highWaterMark === 0 || queuedBytes >= highWaterMark);
            if (full) expect(connection.paused, 'full queue, connection reading').toBe(true);
            if (waitingReads > 0) expect(connection.paused, 'a read waits, paused').toBe(false);
            if (highWaterMark > 0 && queuedBytes < highWaterMark) {
              expect(connection.paused, 'room in the queue, paused').toBe(false);
            }
          }
          // Drain: every message comes out once, in order.
          while (delivered.length < arrived) {
            post();
            await settle();
          }
          expect(delivered).toEqual(sizes);
          expect(connection.pauses).toBeLessThanOrEqual(arrived);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a text message is read as a string', async () => {
    const connection = new FakeConnection();
    const side = new ReadableSide(
      connection as unknown as WebSocket,
      { closeUsing: () => {} },
      1024,
    );
    side.message(new TextEncoder().encode('héllo'), false);
    const { value } = await side.stream.getReader().read();
    expect(value satisfies WebSocketStreamMessage | undefined).toBe('héllo');
  });
});
