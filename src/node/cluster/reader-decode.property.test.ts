/**
 * The reader checks each EventRecord in place and passes its bytes on
 * (isEventRecordAt, no decode): for random messages of good records and
 * broken items, drawn session settings and hosts, what the client receives
 * is every good record unchanged (decoded, except the fields the session
 * writes: Size, ActivityId = host of origin, SessionId), in order, and
 * NET_EVENT_LOST counts each broken item once.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../testing/index.js';
import {
  NET_EVENT_DATA_HEADER_LENGTH,
  NetEventDataType,
  eventRecordLength,
  parseEventBuffer,
  parseEventRecord,
  writeDataHeader,
  writeEventRecord,
  type EventRecordHeader,
} from '../../wire/index.js';
import { FakeJetStream } from './fake-jetstream.js';
import { eventSubject, hostActivityId } from './subjects.js';
import { makeReader, settle } from './test-kit.js';

type Item =
  | { kind: 'good'; id: number; level: number; keyword: bigint; time: bigint; user: Uint8Array }
  | { kind: 'wrong-type'; bytes: number }
  | { kind: 'short'; bytes: number }
  | { kind: 'bad-user-data' };

const item: fc.Arbitrary<Item> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('good' as const),
      id: fc.nat(0xffff),
      level: fc.nat(255),
      keyword: fc.bigInt(0n, (1n << 64n) - 1n),
      time: fc.bigInt(-(1n << 63n), (1n << 63n) - 1n),
      user: fc.uint8Array({ maxLength: 300 }),
    }),
  },
  fc.record({ kind: fc.constant('wrong-type' as const), bytes: fc.nat(200) }),
  fc.record({ kind: fc.constant('short' as const), bytes: fc.nat(91) }),
  fc.record({ kind: fc.constant('bad-user-data' as const) }),
);

const PROVIDER = '0b8c6f29-7d12-4e5a-9f3b-2c1d0e4a5b61';

/** One message's bytes: the items, then (maybe) a header whose size runs past the end. */
function message(items: readonly Item[], brokenTail: boolean): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const it of items) {
    const payload = it.kind === 'good' ? goodRecord(it) : undefined;
    const body =
      payload ??
      (it.kind === 'bad-user-data'
        ? badUserData()
        : new Uint8Array(it.kind === 'wrong-type' || it.kind === 'short' ? it.bytes : 0));
    const out = new Uint8Array(NET_EVENT_DATA_HEADER_LENGTH + body.length);
    const type =
      it.kind === 'wrong-type' ? NetEventDataType.Lost + 5 : NetEventDataType.EventRecord;
    writeDataHeader(new DataView(out.buffer), 0, out.length, type);
    out.set(body, NET_EVENT_DATA_HEADER_LENGTH);
    parts.push(out);
  }
  if (brokenTail) {
    const tail = new Uint8Array(NET_EVENT_DATA_HEADER_LENGTH);
    writeDataHeader(new DataView(tail.buffer), 0, 10_000, NetEventDataType.EventRecord);
    parts.push(tail);
  }
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return all;
}

function goodRecord(it: Extract<Item, { kind: 'good' }>): Uint8Array {
  const payload = new Uint8Array(eventRecordLength(it.user.length));
  const init = {
    providerId: PROVIDER,
    id: it.id,
    level: it.level,
    keyword: it.keyword,
    timeStamp: it.time,
  };
  writeEventRecord(payload, new DataView(payload.buffer), 0, init, it.user);
  return payload;
}

/** A record whose user data runs past its item. */
function badUserData(): Uint8Array {
  const bytes = new Uint8Array(eventRecordLength(4));
  writeEventRecord(
    bytes,
    new DataView(bytes.buffer),
    0,
    { providerId: PROVIDER },
    new Uint8Array(4),
  );
  new DataView(bytes.buffer).setUint16(86, 200, true);
  return bytes;
}

const masked = (h: EventRecordHeader) => ({ ...h, size: 0, activityId: '', sessionId: 0 });

describe('the reader passes records on as they are', () => {
  it('delivers every good record unchanged, in order, and counts each broken item lost (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            host: fc.constantFrom('lab-1', 'lab-2', 'lab-3'),
            items: fc.array(item, { maxLength: 12 }),
            brokenTail: fc.boolean(),
          }),
          { minLength: 1, maxLength: 8 },
        ),
        fc.record({
          bufferBytes: fc.constantFrom(4096, 16_384, 65_536),
          eventsPerBuffer: fc.nat(20),
          timerMs: fc.integer({ min: 100, max: 1000 }),
        }),
        async (messages, limits) => {
          const clock = new VirtualClock(0);
          const stream = new FakeJetStream({ maxMsgs: 1000 });
          const expected: { host: string; header: EventRecordHeader; user: Uint8Array }[] = [];
          let broken = 0;
          for (const [n, m] of messages.entries()) {
            const data = message(m.items, m.brokenTail);
            await stream.publish(
              eventSubject('lab', m.host, 'netrx-synthetic'),
              data,
              `${m.host}.run.${n}`,
            );
            for (const it of m.items) {
              if (it.kind !== 'good') {
                broken++;
                continue;
              }
              // The oracle: the full decoder over the record as written.
              const record = parseEventRecord(goodRecord(it));
              if (!record.ok) throw new Error('the test wrote a bad record');
              expected.push({ host: m.host, header: record.value.header, user: it.user });
            }
            if (m.brokenTail) broken++;
            if (m.items.length === 0 && !m.brokenTail) broken++; // an empty message is malformed
          }
          const reader = makeReader(clock, stream, 'lab-*', { ...limits, maxBuffers: 255 });
          const handle = reader.table.openSession('lab');
          await settle();
          const got: { activityId: string; header: EventRecordHeader; user: Uint8Array }[] = [];
          let lost = 0;
          for (let round = 0; round < 200; round++) {
            stream.deliver();
            const stats = reader.session.stats();
            if (stats.queuedEvents === 0 && stats.unreportedLost === 0) break;
            const op = reader.table.receiveData(handle);
            if (op.result === undefined) clock.advance(limits.timerMs);
            await settle();
            const done = op.result;
            if (done?.status !== 'data') throw new Error('receive did not complete');
            const parsed = parseEventBuffer(done.data);
            if (!parsed.ok) throw new Error('bad EVENT_BUFFER');
            for (const x of parsed.value) {
              if (x.kind === 'lost') lost += x.lostEventCount;
              else if (x.kind === 'event')
                got.push({
                  activityId: x.record.header.activityId,
                  header: x.record.header,
                  user: x.record.userData,
                });
            }
          }
          expect(lost).toBe(broken);
          expect(got.map((g) => [masked(g.header), [...g.user]])).toEqual(
            expected.map((e) => [masked(e.header), [...e.user]]),
          );
          const activity = (host: string) => {
            const r = parseEventRecord(withActivity(hostActivityId(host)));
            return r.ok ? r.value.header.activityId : '';
          };
          expect(got.map((g) => g.activityId)).toEqual(expected.map((e) => activity(e.host)));
        },
      ),
      { numRuns: 60 },
    );
  });
});

/** An empty record carrying `activityId`, to read it as the decoder formats it. */
function withActivity(activityId: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(eventRecordLength(0));
  writeEventRecord(
    bytes,
    new DataView(bytes.buffer),
    0,
    { providerId: PROVIDER, activityId },
    new Uint8Array(0),
  );
  return bytes;
}
