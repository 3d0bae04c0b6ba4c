// review16d D2 through the reader over the fake JetStream: only a loss
// durable of netrx's own legacy shape gives floors. A threshold-less
// consumer some other tool made (an operator's alerting durable that acks
// every report) must leave the loss to be counted by the next reader, and
// an old server's durable that stays must not make `floorsAdopted` grow at
// every bind.
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../testing/index.js';
import { FakeJetStream } from './fake-jetstream.js';
import { makeHost, makeReader, readBuffer, settle } from './test-kit.js';

type Reader = ReturnType<typeof makeReader>;

/** Opens the reader's session, reads for 5 s of its clock and closes it; what its client got. */
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

/** 3 events of lab-1 into a stream with room for 1: one stored, two refused. */
async function twoLost(clock: VirtualClock, stream: FakeJetStream): Promise<void> {
  const host = makeHost(clock, stream, 'lab-1', { maxBatchEvents: 1, maxInFlight: 1 });
  for (let seq = 0; seq < 3; seq++) await host.emitAlone(seq);
  clock.advance(1000);
  await settle();
  expect(host.publisher.stats()).toMatchObject({ stored: 1, refused: 2 });
}

const everyReport = () => true;

describe('an upgrade adopts only netrx-shaped loss durables (review16d D2)', () => {
  it.each([
    ['another name, wider filter (the review)', 'ops-loss-alerts', 'netrxloss.lab.>', {}],
    [
      'the nats CLI defaults, netrx filter',
      'alerts',
      'netrxloss.lab.*.*',
      { max_ack_pending: 1000 },
    ],
    [
      'a netrx name but acks none',
      'netrx-reader-lab-x-loss',
      'netrxloss.lab.*.*',
      { ack_policy: 'none' },
    ],
    [
      'a netrx name, a push consumer',
      'netrx-reader-lab-x-loss',
      'netrxloss.lab.*.*',
      { deliver_subject: 'alerts.in' },
    ],
    [
      'a netrx name, another max_ack_pending',
      'netrx-reader-lab-x-loss',
      'netrxloss.lab.*.*',
      { max_ack_pending: 1000 },
    ],
  ])('%s: the loss stays counted', async (_case, name, filter, config) => {
    const clock = new VirtualClock(1_700_000_000_000);
    const stream = new FakeJetStream({ maxMsgs: 1 });
    await twoLost(clock, stream);
    stream.legacyLossDurable(name, filter, everyReport, config);
    const reader = makeReader(clock, stream, 'lab-*', {}, 'a');
    expect(await drain(clock, stream, reader)).toEqual({ delivered: 1, lost: 2 });
    expect(reader.source.handOverStats().floorsAdopted).toBe(0);
    // Not the reader's: it stays for whoever made it.
    expect(stream.lossDurableNames()).toContain(name);
  });

  it("an old server's netrx durable still gives its floors (V1/V2's upgrade)", async () => {
    const clock = new VirtualClock(1_700_000_000_000);
    const stream = new FakeJetStream({ maxMsgs: 1 });
    await twoLost(clock, stream);
    stream.legacyLossDurable('netrx-reader-lab-b-loss', 'netrxloss.lab.*.*', everyReport);
    const reader = makeReader(clock, stream, 'lab-*', {}, 'a');
    expect(await drain(clock, stream, reader)).toEqual({ delivered: 1, lost: 0 });
    expect(reader.source.handOverStats().floorsAdopted).toBe(1);
  });

  it("counts a host once while an old server's durable stays, bind after bind", async () => {
    const clock = new VirtualClock(1_700_000_000_000);
    const stream = new FakeJetStream({ maxMsgs: 1 });
    await twoLost(clock, stream);
    stream.legacyLossDurable('netrx-reader-lab-b-loss', 'netrxloss.lab.*.*', everyReport);
    const reader = makeReader(clock, stream, 'lab-*', {}, 'a');
    for (let open = 0; open < 3; open++) await drain(clock, stream, reader);
    // Server b's durable is b's to delete: it is still there at every bind of a.
    expect(stream.lossDurableNames()).toContain('netrx-reader-lab-b-loss');
    expect(reader.source.handOverStats().floorsAdopted).toBe(1);
  });
});
