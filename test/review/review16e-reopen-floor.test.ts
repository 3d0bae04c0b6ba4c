/**
 * review16e R16E-L5: floors across a reopen, when another server
 * held the host while this one was closed (FakeJetStream).
 *
 * Server A counts lab-1's report (lost 3) and closes before its client got
 * it; its claim lapses (consumers expired). Server B takes lab-1, counts the
 * retained report and the next one (lost 5), its client gets all 5, and
 * its floor says { run1: 5 }; B stops and its claim lapses. A reopens: it
 * claims lab-1 again at once (its loss is owed) and reads the floor, and
 * its first buffer carries 1 of the 3 it still owes. If that floor, built
 * from A's waiting portions, is stored before the floor read raised them, the
 * newest floor of lab-1 goes backwards (the next holder counts again loss
 * B's client got).
 *
 * Fixed on r-floors (no floor before the host's floor read at this open); before the fix it failed: B's floor { run1: 5 }, then
 * A's { run1: 1 }. Pre-existing for a full delivery (delivered(0, 0) during
 * the read stores { run1: 3 }, the ledger's count before the raise, as before
 * N2); N2 adds every partial delivery. One settle later (the read done) the
 * floor is { run1: 5 }: the window is the floor read's round trip.
 */
import { describe, expect, it } from 'vitest';
import type { SessionSink } from '../../src/capture/index.js';
import { FakeJetStream } from '../../src/node/cluster/fake-jetstream.js';
import { lossFloorSubject, parseLossFloor } from '../../src/node/cluster/loss-floors.js';
import { StreamSessionSource } from '../../src/node/cluster/reader.js';
import { floorStreamName, lossSubject } from '../../src/node/cluster/subjects.js';
import { settle } from '../../src/node/cluster/test-kit.js';
import { VirtualClock } from '../../src/testing/index.js';

function report(instance: string, lost: number, prev: number): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ instance, lost, prev }));
}

async function floorOf(stream: FakeJetStream, host: string) {
  const data = await stream.lastMessage(floorStreamName('lab'), lossFloorSubject('lab', host));
  return data === undefined ? undefined : Object.fromEntries(parseLossFloor(data, 16) ?? []);
}

function sinkCounting(): { sink: SessionSink; lost: { count: number } } {
  const lost = { count: 0 };
  return {
    lost,
    sink: {
      record: () => true,
      lost: (count) => {
        lost.count += count;
      },
      fits: () => true,
    },
  };
}

async function pump(stream: FakeJetStream, clock: VirtualClock, rounds = 4) {
  for (let i = 0; i < rounds; i++) {
    stream.deliver();
    await settle();
    clock.advance(100);
  }
}

function reader(stream: FakeJetStream, clock: VirtualClock, name: string) {
  return new StreamSessionSource({
    port: stream,
    session: 'lab',
    hosts: 'lab-*',
    durable: `netrx-reader-lab-${name}`,
    clock,
  });
}

async function lapse(stream: FakeJetStream, clock: VirtualClock) {
  clock.advance(60_000);
  stream.expireIdleConsumers();
  await settle();
}

describe('review16e R16E-L5: a reopen after another server held the host', () => {
  it("the floor of the reopen's first buffer is not below the other holder's", async () => {
    const clock = new VirtualClock(1_700_000_000_000);
    const stream = new FakeJetStream({ maxMsgs: 8, clock });
    const a = reader(stream, clock, 'a');
    const aFirst = sinkCounting();
    const aHold = a.open(aFirst.sink);
    await pump(stream, clock);
    await stream.publish(lossSubject('lab', 'lab-1', 'run1'), report('run1', 3, 0), 'r1');
    await pump(stream, clock);
    expect(aFirst.lost.count).toBe(3);
    aHold.close();
    await lapse(stream, clock);

    const b = reader(stream, clock, 'b');
    const bSink = sinkCounting();
    const bHold = b.open(bSink.sink);
    await pump(stream, clock, 8);
    await stream.publish(lossSubject('lab', 'lab-1', 'run1'), report('run1', 5, 3), 'r2');
    await pump(stream, clock, 8);
    bHold.delivered?.(0, 0);
    await settle();
    const bFloor = await floorOf(stream, 'lab-1');
    bHold.close();
    await lapse(stream, clock);

    const aSecond = sinkCounting();
    const aAgain = a.open(aSecond.sink);
    // The reopened session's first buffer, before anything else settles.
    aAgain.delivered?.(0, 2);
    await pump(stream, clock, 8);
    const newest = await floorOf(stream, 'lab-1');
    console.info(
      `B counted ${bSink.lost.count}, B's floor ${JSON.stringify(bFloor)}, newest after A's reopen ${JSON.stringify(newest)}`,
    );
    expect(bFloor).toEqual({ run1: 5 });
    expect(newest?.['run1']).toBeGreaterThanOrEqual(5);
  });
});
