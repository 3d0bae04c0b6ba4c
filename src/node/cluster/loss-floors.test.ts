import { describe, expect, it } from 'vitest';
import { FakeJetStream } from './fake-jetstream.js';
import { encodeLossFloor, LossFloors, lossFloorSubject, storeLossFloor } from './loss-floors.js';
import { resolveStreamLimits, wantedLossStream } from './stream-config.js';
import { lossStreamName } from './subjects.js';
import { settle } from './test-kit.js';

const floor = (lost: number) => encodeLossFloor(new Map([['r1', lost]]));
const subject = lossFloorSubject('lab', 'lab-1');

async function lossStream(allowRollups: boolean): Promise<FakeJetStream> {
  const stream = new FakeJetStream({ maxMsgs: 8 });
  const wanted = wantedLossStream('lab', resolveStreamLimits({}));
  await stream.admin.add(lossStreamName('lab'), { ...wanted, allow_rollup_hdrs: allowRollups });
  return stream;
}

describe('loss floors: one per host subject (review16e L3)', () => {
  it("a reader's floors roll up: the stream keeps the newest one only", async () => {
    const stream = await lossStream(true);
    const floors = new LossFloors(stream, 'lab', 'd', 8);
    for (let lost = 1; lost <= 5; lost++) {
      floors.publish('lab-1', new Map([['r1', { lost, reportedAt: 0 }]]));
      await settle();
    }
    expect(stream.lossLength).toBe(1);
    expect((await floors.read('lab-1')).runs).toEqual(new Map([['r1', 5]]));
    expect(floors.stats()).toMatchObject({ published: 5, unsent: 0 });
  });

  it('a loss stream that does not allow rollups refuses the header; the floor is stored without', async () => {
    const stream = await lossStream(false);
    expect(await stream.publish(subject, floor(1), 'a', { rollup: true })).toEqual({
      kind: 'refused',
      reason: 'rollup not permitted',
    });
    expect(stream.lossLength).toBe(0);
    expect((await storeLossFloor(stream.publish.bind(stream), subject, floor(2), 'b')).kind).toBe(
      'stored',
    );
    expect((await storeLossFloor(stream.publish.bind(stream), subject, floor(3), 'c')).kind).toBe(
      'stored',
    );
    // Not rolled up (as before rollups), but the newest is what a next holder reads.
    expect(stream.lossLength).toBe(2);
    expect(await stream.lastMessage(lossStreamName('lab'), subject)).toEqual(floor(3));
  });

  it("a rollup removes the subject's older floors (an older reader's too), not the reports", async () => {
    const stream = await lossStream(true);
    const report = new TextEncoder().encode(JSON.stringify({ instance: 'r1', lost: 4 }));
    await stream.publish('netrxloss.lab.lab-1.r1', report, 'report');
    await stream.publish(subject, floor(1), 'old-1');
    await stream.publish(subject, floor(2), 'old-2');
    expect(stream.lossLength).toBe(3);
    await storeLossFloor(stream.publish.bind(stream), subject, floor(3), 'new');
    expect(stream.lossLength).toBe(2);
    expect(await stream.lastMessage(lossStreamName('lab'), 'netrxloss.lab.lab-1.r1')).toEqual(
      report,
    );
  });
});
