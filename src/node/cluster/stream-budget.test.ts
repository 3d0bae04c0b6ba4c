import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../testing/index.js';
import { TraceRegistry } from '../../trace/index.js';
import { eventRecordLength, parseEventBuffer, writeEventRecord } from '../../wire/index.js';
import type { PublishOutcome } from './ports.js';
import { CapturePublisher } from './publisher.js';
import {
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
