import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Receiver, type ReceiveCompletion } from '../../src/receive/index.js';
import { VirtualClock } from '../../src/testing/index.js';
import { concat } from '../../src/bytes/index.js';

/**
 * A random interleaving of pushes, posted receives (with and without buffers,
 * timeouts and aborts), clock steps and a disconnect must keep the model's
 * promises: every receive completes exactly once; the bytes delivered are
 * exactly the bytes accepted, in order; the queue never exceeds its bounds;
 * and accepted + dropped = pushed.
 */
type Step =
  | { kind: 'push'; size: number }
  | { kind: 'receive'; buffer: number; timeout: number | undefined; abort: boolean }
  | { kind: 'tick'; ms: number }
  | { kind: 'abort' }
  | { kind: 'disconnect' };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('push' as const), size: fc.integer({ min: 0, max: 40 }) }),
  fc.record({
    kind: fc.constant('receive' as const),
    buffer: fc.integer({ min: 0, max: 16 }),
    timeout: fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }),
    abort: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 20 }) }),
  fc.constant({ kind: 'abort' as const }),
  fc.constant({ kind: 'disconnect' as const }),
);

describe('Receiver properties', () => {
  for (const framing of ['message', 'stream'] as const) {
    for (const outstanding of ['single', 'queued'] as const) {
      it(`${framing} / ${outstanding}: completes once, loses nothing accepted, stays bounded`, () => {
        fc.assert(
          fc.property(fc.array(step, { maxLength: 80 }), (steps) => {
            const clock = new VirtualClock();
            const maxQueuedItems = 4;
            const maxQueuedBytes = 64;
            const receiver = new Receiver<number>({
              clock,
              framing,
              outstanding,
              maxOutstanding: 3,
              maxQueuedItems,
              maxQueuedBytes,
            });
            const accepted: Uint8Array[] = [];
            const delivered: Uint8Array[] = [];
            const completions = new Map<object, number>();
            const controllers: AbortController[] = [];
            let pushed = 0;
            let next = 0;
            const ops: { result: ReceiveCompletion<number> | undefined }[] = [];

            for (const s of steps) {
              switch (s.kind) {
                case 'push': {
                  const data = Uint8Array.from({ length: s.size }, () => next++ & 0xff);
                  pushed++;
                  if (receiver.push(data, pushed)) accepted.push(data);
                  break;
                }
                case 'receive': {
                  const controller = new AbortController();
                  if (s.abort) controllers.push(controller);
                  try {
                    const op = receiver.receive({
                      ...(s.buffer > 0 ? { buffer: new Uint8Array(s.buffer) } : {}),
                      ...(s.timeout !== undefined ? { timeoutMs: s.timeout } : {}),
                      signal: controller.signal,
                    });
                    ops.push(op);
                  } catch (error) {
                    expect((error as { code: string }).code).toBe('ERROR_ASYNC_REQUEST_PENDING');
                  }
                  break;
                }
                case 'tick':
                  clock.advance(s.ms);
                  break;
                case 'abort':
                  controllers.shift()?.abort();
                  break;
                case 'disconnect':
                  receiver.disconnect();
                  break;
              }
              // Collect data as soon as it completes (the caller's buffer may be reused later).
              for (const op of ops) {
                if (op.result !== undefined && !completions.has(op)) {
                  completions.set(op, 1);
                  if (op.result.status === 'data') delivered.push(op.result.data.slice());
                }
              }
              const stats = receiver.stats();
              expect(stats.queuedItems).toBeLessThanOrEqual(maxQueuedItems);
              expect(stats.queuedBytes).toBeGreaterThanOrEqual(0);
            }
            // Drain whatever is left and compare byte streams.
            receiver.disconnect();
            for (const op of ops) {
              // Each op's result never changes once set, and all are complete now.
              expect(op.result).toBeDefined();
            }
            for (;;) {
              const result = receiver.receive().result;
              if (result?.status !== 'data') break;
              delivered.push(result.data);
            }
            const stats = receiver.stats();
            expect(stats.dropped + accepted.length).toBe(pushed);
            const acceptedBytes = concat(accepted);
            const deliveredBytes = concat(delivered);
            expect(Array.from(deliveredBytes)).toEqual(Array.from(acceptedBytes));
          }),
          { numRuns: 300 },
        );
      });
    }
  }
});
