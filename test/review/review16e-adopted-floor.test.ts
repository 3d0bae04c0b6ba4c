/**
 * review16e R16E-M1: a partial floor stored below a floor adopted from an
 * old netrx's loss durable (reader-loss.ts `adopt`, verify16d N2's
 * per-delivery floors).
 *
 * An upgrade runs at every bind (loss-upgrade.ts): while an old netrx server
 * still runs, its durable's ack floor moves, and what it delivered becomes a
 * floor, stored on the host's floor subject, before this reader counts on.
 * `ReaderLoss.adopt` raises the ledger but not the waiting portions'
 * `atLeast` (`raiseTo`, a takeover's floor, does both). So a run with
 * growth still waiting in this reader gets, at its next partial delivery, a
 * floor of `before` its oldest waiting portion, *below* the adopted one,
 * and stored after it: the newest floor of the host goes backwards, and the
 * next holder counts again loss the old server's client got. Before N2 no
 * floor was stored until nothing waited, and then the ledger's (raised)
 * count: the floor never went below the adopted one.
 *
 * Fixed on r-floors (`adopt` raises the waiting runs too); before the fix it failed: the newest floor says
 * { run1: 1 } after the adopted { run1: 5 }.
 * The control (no legacy durable) passes: its partial floor { run1: 1 } is right.
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

async function pump(stream: FakeJetStream) {
  for (let i = 0; i < 4; i++) {
    stream.deliver();
    await settle();
  }
}

/**
 * lab-1's run1 reports lost 3 then 5: this reader counts both (5 waiting),
 * its session closes before any of it reached the client, then reopens;
 * `oldServer` makes an old netrx's loss durable that acked both reports
 * (its client got all 5) appear before the reopen's bind.
 */
async function scenario(oldServer: boolean) {
  const clock = new VirtualClock(1_700_000_000_000);
  const stream = new FakeJetStream({ maxMsgs: 8, clock });
  const source = new StreamSessionSource({
    port: stream,
    session: 'lab',
    hosts: 'lab-*',
    durable: 'netrx-reader-lab-a',
    clock,
  });
  const first = sinkCounting();
  const hold = source.open(first.sink);
  await pump(stream);
  await stream.publish(lossSubject('lab', 'lab-1', 'run1'), report('run1', 3, 0), 'r1');
  await pump(stream);
  await stream.publish(lossSubject('lab', 'lab-1', 'run1'), report('run1', 5, 3), 'r2');
  await pump(stream);
  expect(first.lost.count).toBe(5);
  hold.close();
  if (oldServer)
    stream.legacyLossDurable('netrx-reader-lab-old-loss', 'netrxloss.lab.*.*', () => true);
  const second = sinkCounting();
  const again = source.open(second.sink);
  await pump(stream);
  const adopted = await floorOf(stream, 'lab-1');
  // The reopened session's first buffer carries 1 of the 5 waiting.
  again.delivered?.(0, 4);
  await settle();
  return { adopted, newest: await floorOf(stream, 'lab-1'), stats: source.handOverStats() };
}

describe('review16e R16E-M1: a partial floor below an adopted one', () => {
  it('control: no old server, the partial floor is what the client got', async () => {
    const { adopted, newest } = await scenario(false);
    expect(adopted).toBeUndefined();
    expect(newest).toEqual({ run1: 1 });
  });

  it('the newest floor never goes below a floor adopted from an old durable', async () => {
    const { adopted, newest, stats } = await scenario(true);
    expect(stats.floorsAdopted).toBe(1);
    expect(adopted).toEqual({ run1: 5 });
    expect(newest?.['run1']).toBeGreaterThanOrEqual(5);
  });
});
