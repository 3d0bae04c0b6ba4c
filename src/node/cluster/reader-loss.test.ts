import { describe, expect, it } from 'vitest';
import { FakeJetStream } from './fake-jetstream.js';
import { lossFloorSubject, parseLossFloor } from './loss-floors.js';
import { ReaderLoss } from './reader-loss.js';
import { floorStreamName } from './subjects.js';
import { settle } from './test-kit.js';

function report(instance: string, lost: number, prev: number): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ instance, lost, prev }));
}

const none = { runs: new Map<string, number>(), reportedAt: new Map<string, number>() };

async function floorOf(stream: FakeJetStream, host: string) {
  const data = await stream.lastMessage(floorStreamName('lab'), lossFloorSubject('lab', host));
  return data === undefined ? undefined : Object.fromEntries(parseLossFloor(data, 16) ?? []);
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
    loss.raiseTo('lab-1', none, 0); // The claim's floor read (none stored): floors may go out.
    loss.add('lab-1', 'r1', report('r1', 2, 0), 0);
    expect(loss.hostsOwed()).toEqual(['lab-1']);
    loss.delivered(1);
    expect(loss.owes('lab-1')).toBe(true);
    loss.delivered(0);
    expect(loss.owes('lab-1')).toBe(false);
    expect(loss.floorStats().published).toBe(2);
  });

  // review16e L5: a reopen's counts predate another holder's floor until its read returns.
  it('stores no floor of a host before its floor read at this open, then the raised one', async () => {
    const stream = new FakeJetStream({ maxMsgs: 8 });
    const loss = new ReaderLoss(stream, 'lab', 'd', 8);
    loss.opened();
    loss.raiseTo('lab-1', none, 0);
    loss.add('lab-1', 'r1', report('r1', 3, 0), 0);
    // Closed before the client got it; reopened: the floor read has not returned yet.
    loss.closed();
    loss.opened();
    loss.delivered(2);
    await settle();
    expect(await floorOf(stream, 'lab-1')).toBeUndefined();
    expect(loss.hostsOwed()).toEqual(['lab-1']);
    // The read returns: another holder's client got 5 of r1. The held floor goes out raised.
    loss.raiseTo('lab-1', { runs: new Map([['r1', 5]]), reportedAt: new Map() }, 0);
    await settle();
    expect(await floorOf(stream, 'lab-1')).toEqual({ r1: 5 });
    loss.delivered(0);
    await settle();
    expect(await floorOf(stream, 'lab-1')).toEqual({ r1: 5 });
    expect(loss.owes('lab-1')).toBe(false);
  });

  it('stores the held floor when the floor read failed (an empty floor): never storing is worse', async () => {
    const stream = new FakeJetStream({ maxMsgs: 8 });
    const loss = new ReaderLoss(stream, 'lab', 'd', 8);
    loss.raiseTo('lab-1', none, 0);
    loss.add('lab-1', 'r1', report('r1', 2, 0), 0);
    loss.opened();
    loss.delivered(0);
    await settle();
    expect(await floorOf(stream, 'lab-1')).toBeUndefined();
    // The claim is still owed (claimed again at the next open if this one closes first).
    expect(loss.owes('lab-1')).toBe(true);
    loss.raiseTo('lab-1', none, 0); // What a failed or timed-out read gives (counted unread).
    await settle();
    expect(await floorOf(stream, 'lab-1')).toEqual({ r1: 2 });
    expect(loss.owes('lab-1')).toBe(false);
  });

  it('keeps storing the floors of a host read at this open (also once its claim is lost)', async () => {
    // The reader does not track the claim here: a floor read at this open is enough. A host
    // whose claim lapsed since still gets its floor (see ReaderLoss.publish for why).
    const stream = new FakeJetStream({ maxMsgs: 8 });
    const loss = new ReaderLoss(stream, 'lab', 'd', 8);
    loss.opened();
    loss.raiseTo('lab-1', none, 0);
    loss.add('lab-1', 'r1', report('r1', 4, 0), 0);
    loss.delivered(1);
    await settle();
    expect(await floorOf(stream, 'lab-1')).toEqual({ r1: 3 });
  });

  it('a floor held when the session closes before the read returned waits for the next open', async () => {
    const stream = new FakeJetStream({ maxMsgs: 8 });
    const loss = new ReaderLoss(stream, 'lab', 'd', 8);
    loss.raiseTo('lab-1', none, 0);
    loss.add('lab-1', 'r1', report('r1', 2, 0), 0);
    loss.opened();
    loss.delivered(0); // Its read at this open has not returned: held.
    loss.closed();
    await settle();
    expect(await floorOf(stream, 'lab-1')).toBeUndefined();
    // The next open claims it again (owed) and reads again; only then is the floor stored.
    loss.opened();
    expect(loss.hostsOwed()).toEqual(['lab-1']);
    loss.raiseTo('lab-1', { runs: new Map([['r1', 1]]), reportedAt: new Map() }, 0);
    await settle();
    expect(await floorOf(stream, 'lab-1')).toEqual({ r1: 2 });
    expect(loss.hostsOwed()).toEqual([]);
  });
});
