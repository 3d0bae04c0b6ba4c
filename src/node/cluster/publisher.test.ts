import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../testing/index.js';
import { SYNTHETIC_PROVIDER_GUID } from '../../capture/index.js';
import { defineEvent, TraceRegistry } from '../../trace/index.js';
import {
  eventRecordLength,
  filetimeFromUnixMs,
  guidToBytes,
  parseEventBuffer,
  writeEventRecord,
} from '../../wire/index.js';
import { FakeJetStream } from './fake-jetstream.js';
import type { PublishOutcome } from './ports.js';
import { CapturePublisher } from './publisher.js';
import { hostActivityId } from './subjects.js';
import { makeHost, settle } from './test-kit.js';

const KINDS = [
  defineEvent({ id: 7, name: 'A', level: 4, keywords: 0x5n }),
  defineEvent({ id: 9, name: 'B', level: 2, opcode: 1, task: 3, version: 2, keywords: 1n << 63n }),
];

function kindOf(kind: number) {
  const d = KINDS[kind];
  if (d === undefined) throw new Error(`no kind ${kind}`);
  return d;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The EventRecord the wire module's own encoder writes for this event (the reference bytes). */
function reference(kind: number, payload: Uint8Array, timestamp: number): Uint8Array {
  const d = kindOf(kind);
  const bytes = new Uint8Array(eventRecordLength(payload.length));
  writeEventRecord(
    bytes,
    new DataView(bytes.buffer),
    0,
    {
      providerId: guidToBytes(SYNTHETIC_PROVIDER_GUID),
      id: d.id,
      version: d.version,
      level: d.level,
      opcode: d.opcode,
      task: d.task,
      keyword: d.keywords,
      timeStamp: filetimeFromUnixMs(timestamp),
      activityId: hostActivityId('lab-1'),
    },
    payload,
  );
  return bytes;
}

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

describe('the encoded batches (property)', () => {
  it('decode to exactly the events offered, byte for byte, whatever the answers, sizes and settings', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            kind: fc.nat(1),
            size: fc.oneof(fc.nat(200), fc.integer({ min: 1000, max: 20_000 })),
            advanceMs: fc.constantFrom(0, 0, 0.37, 1),
          }),
          { minLength: 1, maxLength: 80 },
        ),
        fc.array(fc.constantFrom('stored', 'stored', 'stored', 'unsent', 'refused'), {
          minLength: 1,
          maxLength: 20,
        }),
        fc.record({
          maxBatchBytes: fc.integer({ min: 1024, max: 65_536 }),
          // Past POOLED_BATCH_BUFFERS too: the pool keeps a buffer per publish in flight (perf16c).
          maxInFlight: fc.integer({ min: 1, max: 80 }),
          turn: fc.integer({ min: 1, max: 40 }),
        }),
        async (events, answers, settings) => {
          const clock = new VirtualClock(1_765_000_000_000);
          const first = new Map<string, Uint8Array>();
          const stored: Uint8Array[] = [];
          const changedRetries: string[] = [];
          let answer = 0;
          const port = {
            publish(subject: string, data: Uint8Array, msgId: string): Promise<PublishOutcome> {
              const copy = data.slice();
              if (subject.startsWith('netrxloss.')) {
                return Promise.resolve({ kind: 'stored', duplicate: false });
              }
              const seen = first.get(msgId);
              // A retry sends the very bytes of the first attempt (its buffer was not reused).
              if (seen !== undefined && !equalBytes(seen, copy)) changedRetries.push(msgId);
              if (seen === undefined) first.set(msgId, copy);
              const kind = answers[answer++] ?? 'stored'; // then the server answers stored
              if (kind === 'stored') stored.push(copy);
              return Promise.resolve(
                kind === 'stored'
                  ? { kind, duplicate: false }
                  : { kind, reason: kind === 'unsent' ? 'timeout' : 'full' },
              );
            },
          };
          const registry = new TraceRegistry({ clock });
          const provider = registry.register({
            guid: SYNTHETIC_PROVIDER_GUID,
            name: 'netrx-synthetic',
          });
          const publisher = new CapturePublisher({
            port,
            registry,
            clock,
            host: 'lab-1',
            session: 'lab',
            providers: [{ provider: 'netrx-synthetic' }],
            instance: 'run1',
            maxBatchBytes: settings.maxBatchBytes,
            maxInFlight: settings.maxInFlight,
            retryMs: 10,
          });
          const expected = new Map<number, Uint8Array>();
          for (const [i, e] of events.entries()) {
            const payload = new Uint8Array(Math.max(4, e.size)).fill(i & 0xff);
            new DataView(payload.buffer).setUint32(0, i, true);
            expected.set(i, reference(e.kind, payload, clock.now()));
            provider.write(kindOf(e.kind), payload);
            clock.advance(e.advanceMs);
            if (i % settings.turn === 0) await settle();
          }
          for (let i = 0; i < 200 && !publisher.settled; i++) {
            await settle();
            clock.advance(10);
          }
          expect(publisher.settled).toBe(true);
          expect(changedRetries).toEqual([]);
          const got = new Map<number, Uint8Array>();
          for (const message of stored) {
            const parsed = parseEventBuffer(message);
            if (!parsed.ok) throw new Error(parsed.failure.code);
            for (const item of parsed.value) {
              if (item.kind !== 'event') throw new Error('not an event');
              const u = item.record.userData;
              const seq = new DataView(u.buffer, u.byteOffset).getUint32(0, true);
              expect(got.has(seq)).toBe(false);
              got.set(
                seq,
                message.subarray(
                  u.byteOffset - message.byteOffset - 96,
                  u.byteOffset - message.byteOffset + u.length,
                ),
              );
            }
          }
          for (const [seq, bytes] of got) expect(bytes).toEqual(expected.get(seq));
          const stats = publisher.stats();
          expect(stats.stored).toBe(got.size);
          expect(stats.stored + stats.refused + stats.dropped).toBe(events.length);
          expect(stats.pendingBytes).toBe(0);
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe('batch buffers (perf16c)', () => {
  it('are reused for as many batches as were in flight, not only POOLED_BATCH_BUFFERS of them', async () => {
    const clock = new VirtualClock();
    const buffers: ArrayBufferLike[] = [];
    const answers: (() => void)[] = [];
    const port = {
      publish(subject: string, data: Uint8Array): Promise<PublishOutcome> {
        if (subject.startsWith('netrxloss.')) {
          return Promise.resolve({ kind: 'stored', duplicate: false });
        }
        buffers.push(data.buffer);
        return new Promise((resolve) =>
          answers.push(() => resolve({ kind: 'stored', duplicate: false })),
        );
      },
    };
    const inFlight = 40;
    const publisher = new CapturePublisher({
      port,
      registry: new TraceRegistry({ clock }),
      clock,
      host: 'lab-1',
      session: 'lab',
      providers: [],
      instance: 'run1',
      maxInFlight: inFlight,
      maxBatchBytes: 1024,
      maxBatchEvents: 1,
    });
    // One event per batch, over a quarter of the batch: sent in its pooled buffer, not copied out.
    const event = record(300);
    const wave = async () => {
      for (let i = 0; i < inFlight; i++) publisher.offerRecord('netrx-synthetic', event);
      await settle();
      for (const answer of answers.splice(0)) answer();
      await settle();
    };
    await wave();
    const first = new Set(buffers.splice(0));
    await wave();
    expect(first.size).toBe(inFlight);
    expect(buffers.filter((buffer) => first.has(buffer)).length).toBe(inFlight);
    expect(publisher.stats().stored).toBe(2 * inFlight);
  });
});
