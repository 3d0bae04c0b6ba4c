import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AckBatcher } from './ack-batcher.js';

/** A batcher whose "end of turn" is run by the test. */
function manualBatcher(maxPending: number) {
  let turnEnd: (() => void)[] = [];
  const batcher = new AckBatcher({ maxPending, schedule: (flush) => turnEnd.push(flush) });
  return {
    batcher,
    endTurn() {
      const run = turnEnd;
      turnEnd = [];
      for (const flush of run) flush();
    },
    scheduledCount: () => turnEnd.length,
  };
}

describe('AckBatcher', () => {
  it('holds the acks of a turn and writes them together when it ends', () => {
    const { batcher, endTurn, scheduledCount } = manualBatcher(100);
    const acked: number[] = [];
    for (let i = 0; i < 5; i++) batcher.add(() => acked.push(i));
    expect(acked).toEqual([]);
    expect(scheduledCount()).toBe(1);
    endTurn();
    expect(acked).toEqual([0, 1, 2, 3, 4]);
    expect(batcher.flushes).toBe(1);
  });

  it('writes at maxPending without waiting for the turn to end', () => {
    const { batcher } = manualBatcher(3);
    const acked: number[] = [];
    for (let i = 0; i < 7; i++) batcher.add(() => acked.push(i));
    expect(acked).toEqual([0, 1, 2, 3, 4, 5]);
    expect(batcher.size).toBe(1);
  });

  it('refuses a maxPending that is not a positive integer', () => {
    expect(() => new AckBatcher({ maxPending: 0, schedule: () => undefined })).toThrow(RangeError);
    expect(() => new AckBatcher({ maxPending: 1.5, schedule: () => undefined })).toThrow(
      RangeError,
    );
  });

  it('every ack is written exactly once, in order, never more than maxPending held (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        fc.array(fc.oneof(fc.constant('ack'), fc.constant('turn'), fc.constant('flush')), {
          maxLength: 300,
        }),
        (maxPending, steps) => {
          const { batcher, endTurn } = manualBatcher(maxPending);
          const acked: number[] = [];
          let added = 0;
          for (const step of steps) {
            if (step === 'ack') {
              const n = added++;
              batcher.add(() => acked.push(n));
            } else if (step === 'turn') {
              endTurn();
              expect(batcher.size).toBe(0);
            } else {
              batcher.flush();
            }
            expect(batcher.size).toBeLessThan(maxPending);
            expect(acked.length + batcher.size).toBe(added);
          }
          endTurn();
          expect(acked).toEqual(Array.from({ length: added }, (_, i) => i));
        },
      ),
      { numRuns: 300 },
    );
  });
});
