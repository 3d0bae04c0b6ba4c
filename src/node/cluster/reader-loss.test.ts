import { describe, expect, it } from 'vitest';
import { FakeJetStream } from './fake-jetstream.js';
import { ReaderLoss } from './reader-loss.js';

function report(instance: string, lost: number, prev: number): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ instance, lost, prev }));
}

describe('ReaderLoss: floors and slots', () => {
  it('says how many floor and adopted runs found no ledger slot', () => {
    const loss = new ReaderLoss(new FakeJetStream({ maxMsgs: 8 }), 'lab', 'd', 1);
    expect(loss.add('lab-1', 'r1', report('r1', 2, 0), 0)).toEqual({ kind: 'grew', by: 2 });
    const floor = {
      runs: new Map([
        ['r2', 4],
        ['r3', 0],
      ]),
      reportedAt: new Map<string, number>(),
    };
    // r3 at 0 skips nothing and needs no slot; r2 finds none.
    expect(loss.raiseTo('lab-2', floor, 0)).toBe(1);
    expect(loss.adopt(new Map([['lab-3', new Map([['r9', 1]])]]), 0)).toBe(1);
    expect(loss.raiseTo('lab-1', { runs: new Map([['r1', 5]]), reportedAt: new Map() }, 0)).toBe(0);
  });

  it('owes a host its counted loss until a delivery carried it', () => {
    const loss = new ReaderLoss(new FakeJetStream({ maxMsgs: 8 }), 'lab', 'd', 8);
    loss.add('lab-1', 'r1', report('r1', 2, 0), 0);
    expect(loss.hostsOwed()).toEqual(['lab-1']);
    loss.delivered(1);
    expect(loss.owes('lab-1')).toBe(true);
    loss.delivered(0);
    expect(loss.owes('lab-1')).toBe(false);
    expect(loss.floorStats().published).toBe(2);
  });
});
