import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../testing/index.js';
import { FakeJetStream } from './fake-jetstream.js';
import {
  encodeLossFloor,
  legacyLossFloorSubject,
  lossFloorSubject,
  parseLossFloor,
} from './loss-floors.js';
import { makeHost, makeReader, readBuffer, settle } from './test-kit.js';

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

/** 2 events of `host` into a stream with room for 1: one stored, one refused (its loss report). */
async function fill(clock: VirtualClock, stream: FakeJetStream, host: string) {
  const h = makeHost(clock, stream, host, { maxBatchEvents: 1, maxInFlight: 1 });
  await h.emitAlone(0);
  await h.emitAlone(1);
  await settle();
  expect(h.publisher.stats()).toMatchObject({ stored: 1, refused: 1 });
}

describe('loss across a reused durable and a hand-over (review16c N4, N2, N5)', () => {
  it("a durable reused with a wider pattern counts the new hosts' loss, made again (N4)", async () => {
    const clock = new VirtualClock(1_700_000_000_000);
    const stream = new FakeJetStream({ maxMsgs: 1 });
    const before = makeReader(clock, stream, 'lab-1', {}, 'm');
    await drain(clock, stream, before);
    await fill(clock, stream, 'lab-2');
    const wider = makeReader(clock, stream, 'lab-*', {}, 'm');
    expect(await drain(clock, stream, wider)).toEqual({ delivered: 1, lost: 1 });
    expect(wider.source.handOverStats().consumersReplaced).toBe(1);
    expect(stream.counters.consumersReplaced).toBe(1);
  });

  it('a cold replacement counts none of the loss the first server gave its client (N5)', async () => {
    const clock = new VirtualClock(1_700_000_000_000);
    const stream = new FakeJetStream({ maxMsgs: 1 });
    await fill(clock, stream, 'lab-1');
    const first = makeReader(clock, stream, 'lab-*', {}, 'a');
    expect(await drain(clock, stream, first)).toEqual({ delivered: 1, lost: 1 });
    expect(first.source.handOverStats().lossFloors.published).toBeGreaterThan(0);
    stream.expireIdleConsumers();
    const second = makeReader(clock, stream, 'lab-*', {}, 'b');
    expect(await drain(clock, stream, second)).toEqual({ delivered: 0, lost: 0 });
  });

  it('the next holder counts loss the holder counted but its client never read (N2)', async () => {
    const clock = new VirtualClock(1_700_000_000_000);
    const stream = new FakeJetStream({ maxMsgs: 1 });
    const holder = makeReader(clock, stream, 'lab-*', {}, 'a');
    const handle = holder.table.openSession('lab'); // its client never posts a receive
    await fill(clock, stream, 'lab-1');
    for (let i = 0; i < 3; i++) {
      stream.deliver();
      await settle();
    }
    expect(holder.session.stats().unreportedLost).toBe(1);
    // The process stops before its client read anything: no floor covers that loss.
    holder.table.closeSession(handle);
    expect(holder.source.handOverStats().lossFloors.published).toBe(0);
    stream.expireIdleConsumers();
    const next = makeReader(clock, stream, 'lab-*', {}, 'b');
    expect(await drain(clock, stream, next)).toEqual({ delivered: 1, lost: 1 });
  });

  it('floors round-trip; anything else is no floor (fast-check)', () => {
    const run = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
    fc.assert(
      fc.property(fc.dictionary(run, fc.nat()), (runs) => {
        const floor = new Map(Object.entries(runs));
        expect(parseLossFloor(encodeLossFloor(floor), 4096)).toEqual(floor);
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const floor = parseLossFloor(bytes, 4096);
        if (floor !== undefined)
          for (const lost of floor.values()) expect(lost).toBeGreaterThanOrEqual(0);
      }),
    );
    const bad = (value: unknown) =>
      parseLossFloor(new TextEncoder().encode(JSON.stringify(value)), 8);
    expect(bad({ runs: { run1: -1 } })).toBeUndefined();
    expect(bad({ runs: { 'a.b': 1 } })).toBeUndefined();
    expect(bad({ runs: [1] })).toBeUndefined();
    expect(bad(null)).toBeUndefined();
    // Stored in the floor stream (review16e L3); read also where an older netrx stored it.
    expect(lossFloorSubject('lab', 'lab-1')).toBe('netrxfloor.lab.lab-1');
    expect(legacyLossFloorSubject('lab', 'lab-1')).toBe('netrxloss.lab.lab-1.floor.acked');
  });
});
