import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../testing/index.js';
import { TraceRegistry } from '../../trace/index.js';
import { eventRecordLength, parseEventBuffer, writeEventRecord } from '../../wire/index.js';
import type { PublishOutcome } from './ports.js';
import { CapturePublisher } from './publisher.js';
import { publisherLimits } from './publisher-options.js';
import {
  MAX_BATCH_BYTES,
  MIN_BATCH_BYTES,
  MIN_STREAM_MESSAGES,
  STREAM_BATCH_BYTES,
  STREAM_BATCH_EVENTS,
  streamCapacity,
  streamMessageLimit,
} from './stream-budget.js';
import { settle } from './test-kit.js';

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

/** A publisher whose port stores everything and keeps what it stored. */
function publisherWith(settings: { maxBatchBytes?: number; maxBatchEvents?: number }) {
  const clock = new VirtualClock();
  const stored: Uint8Array[] = [];
  const port = {
    publish(subject: string, data: Uint8Array): Promise<PublishOutcome> {
      if (!subject.startsWith('netrxloss.')) stored.push(data.slice());
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
    ...settings,
  });
  return { publisher, stored };
}

function eventsIn(message: Uint8Array): number {
  const parsed = parseEventBuffer(message);
  if (!parsed.ok) throw new Error(parsed.failure.code);
  return parsed.value.length;
}

describe('batches cut at a fixed size (review F3)', () => {
  it('a busy host of 128-byte events sends batches of at most STREAM_BATCH_BYTES and STREAM_BATCH_EVENTS by default', async () => {
    const { publisher, stored } = publisherWith({});
    // One turn of 5,000 events: main closed 64 KiB batches of ~280 of them (65x the budget on disk).
    for (let i = 0; i < 5000; i++) publisher.offerRecord('netrx-synthetic', record(128));
    for (let i = 0; i < 50 && !publisher.settled; i++) await settle();
    expect(publisher.stats().stored).toBe(5000);
    const largest = Math.max(...stored.map((m) => m.length));
    const mostEvents = Math.max(...stored.map(eventsIn));
    expect(largest).toBeLessThanOrEqual(STREAM_BATCH_BYTES);
    expect(mostEvents).toBeLessThanOrEqual(STREAM_BATCH_EVENTS);
  });

  it('the stream for the default 1 MiB session holds about the budget: 128 messages, 128 to 8,192 events, 1 MiB', () => {
    const limit = streamMessageLimit(1024 * 1024);
    expect(limit).toBe(128);
    expect(streamCapacity(limit)).toEqual({
      fewestEvents: 128,
      mostEvents: 8192,
      mostBytes: 1024 * 1024,
    });
  });

  it('holds for any settings and sizes: no batch passes the event cut, nor the byte cut unless it is one event (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          maxBatchBytes: fc.integer({ min: 1024, max: 65_536 }),
          maxBatchEvents: fc.integer({ min: 1, max: 512 }),
        }),
        fc.array(fc.oneof(fc.nat(300), fc.integer({ min: 1000, max: 20_000 })), {
          minLength: 1,
          maxLength: 400,
        }),
        async (settings, sizes) => {
          const { publisher, stored } = publisherWith(settings);
          for (const size of sizes) publisher.offerRecord('netrx-synthetic', record(size));
          for (let i = 0; i < 50 && !publisher.settled; i++) await settle();
          expect(publisher.stats().stored).toBe(sizes.length);
          for (const message of stored) {
            const events = eventsIn(message);
            expect(events).toBeLessThanOrEqual(settings.maxBatchEvents);
            if (events > 1) expect(message.length).toBeLessThanOrEqual(settings.maxBatchBytes);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('the message limit keeps full batches within the budget, past the floor (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 40 }), (maxBytes) => {
        const limit = streamMessageLimit(maxBytes);
        expect(limit).toBeGreaterThanOrEqual(MIN_STREAM_MESSAGES);
        const bytes = streamCapacity(limit).mostBytes;
        expect(bytes).toBeLessThanOrEqual(
          Math.max(maxBytes, MIN_STREAM_MESSAGES * STREAM_BATCH_BYTES),
        );
        // And it does not waste more than one batch of the budget.
        if (limit > MIN_STREAM_MESSAGES) expect(maxBytes - bytes).toBeLessThan(STREAM_BATCH_BYTES);
      }),
    );
  });
});

describe('the stream limit follows the cut in force (issue #16)', () => {
  it('the default 1 MiB session at the 32 KiB / 256 cut: 32 messages, 32 to 8,192 events, 1 MiB', () => {
    const limit = streamMessageLimit(1024 * 1024, 32_768);
    expect(limit).toBe(32);
    expect(streamCapacity(limit, { bytes: 32_768, events: 256 })).toEqual({
      fewestEvents: 32,
      mostEvents: 8192,
      mostBytes: 1024 * 1024,
    });
    // Without a cut, the default one: unchanged for every existing caller.
    expect(streamMessageLimit(1024 * 1024)).toBe(streamMessageLimit(1024 * 1024, 8192));
  });

  it('full batches of any cut stay within the budget, past the floor, and waste less than one batch (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 40 }),
        fc.integer({ min: MIN_BATCH_BYTES, max: MAX_BATCH_BYTES }),
        fc.integer({ min: 1, max: 65_536 }),
        (maxBytes, batchBytes, batchEvents) => {
          const limit = streamMessageLimit(maxBytes, batchBytes);
          expect(limit).toBeGreaterThanOrEqual(MIN_STREAM_MESSAGES);
          const capacity = streamCapacity(limit, { bytes: batchBytes, events: batchEvents });
          expect(capacity.mostBytes).toBeLessThanOrEqual(
            Math.max(maxBytes, MIN_STREAM_MESSAGES * batchBytes),
          );
          if (limit > MIN_STREAM_MESSAGES) {
            expect(maxBytes - capacity.mostBytes).toBeLessThan(batchBytes);
          }
          expect(capacity.mostEvents).toBe(limit * batchEvents);
        },
      ),
    );
  });

  it('refuses a cut outside 1,024 to 65,536 bytes, as the publisher does, naming it', () => {
    for (const bad of [1023, 65_537, 8192.5, Number.NaN]) {
      expect(() => streamMessageLimit(1024 * 1024, bad)).toThrow(
        `maxBatchBytes must be an integer from 1024 to 65536: got ${bad}`,
      );
      expect(() => publisherLimitsWith({ maxBatchBytes: bad })).toThrow(
        `maxBatchBytes must be an integer from 1024 to 65536: got ${bad}`,
      );
    }
    for (const bad of [0, 65_537, 1.5]) {
      expect(() => publisherLimitsWith({ maxBatchEvents: bad })).toThrow(
        `maxBatchEvents must be an integer from 1 to 65536: got ${bad}`,
      );
    }
    expect(streamMessageLimit(1024 * 1024, MIN_BATCH_BYTES)).toBe(1024);
    expect(streamMessageLimit(1024 * 1024, MAX_BATCH_BYTES)).toBe(16);
  });
});

function publisherLimitsWith(cut: { maxBatchBytes?: number; maxBatchEvents?: number }) {
  const clock = new VirtualClock();
  return publisherLimits({
    port: { publish: () => Promise.resolve({ kind: 'stored', duplicate: false }) },
    registry: new TraceRegistry({ clock }),
    clock,
    host: 'lab-1',
    session: 'lab',
    providers: [],
    instance: 'run1',
    ...cut,
  });
}
