/**
 * review16e: the batch cut as configuration (issue #16, stream-budget.ts).
 *
 * A publisher with cut C is run against a port that behaves as the
 * `discard: new` event stream sized by `streamMessageLimit(budget, C)`
 * (`max_msgs_per_subject`, one subject): it stores until the limit, then
 * refuses, as nats-server 2.9.10 does (test/interop/nats-batch-cut.test.ts
 * shows that on the real server). The bytes it holds are then compared with
 * the budget that derived the limit.
 *
 * - "holds": same cut on both sides, events no bigger than the cut: within
 *   max(budget, 16 × cut), cut and budget drawn (property). This joins the
 *   publisher's cut and the stream's derivation end to end, which the
 *   committed stream-budget property does not (it checks
 *   `streamCapacity` against its own formula).
 * - R16E-L1 (fixed since: the config and CLI now start at 8 KiB): at the
 *   smallest cut the config and CLI accepted (1,024 bytes), full-size
 *   packet events (a 1,514-byte frame) each travel alone, so the ordinary
 *   case of a packet capture is the "one exception" docs/cluster.md puts in
 *   its last row, and the stream held ~1.5x its byte budget (103,552 bytes,
 *   64 messages of 1,618, of a 65,536 budget).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CapturePublisher } from '../../src/node/cluster/publisher.js';
import type { PublishOutcome } from '../../src/node/cluster/ports.js';
import {
  MAX_BATCH_BYTES,
  MIN_BATCH_BYTES,
  MIN_CONFIGURED_BATCH_BYTES,
  MIN_STREAM_MESSAGES,
  streamMessageLimit,
} from '../../src/node/cluster/stream-budget.js';
import { settle } from '../../src/node/cluster/test-kit.js';
import { validateHostConfig } from '../../src/node/host/config.js';
import { VirtualClock } from '../../src/testing/index.js';
import { TraceRegistry } from '../../src/trace/index.js';
import { eventRecordLength, writeEventRecord } from '../../src/wire/index.js';

function record(userDataLength: number): Uint8Array {
  const bytes = new Uint8Array(eventRecordLength(userDataLength));
  writeEventRecord(
    bytes,
    new DataView(bytes.buffer),
    0,
    { providerId: '00000000-0000-0000-0000-000000000001' },
    new Uint8Array(userDataLength),
  );
  return bytes;
}

/** Offers `sizes` (user data bytes) to a publisher cut at `cut` on a stream of `maxMsgs`. */
async function fill(
  cut: { bytes: number; events: number },
  maxMsgs: number,
  sizes: readonly number[],
) {
  const clock = new VirtualClock();
  const held: number[] = [];
  const port = {
    publish(subject: string, data: Uint8Array): Promise<PublishOutcome> {
      if (subject.startsWith('netrxloss.')) {
        return Promise.resolve({ kind: 'stored', duplicate: false });
      }
      if (held.length >= maxMsgs) {
        return Promise.resolve({
          kind: 'refused',
          reason: 'maximum messages per subject exceeded',
        });
      }
      held.push(data.length);
      return Promise.resolve({ kind: 'stored', duplicate: false });
    },
  };
  const publisher = new CapturePublisher({
    port,
    registry: new TraceRegistry({ clock }),
    clock,
    host: 'lab-1',
    session: 'lab',
    providers: [],
    instance: 'run1',
    maxBuffered: 100_000,
    maxBufferedBytes: 2 ** 30,
    maxBatchBytes: cut.bytes,
    maxBatchEvents: cut.events,
  });
  for (const size of sizes) publisher.offerRecord('netrx-synthetic', record(size));
  for (let i = 0; i < 200 && !publisher.settled; i++) await settle();
  const stats = publisher.stats();
  return {
    heldBytes: held.reduce((a, b) => a + b, 0),
    messages: held.length,
    accounted: stats.stored + stats.refused + stats.dropped,
  };
}

describe('review16e: what a stream sized over the cut holds', () => {
  it('holds: same cut on both sides, events within the cut: at most max(budget, 16 x cut) (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: MIN_BATCH_BYTES, max: MAX_BATCH_BYTES }),
        fc.integer({ min: 1, max: 512 }),
        fc.integer({ min: 1024, max: 4 * 1024 * 1024 }),
        fc.integer({ min: 0, max: 400 }),
        fc.integer({ min: 50, max: 3000 }),
        async (cutBytes, cutEvents, budget, payload, count) => {
          // An event whose record fits the cut (the documented case).
          const size = Math.min(payload, cutBytes - eventRecordLength(0) - 64);
          const maxMsgs = streamMessageLimit(budget, cutBytes);
          const got = await fill(
            { bytes: cutBytes, events: cutEvents },
            maxMsgs,
            Array.from({ length: count }, () => size),
          );
          expect(got.accounted).toBe(count);
          expect(got.messages).toBeLessThanOrEqual(maxMsgs);
          expect(got.heldBytes).toBeLessThanOrEqual(
            Math.max(budget, MIN_STREAM_MESSAGES * cutBytes),
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  // R16E-L1, fixed: the config and CLI take no cut below 8 KiB (MIN_CONFIGURED_BATCH_BYTES).
  // At 1 KiB (the library option's floor) a stream of 1,514-byte packets held 103,552 bytes,
  // 64 messages of 1,618, of a 65,536 budget; at the smallest configurable cut five packets
  // share each batch and the stream stays within its budget.
  it('R16E-L1: at the smallest configurable cut, full-size packets keep a stream within its budget', async () => {
    expect(() => validateHostConfig({ capture: { nats: { batchBytes: 1024 } } })).toThrow(
      'capture.nats.batchBytes: expected an integer from 8192 to 65536, got 1024',
    );
    const budget = 1024 * 1024;
    const maxMsgs = streamMessageLimit(budget, MIN_CONFIGURED_BATCH_BYTES);
    expect(maxMsgs).toBe(128);
    const got = await fill(
      { bytes: MIN_CONFIGURED_BATCH_BYTES, events: 64 },
      maxMsgs,
      Array.from({ length: 1000 }, () => 1514),
    );
    expect(got.messages).toBe(128);
    expect(got.heldBytes).toBeLessThanOrEqual(budget);
  });
});
