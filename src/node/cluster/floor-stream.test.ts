/**
 * The floor stream (review16e L3): one floor per host, in a stream of its
 * own that only readers create and publish to; a takeover also reads the
 * legacy floor an older netrx stored in the loss stream.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../testing/index.js';
import { FakeJetStream } from './fake-jetstream.js';
import {
  LossFloors,
  encodeLossFloor,
  legacyLossFloorSubject,
  lossFloorSubject,
  mergeLossFloors,
  type DatedLossFloor,
} from './loss-floors.js';
import {
  reconcileCaptureStreams,
  resolveStreamLimits,
  wantedFloorStream,
} from './stream-config.js';
import { ensureFloorStream } from './floor-stream.js';
import { floorStreamName, lossStreamName } from './subjects.js';
import { makeHost, makeReader, readBuffer, settle } from './test-kit.js';

const AT = 1_700_000_000_000;

type Reader = ReturnType<typeof makeReader>;

/** Opens the reader's session, delivers and reads for 5 s of its clock; what its client got. */
async function drain(clock: VirtualClock, stream: FakeJetStream, reader: Reader) {
  const handle = reader.table.openSession('lab');
  const got = { delivered: 0, lost: 0 };
  let pending: ReturnType<Reader['table']['receiveData']> | undefined;
  const collect = () => {
    const done = pending?.result;
    if (done === undefined) return;
    pending = undefined;
    if (done.status !== 'data') throw new Error(`receive failed: ${done.status}`);
    const buffer = readBuffer(done.data);
    got.delivered += buffer.events.length;
    got.lost += buffer.lost;
  };
  for (let round = 0; round < 20; round++) {
    await settle();
    stream.deliver();
    await settle();
    collect();
    pending ??= reader.table.receiveData(handle);
    clock.advance(250);
    await settle();
    collect();
  }
  reader.table.closeSession(handle);
  collect();
  return got;
}

/** lab-1 stores 1 event and has 1 refused (run1 reports lost 1). */
async function oneLost(clock: VirtualClock, stream: FakeJetStream) {
  const h = makeHost(clock, stream, 'lab-1', { maxBatchEvents: 1, maxInFlight: 1 });
  await h.emitAlone(0);
  await h.emitAlone(1);
  await settle();
  expect(h.publisher.stats()).toMatchObject({ stored: 1, refused: 1 });
}

const dated = (runs: [string, number][], at: [string, number][] = []): DatedLossFloor => ({
  runs: new Map(runs),
  reportedAt: new Map(at),
});

describe('the floor stream (review16e L3)', () => {
  it('keeps one floor per host, and the loss stream none, after 1,100 floors', async () => {
    const stream = new FakeJetStream({ maxMsgs: 8 });
    const floors = new LossFloors(stream, 'lab', 'd', 8);
    for (let i = 1; i <= 1100; i++) {
      floors.publish('lab-1', new Map([['run1', { lost: i, reportedAt: AT }]]));
    }
    floors.publish('lab-2', new Map([['run9', { lost: 3, reportedAt: AT }]]));
    await settle();
    expect(stream.floorsStored).toBe(1101);
    expect(stream.floorLength).toBe(2);
    expect(stream.lossLength).toBe(0);
    expect(await floors.read('lab-1')).toEqual(dated([['run1', 1100]], [['run1', AT]]));
    expect(await floors.read('lab-2')).toEqual(dated([['run9', 3]], [['run9', AT]]));
    expect(floors.stats()).toEqual({ published: 1101, unsent: 0, unread: 0 });
  });

  it("a new reader takes an old reader's floor from the loss stream: none of its loss counted again", async () => {
    const clock = new VirtualClock(AT);
    const stream = new FakeJetStream({ maxMsgs: 1 });
    await oneLost(clock, stream);
    // An older netrx's reader gave its client that loss and stored the floor where it did.
    const old = encodeLossFloor(new Map([['run1', 1]]), new Map([['run1', AT]]));
    await stream.publish(legacyLossFloorSubject('lab', 'lab-1'), old, 'old-reader-floor-1');
    const reader = makeReader(clock, stream, 'lab-*', {}, 'b');
    expect(await drain(clock, stream, reader)).toEqual({ delivered: 1, lost: 0 });
    expect(reader.source.handOverStats().lossFloors.unread).toBe(0);
  });

  it('without that legacy floor the same reader counts the loss (the test above can fail)', async () => {
    const clock = new VirtualClock(AT);
    const stream = new FakeJetStream({ maxMsgs: 1 });
    await oneLost(clock, stream);
    const reader = makeReader(clock, stream, 'lab-*', {}, 'b');
    expect(await drain(clock, stream, reader)).toEqual({ delivered: 1, lost: 1 });
    // Its own floor went to the floor stream only.
    expect(stream.floorLength).toBe(1);
    const legacy = await stream.lastMessage(
      lossStreamName('lab'),
      legacyLossFloorSubject('lab', 'lab-1'),
    );
    expect(legacy).toBeUndefined();
  });

  it('reads both floors per run at the higher count; one that cannot be read is none', async () => {
    const stream = new FakeJetStream({ maxMsgs: 8 });
    const current = encodeLossFloor(
      new Map([
        ['run1', 5],
        ['run2', 1],
      ]),
      new Map([['run1', AT]]),
    );
    const legacy = encodeLossFloor(
      new Map([
        ['run1', 3],
        ['run2', 4],
        ['run3', 2],
      ]),
      // The older date of run1 gives way to the later; run2 undated by one floor is undated.
      new Map([
        ['run1', AT - 5],
        ['run2', AT - 5],
      ]),
    );
    await stream.publish(lossFloorSubject('lab', 'lab-1'), current, 'f1');
    await stream.publish(legacyLossFloorSubject('lab', 'lab-1'), legacy, 'f2');
    const floors = new LossFloors(stream, 'lab', 'd', 8);
    expect(await floors.read('lab-1')).toEqual(
      dated(
        [
          ['run1', 5],
          ['run2', 4],
          ['run3', 2],
        ],
        [['run1', AT]],
      ),
    );
    // The floor stream cannot answer: the legacy floor alone, and the failure counted.
    const failing = {
      ...stream,
      consume: stream.consume.bind(stream),
      streamHosts: stream.streamHosts.bind(stream),
      lastMessage: (name: string, subject: string) =>
        name === floorStreamName('lab')
          ? Promise.reject(new Error('stream not found'))
          : stream.lastMessage(name, subject),
    };
    const partial = new LossFloors(failing, 'lab', 'd', 8);
    expect((await partial.read('lab-1')).runs).toEqual(
      new Map([
        ['run1', 3],
        ['run2', 4],
        ['run3', 2],
      ]),
    );
    expect(partial.stats().unread).toBe(1);
  });

  it('merges two floors: each run at its higher count, dated at the later date or undated (fast-check)', () => {
    const run = fc.constantFrom('r1', 'r2', 'r3', 'r4');
    const floor = fc
      .tuple(
        fc.dictionary(run, fc.nat({ max: 100 })),
        fc.dictionary(run, fc.integer({ min: AT, max: AT + 1000 })),
      )
      .map(([runs, at]): DatedLossFloor => ({
        runs: new Map(Object.entries(runs)),
        // A floor dates only runs it has.
        reportedAt: new Map(Object.entries(at).filter(([instance]) => instance in runs)),
      }));
    fc.assert(
      fc.property(floor, floor, (a, b) => {
        const merged = mergeLossFloors(a, b);
        expect(mergeLossFloors(b, a)).toEqual(merged);
        expect(new Set(merged.runs.keys())).toEqual(new Set([...a.runs.keys(), ...b.runs.keys()]));
        for (const [instance, lost] of merged.runs) {
          expect(lost).toBe(Math.max(a.runs.get(instance) ?? 0, b.runs.get(instance) ?? 0));
          const holders = [a, b].filter((f) => f.runs.has(instance));
          const dates = holders.map((f) => f.reportedAt.get(instance));
          const want = dates.some((d) => d === undefined)
            ? undefined
            : Math.max(...(dates as number[]));
          expect(merged.reportedAt.get(instance)).toBe(want);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('the floor stream as readers make it', () => {
  const limits = resolveStreamLimits({ replicas: 3 });

  it('one message per subject, discard old, 7 days, limits, file, no stream-wide limit', () => {
    expect(wantedFloorStream('lab', limits)).toEqual({
      subjects: ['netrxfloor.lab.*'],
      retention: 'limits',
      storage: 'file',
      discard: 'old',
      max_msgs_per_subject: 1,
      discard_new_per_subject: false,
      max_msgs: -1,
      max_bytes: -1,
      max_msg_size: -1,
      max_age: 7 * 24 * 3600 * 1_000_000_000,
      duplicate_window: 120_000 * 1_000_000,
      num_replicas: 3,
    });
    expect(floorStreamName('lab')).toBe('netrxfloor-lab');
  });

  it('a reader creates it and brings it to these settings; a publisher never makes it', async () => {
    const stream = new FakeJetStream({ maxMsgs: 8 });
    await reconcileCaptureStreams(stream.admin, 'lab', limits);
    expect(stream.streamConfig(floorStreamName('lab'))).toBeUndefined();
    const created = await reconcileCaptureStreams(stream.admin, 'lab', limits, {
      createOnly: true,
      floorStream: true,
    });
    expect(created.map((r) => [r.stream, r.created])).toEqual([
      ['netrx-lab', false],
      ['netrx-loss-lab', false],
      ['netrxfloor-lab', true],
    ]);
    // Another setting on an existing floor stream is changed even by a createOnly reader.
    const drifted = { ...wantedFloorStream('lab', limits), max_msgs_per_subject: 1024 };
    await stream.admin.update(floorStreamName('lab'), drifted);
    const again = await reconcileCaptureStreams(stream.admin, 'lab', limits, {
      createOnly: true,
      floorStream: true,
    });
    expect(again[2]?.changes.map((c) => [c.setting, c.outcome])).toEqual([
      ['max_msgs_per_subject', 'updated'],
    ]);
    expect(stream.streamConfig(floorStreamName('lab'))).toEqual(wantedFloorStream('lab', limits));
  });

  it("a loss durable's bind makes a missing one, with the loss stream's replicas, and changes none", async () => {
    const stream = new FakeJetStream({ maxMsgs: 8 });
    const session = resolveStreamLimits({ replicas: 3, duplicateWindowMs: 30_000 });
    await reconcileCaptureStreams(stream.admin, 'lab', session);
    expect(await ensureFloorStream(stream.admin, lossStreamName('lab'))).toBe(true);
    expect(stream.streamConfig(floorStreamName('lab'))).toEqual(wantedFloorStream('lab', session));
    const drifted = { ...wantedFloorStream('lab', session), num_replicas: 5 };
    await stream.admin.update(floorStreamName('lab'), drifted);
    expect(await ensureFloorStream(stream.admin, lossStreamName('lab'))).toBe(false);
    expect(stream.streamConfig(floorStreamName('lab'))).toEqual(drifted);
  });
});
