/**
 * review16e: docs/cluster.md, "What a stream holds", checked against the
 * publisher itself: a busy host (every event offered in one turn, so the
 * batches fill) at each documented cut, the events per message and the
 * message sizes that the table's rows are made of. Holds unless a figure
 * in the table is wrong (each expectation names the row).
 */
import { describe, expect, it } from 'vitest';
import { CapturePublisher } from '../../src/node/cluster/publisher.js';
import type { PublishOutcome } from '../../src/node/cluster/ports.js';
import { streamCapacity, streamMessageLimit } from '../../src/node/cluster/stream-budget.js';
import { settle } from '../../src/node/cluster/test-kit.js';
import { VirtualClock } from '../../src/testing/index.js';
import { TraceRegistry } from '../../src/trace/index.js';
import { eventRecordLength, parseEventBuffer, writeEventRecord } from '../../src/wire/index.js';

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

/** Messages (bytes, events) a busy publisher at `cut` sends for `count` events of `payload` bytes. */
async function busy(cut: { bytes: number; events: number }, payload: number, count: number) {
  const clock = new VirtualClock();
  const messages: { bytes: number; events: number }[] = [];
  const port = {
    publish(subject: string, data: Uint8Array): Promise<PublishOutcome> {
      if (!subject.startsWith('netrxloss.')) {
        const parsed = parseEventBuffer(data);
        if (!parsed.ok) throw new Error(parsed.failure.code);
        messages.push({ bytes: data.length, events: parsed.value.length });
      }
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
    maxInFlight: 1,
    maxBatchBytes: cut.bytes,
    maxBatchEvents: cut.events,
  });
  for (let i = 0; i < count; i++) publisher.offerRecord('netrx-synthetic', record(payload));
  for (let i = 0; i < 2000 && !publisher.settled; i++) await settle();
  // The first message goes out alone (the window was empty); the rest are full batches.
  return messages.slice(1, -1);
}

describe('review16e: the figures of "What a stream holds" (docs/cluster.md)', () => {
  it('128-byte payloads: 35 per 8 KiB batch and 141 per 32 KiB; ~4,480 and ~4,510 events in 1 MiB', async () => {
    const at8 = await busy({ bytes: 8192, events: 64 }, 128, 2000);
    const at32 = await busy({ bytes: 32_768, events: 256 }, 128, 4000);
    const per8 = Math.max(...at8.map((m) => m.events));
    const per32 = Math.max(...at32.map((m) => m.events));
    expect({ per8, per32 }).toEqual({ per8: 35, per32: 141 });
    expect(streamMessageLimit(1 << 20) * per8).toBe(4480);
    expect(streamMessageLimit(1 << 20, 32_768) * per32).toBe(4512);
  });

  it('empty payloads: the event cut first at both cuts; 8,192 events, ~830 KiB', async () => {
    const at8 = await busy({ bytes: 8192, events: 64 }, 0, 1000);
    const at32 = await busy({ bytes: 32_768, events: 256 }, 0, 2000);
    expect(Math.max(...at8.map((m) => m.events))).toBe(64);
    expect(Math.max(...at32.map((m) => m.events))).toBe(256);
    const bytes8 = 128 * Math.max(...at8.map((m) => m.bytes));
    const bytes32 = 32 * Math.max(...at32.map((m) => m.bytes));
    expect(streamCapacity(128).mostEvents).toBe(8192);
    expect(streamCapacity(32, { bytes: 32_768, events: 256 }).mostEvents).toBe(8192);
    // "~830 KiB" at either cut.
    expect(Math.abs(bytes8 / 1024 - 830)).toBeLessThan(15);
    expect(Math.abs(bytes32 / 1024 - 830)).toBeLessThan(15);
  });

  it('a quiet host: 128 x one 128-byte event is ~30 KiB, 32 x one is ~7 KiB', async () => {
    const alone = await busy({ bytes: 8192, events: 1 }, 128, 3);
    const one = alone[0]?.bytes ?? 0;
    expect(Math.abs((128 * one) / 1024 - 30)).toBeLessThan(2);
    expect(Math.abs((32 * one) / 1024 - 7)).toBeLessThan(1);
  });
});
