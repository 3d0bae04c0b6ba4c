/**
 * verify16d N2: a delivered buffer that carries part of the counted loss
 * stores the floors of that part, per host and run (reader.ts `lossReached`,
 * waiting-loss.ts), not only once no counted loss waits. The reader's hold
 * is driven directly (its `delivered(events, lostWaiting)` is what a session
 * tells it), over the fake JetStream; floors are read back from its loss
 * stream as the next holder would.
 */
import { describe, expect, it } from 'vitest';
import type { SessionSink } from '../../capture/index.js';
import { VirtualClock } from '../../testing/index.js';
import { FakeJetStream } from './fake-jetstream.js';
import { encodeLossFloor, lossFloorSubject, parseLossFloor } from './loss-floors.js';
import { StreamSessionSource } from './reader.js';
import { floorStreamName, lossSubject } from './subjects.js';
import { settle } from './test-kit.js';

function report(instance: string, lost: number, prev: number): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ instance, lost, prev }));
}

async function floorOf(stream: FakeJetStream, host: string) {
  const data = await stream.lastMessage(floorStreamName('lab'), lossFloorSubject('lab', host));
  return data === undefined ? undefined : Object.fromEntries(parseLossFloor(data, 16) ?? []);
}

/** A glob reader open on a sink that counts the loss written into it; lab-1's then lab-2's reports. */
async function counted(
  reports: readonly [host: string, lost: number, prev: number][],
  maxPublishers?: number,
  before?: (stream: FakeJetStream) => Promise<unknown>,
) {
  const clock = new VirtualClock(1_700_000_000_000);
  const stream = new FakeJetStream({ maxMsgs: 8, clock });
  await before?.(stream);
  const source = new StreamSessionSource({
    port: stream,
    session: 'lab',
    hosts: 'lab-*',
    durable: 'netrx-reader-lab-a',
    clock,
    ...(maxPublishers === undefined ? {} : { maxPublishers }),
  });
  const sink = { lost: 0 };
  const sessionSink: SessionSink = {
    record: () => true,
    lost: (count) => {
      sink.lost += count;
    },
    fits: () => true,
  };
  const hold = source.open(sessionSink);
  for (const [host, lost, prev] of reports) {
    await stream.publish(
      lossSubject('lab', host, 'run1'),
      report('run1', lost, prev),
      `${host}.${lost}`,
    );
    for (let i = 0; i < 3; i++) {
      stream.deliver();
      await settle();
    }
  }
  return { stream, source, hold, sink };
}

describe('loss floors of a buffer that carried part of the counted loss (verify16d N2)', () => {
  // Failed before the fix: no floor at all until a delivery left nothing waiting.
  it('stores, per host and run, what each delivery carried, never more', async () => {
    const { stream, source, hold, sink } = await counted([
      ['lab-1', 3, 0],
      ['lab-2', 2, 0],
    ]);
    expect(sink.lost).toBe(5);
    hold.delivered?.(0, 4); // the client got 1 (lab-1's oldest)
    await settle();
    expect(await floorOf(stream, 'lab-1')).toEqual({ run1: 1 });
    expect(await floorOf(stream, 'lab-2')).toBeUndefined();
    hold.delivered?.(0, 2); // and lab-1's other 2
    await settle();
    expect(await floorOf(stream, 'lab-1')).toEqual({ run1: 3 });
    expect(await floorOf(stream, 'lab-2')).toBeUndefined();
    hold.delivered?.(0, 1);
    await settle();
    expect(await floorOf(stream, 'lab-2')).toEqual({ run1: 1 });
    hold.delivered?.(0, 0);
    await settle();
    expect(await floorOf(stream, 'lab-2')).toEqual({ run1: 2 });
    expect(source.handOverStats().lossFloors).toMatchObject({ published: 4, unsent: 0 });
  });

  it('a delivery that carried none of the counted loss stores no floor', async () => {
    const { stream, source, hold } = await counted([['lab-1', 3, 0]]);
    hold.delivered?.(2, 3);
    await settle();
    expect(await floorOf(stream, 'lab-1')).toBeUndefined();
    expect(source.handOverStats().lossFloors.published).toBe(0);
  });

  // verify16d M6 (the closed hold floors every counted loss even with some waiting) fails this.
  it("the closed hold floors only what the closing session's final buffer carried", async () => {
    const { stream, hold } = await counted([['lab-1', 3, 0]]);
    hold.close();
    hold.delivered?.(0, 3);
    await settle();
    expect(await floorOf(stream, 'lab-1')).toBeUndefined();
    hold.delivered?.(0, 1);
    await settle();
    expect(await floorOf(stream, 'lab-1')).toEqual({ run1: 2 });
  });

  // Failed before: untrackedReports 1 (only the report), the floor's run with no slot uncounted.
  it("a floor's run that finds no ledger slot is counted untracked", async () => {
    const { source, sink } = await counted(
      [
        ['lab-1', 3, 0],
        ['lab-2', 7, 5],
      ],
      1,
      (stream) =>
        stream.publish(
          lossFloorSubject('lab', 'lab-2'),
          encodeLossFloor(new Map([['run1', 5]])),
          'floor-lab-2',
        ),
    );
    // lab-1's run holds the one slot: lab-2's floor run and then its report find none.
    expect(sink.lost).toBe(3);
    expect(source.stats().untrackedReports).toBe(2);
  });
});
