import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../testing/index.js';
import { FakeJetStream } from './fake-jetstream.js';
import { LAG_SAMPLE_EVERY_MS, LagSampler, type LagCrossing } from './lag-sampler.js';
import type { ConsumerLag } from './ports.js';
import { makeHost, makeReader, readBuffer, settle } from './test-kit.js';

/** Runs one sampling interval: the timer, then the fake's answers. */
async function tick(clock: VirtualClock, everyMs = LAG_SAMPLE_EVERY_MS): Promise<void> {
  clock.advance(everyMs);
  await settle();
}

describe('a reader samples its host consumers lag', () => {
  it('a client that stops receiving shows ack pending, then pending, per host; one info call per consumer per interval', async () => {
    const clock = new VirtualClock(1_000_000);
    const stream = new FakeJetStream({ maxMsgs: 1000 });
    const a = makeHost(clock, stream, 'lab-1');
    const b = makeHost(clock, stream, 'lab-2');
    await a.emitAlone(1);
    await b.emitAlone(1);
    const reader = makeReader(clock, stream, 'lab-*');
    expect(reader.source.lag()).toMatchObject({ hosts: [], oldestSampleAgeMs: undefined });
    reader.table.openSession('lab');
    await settle();
    // Both hosts claimed; nothing delivered yet: all of it pending on the server.
    await tick(clock);
    expect(stream.counters.infoCalls).toBe(2);
    expect(reader.source.lag()).toMatchObject({ pending: 2, ackPending: 0, redelivered: 0 });

    // Delivered into the session's queue, never received: ack pending, not pending.
    stream.deliver();
    for (let seq = 2; seq <= 4; seq++) await a.emitAlone(seq);
    await tick(clock);
    expect(stream.counters.infoCalls).toBe(4);
    const lag = reader.source.lag();
    expect(lag).toMatchObject({ pending: 3, ackPending: 2, oldestSampleAgeMs: 0 });
    expect(lag?.hosts.map((h) => [h.host, h.pending, h.ackPending]).sort()).toEqual([
      ['lab-1', 3, 1],
      ['lab-2', 0, 1],
    ]);

    // Given back and delivered again, still unacked: redelivered.
    stream.redeliverUnacked();
    stream.deliver();
    await tick(clock);
    expect(reader.source.lag()).toMatchObject({ pending: 0, ackPending: 5, redelivered: 2 });
  });

  it('a sample that goes unanswered keeps its values and grows old; a closed session forgets them', async () => {
    const clock = new VirtualClock(0);
    const stream = new FakeJetStream({ maxMsgs: 10 });
    const host = makeHost(clock, stream, 'lab-1');
    await host.emitAlone(1);
    const reader = makeReader(clock, stream, 'lab-1');
    const handle = reader.table.openSession('lab');
    await tick(clock);
    expect(reader.source.lag()).toMatchObject({ pending: 1, oldestSampleAgeMs: 0, failures: 0 });
    const answer = stream.consumerLag.bind(stream);
    stream.consumerLag = () => Promise.reject(new Error('timeout'));
    await tick(clock);
    await tick(clock);
    expect(reader.source.lag()).toMatchObject({
      pending: 1,
      oldestSampleAgeMs: 2 * LAG_SAMPLE_EVERY_MS,
      failures: 2,
    });
    stream.consumerLag = answer;
    stream.deliver();
    const receive = reader.table.receiveData(handle);
    clock.advance(100);
    await settle();
    expect(receive.result?.status).toBe('data');
    if (receive.result?.status === 'data')
      expect(readBuffer(receive.result.data).events).toHaveLength(1);
    await tick(clock);
    expect(reader.source.lag()).toMatchObject({ pending: 0, ackPending: 0, oldestSampleAgeMs: 0 });
    reader.table.closeSession(handle);
    const calls = stream.counters.infoCalls;
    await tick(clock);
    expect(stream.counters.infoCalls).toBe(calls);
    expect(reader.source.lag()?.hosts).toEqual([]);
  });
});

describe('LagSampler', () => {
  it('never asks a consumer twice while an answer is still out', async () => {
    const clock = new VirtualClock(0);
    let asked = 0;
    let answer: ((lag: ConsumerLag) => void) | undefined;
    const sampler = new LagSampler({
      clock,
      everyMs: 100,
      targets: () => [{ host: 'h', stream: 's', durable: 'd' }],
      port: {
        consumerLag: () => {
          asked++;
          return new Promise((resolve) => (answer = resolve));
        },
      },
    });
    sampler.start();
    for (let i = 0; i < 5; i++) await tick(clock, 100);
    // Nor does a round asked for directly (a scrape never triggers one, but a test might).
    void sampler.sample();
    expect(asked).toBe(1);
    answer?.({ pending: 7, ackPending: 0, redelivered: 0 });
    await settle();
    expect(sampler.lag()).toMatchObject({ pending: 7, oldestSampleAgeMs: 0 });
    await tick(clock, 100);
    expect(asked).toBe(2);
    sampler.stop();
  });

  it('tells a threshold crossing once per rise, for any samples and threshold (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.array(fc.tuple(fc.nat(60), fc.nat(60)), { minLength: 1, maxLength: 40 }),
        async (threshold, everyMs, lags) => {
          const clock = new VirtualClock(0);
          const crossings: LagCrossing[] = [];
          let next = 0;
          const sampler = new LagSampler({
            clock,
            everyMs,
            threshold,
            onThreshold: (crossing) => crossings.push(crossing),
            targets: () => [{ host: 'h', stream: 's', durable: 'd' }],
            port: {
              consumerLag: () => {
                const [pending, ackPending] = lags[next++] ?? [0, 0];
                return Promise.resolve({ pending, ackPending, redelivered: 0 });
              },
            },
          });
          sampler.start();
          for (let i = 0; i < lags.length; i++) await tick(clock, everyMs);
          sampler.stop();
          let above = false;
          const expected: number[] = [];
          for (const [pending, ackPending] of lags) {
            const behind = pending + ackPending;
            if (behind >= threshold && !above) expected.push(behind);
            above = behind >= threshold;
          }
          expect(next).toBe(lags.length);
          expect(crossings.map((c) => c.lag)).toEqual(expected);
          expect(crossings.every((c) => c.threshold === threshold && c.host === 'h')).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
  });
});
