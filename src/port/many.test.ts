import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../testing/index.js';
import { DEFAULT_PORT_CONCURRENCY, runMany, worstExitCode, type ManyOutcome } from './many.js';

/** Lets every settled promise's callbacks run (no timers involved). */
const settle = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

/** Runs `runMany` with tasks that each take `durations[i]` ms of virtual time. */
async function drive(
  durations: readonly number[],
  concurrency: number,
  fail: (index: number) => boolean = () => false,
) {
  const clock = new VirtualClock();
  let inFlight = 0;
  let maxInFlight = 0;
  const started: number[] = [];
  const reported: ManyOutcome<number, number>[] = [];
  const run = runMany(
    durations,
    (ms, index) => {
      started.push(index);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      return new Promise<number>((resolve, reject) => {
        clock.setTimer(ms, () => {
          inFlight--;
          if (fail(index)) reject(new Error(`port ${index} failed`));
          else resolve(index * 10);
        });
      });
    },
    { concurrency, clock, onOutcome: (o) => reported.push(o) },
  );
  let done = false;
  void run.then(() => (done = true));
  await settle();
  while (!done) {
    if (!clock.runNext()) break;
    await settle();
  }
  await settle();
  expect(done).toBe(true);
  return { outcomes: await run, reported, maxInFlight, started };
}

describe('runMany: many ports at once', () => {
  it('keeps at most `concurrency` tasks in flight and starts them in input order', async () => {
    const { maxInFlight, started, outcomes } = await drive([50, 10, 30, 20, 40, 5, 5], 3);
    expect(maxInFlight).toBe(3);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(outcomes.map((o) => o.index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('reports in input order, each as soon as every earlier one is done, with its duration', async () => {
    const { reported } = await drive([30, 10, 20], 3);
    expect(reported.map((o) => [o.index, o.durationMs])).toEqual([
      [0, 30],
      [1, 10],
      [2, 20],
    ]);
    expect(reported.map((o) => (o.ok ? o.value : undefined))).toEqual([0, 10, 20]);
  });

  it("one task's failure is its outcome; the others run to the end", async () => {
    const { outcomes } = await drive([10, 10, 10, 10], 2, (i) => i === 1);
    expect(outcomes.map((o) => o.ok)).toEqual([true, false, true, true]);
    const failed = outcomes[1];
    expect(failed?.ok === false ? (failed.error as Error).message : '').toBe('port 1 failed');
  });

  it('a task that throws at once (not a rejection later) is an outcome too', async () => {
    const clock = new VirtualClock();
    const outcomes = await runMany(
      ['a', 'b'],
      (item) => {
        if (item === 'a') throw new Error('no');
        return Promise.resolve(1);
      },
      { concurrency: 1, clock },
    );
    expect(outcomes.map((o) => o.ok)).toEqual([false, true]);
  });

  it('property: for any durations and concurrency, the bound holds and every item is reported once, in order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 100 }), { maxLength: 40 }),
        fc.integer({ min: 1, max: 12 }),
        fc.func(fc.boolean()),
        async (durations, concurrency, failing) => {
          const fail = (i: number) => failing(i);
          const { outcomes, reported, maxInFlight } = await drive(durations, concurrency, fail);
          expect(maxInFlight).toBeLessThanOrEqual(concurrency);
          if (durations.length > 0)
            expect(maxInFlight).toBe(Math.min(concurrency, durations.length));
          expect(reported.map((o) => o.index)).toEqual(durations.map((_, i) => i));
          expect(outcomes.map((o) => o.ok)).toEqual(durations.map((_, i) => !fail(i)));
          expect(outcomes.map((o) => o.durationMs)).toEqual(durations);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('refuses a concurrency that is not an integer of at least 1; nothing to run is no outcome', async () => {
    const clock = new VirtualClock();
    for (const concurrency of [0, -1, 1.5, Number.NaN]) {
      await expect(runMany([1], () => Promise.resolve(1), { concurrency, clock })).rejects.toThrow(
        RangeError,
      );
    }
    expect(await runMany([], () => Promise.resolve(1), { concurrency: 4, clock })).toEqual([]);
    expect(DEFAULT_PORT_CONCURRENCY).toBe(64);
  });
});

describe('worstExitCode', () => {
  it('is the highest exit code (0 when every port succeeded or there were none)', () => {
    expect(worstExitCode([])).toBe(0);
    expect(worstExitCode([0, 0])).toBe(0);
    expect(worstExitCode([0, 3, 0])).toBe(3);
    // chat: an ABORT (4 + n) is worse than a timeout (3), a timeout worse than an I/O error (2).
    expect(worstExitCode([2, 5, 3, 0])).toBe(5);
  });
});
