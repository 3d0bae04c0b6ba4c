import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../testing/index.js';
import { eventRecordLength, writeEventRecord } from '../../wire/index.js';
import { FakeJetStream } from './fake-jetstream.js';
import type { PublishOutcome } from './ports.js';
import { makeHost } from './test-kit.js';

/** An EventRecord of `userDataLength` bytes (what a large packet event encodes to). */
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

describe('the publisher buffer while NATS is away (review F5)', () => {
  it('is bounded in bytes as well as events: large events past the byte bound are dropped and counted', () => {
    const clock = new VirtualClock();
    const stream = new FakeJetStream({ maxMsgs: 1000 });
    const host = makeHost(clock, stream, 'lab-1');
    host.publisher.setStatus('disconnected');
    const large = record(60_000);
    // 100 events of ~60 KB: far below the 4096-event bound, ~6 MB held without a byte bound.
    for (let i = 0; i < 100; i++) host.publisher.offerRecord('netrx-synthetic', large);
    const stats = host.publisher.stats();
    expect(stats.offered).toBe(100);
    expect(stats.pending * (large.length + 8)).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect(stats.dropped).toBe(100 - stats.pending);
  });
});
