/**
 * `EventQueue.fits` (review16 R8: the cluster reader offers only what fits
 * and leaves the rest in its stream): for any limits and any run of records
 * and receives, `fits` before an `addRecord` says exactly whether that
 * record is queued rather than refused; an item too big for any buffer
 * "fits" (waiting never makes room for it; it is dropped and counted).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_NET_EVENT_ITEM_LENGTH,
  NET_EVENT_DATA_HEADER_LENGTH,
  NET_EVENT_LOST_ITEM_LENGTH,
} from '../wire/index.js';
import { EventQueue } from './event-queue.js';
import { resolveLimits } from './limits.js';

describe('EventQueue.fits', () => {
  it('predicts whether addRecord queues the record', () => {
    fc.assert(
      fc.property(
        fc.record({
          bufferBytes: fc.integer({ min: 256, max: 4096 }),
          maxBuffers: fc.integer({ min: 1, max: 4 }),
          ops: fc.array(
            fc.oneof(
              fc.record({ add: fc.integer({ min: 84, max: 5000 }) }),
              fc.record({ take: fc.boolean() }),
            ),
            { maxLength: 80 },
          ),
        }),
        ({ bufferBytes, maxBuffers, ops }) => {
          const queue = new EventQueue(resolveLimits({ bufferBytes, maxBuffers }), {
            lastItemFlag: 0x0100,
            sessionId: 1,
          });
          let refusedWhileFitting = 0;
          let queuedWhileNotFitting = 0;
          for (const op of ops) {
            if ('take' in op) {
              queue.take(op.take);
              continue;
            }
            const fits = queue.fits(op.add);
            const lostBefore = queue.lostTotal;
            queue.addRecord(new Uint8Array(op.add));
            const queued = queue.lostTotal === lostBefore;
            const length = NET_EVENT_DATA_HEADER_LENGTH + op.add;
            const oversize =
              length > bufferBytes - NET_EVENT_LOST_ITEM_LENGTH ||
              length > MAX_NET_EVENT_ITEM_LENGTH;
            if (fits && !queued && !oversize) refusedWhileFitting++;
            if (!fits && queued) queuedWhileNotFitting++;
            if (oversize) expect(fits).toBe(true);
          }
          expect({ refusedWhileFitting, queuedWhileNotFitting }).toEqual({
            refusedWhileFitting: 0,
            queuedWhileNotFitting: 0,
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
