import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../testing/index.js';
import { FakeJetStream } from './fake-jetstream.js';
import type { PublishOutcome } from './ports.js';
import { parseLossReport } from './reader.js';
import {
  filterSubject,
  hostActivityId,
  hostFromActivityId,
  hostMatcher,
  lossFilterSubject,
  lossSubject,
  parseSubject,
  patternsOverlap,
  providerToken,
} from './subjects.js';
import { makeHost, makeReader, readBuffer, settle, type ReadEvent } from './test-kit.js';

/** Opens the reader's session, delivers everything, and drains buffers through the timer. */
async function drain(
  clock: VirtualClock,
  stream: FakeJetStream,
  reader: ReturnType<typeof makeReader>,
): Promise<{ events: ReadEvent[]; lost: number; buffers: number }> {
  const handle = reader.table.openSession('lab');
  // A glob reader claims the hosts it finds in the stream (an answer away).
  await settle();
  const events: ReadEvent[] = [];
  let lost = 0;
  let buffers = 0;
  for (let round = 0; round < 50; round++) {
    stream.deliver();
    // A claim taken reads the host's loss floor first (an answer away, loss-floors.ts).
    await settle();
    const stats = reader.session.stats();
    if (stats.queuedEvents === 0 && stats.unreportedLost === 0) break;
    const op = reader.table.receiveData(handle);
    if (op.result === undefined) clock.advance(100);
    await settle();
    const done = op.result;
    if (done?.status !== 'data') throw new Error('receive did not complete');
    const got = readBuffer(done.data);
    events.push(...got.events);
    lost += got.lost;
    if (got.events.length > 0 || got.lost > 0) buffers++;
  }
  reader.table.closeSession(handle);
  return { events, lost, buffers };
}

describe('cluster subjects', () => {
  it('maps hosts, providers and globs onto subject tokens', () => {
    expect(providerToken('netrx-synthetic')).toBe('netrx-synthetic');
    expect(providerToken('a.b c')).toBe('a_b_c');
    expect(providerToken('_loss')).toBe('p_loss');
    expect(lossFilterSubject('lab', 'lab-1')).toBe('netrxloss.lab.lab-1.*');
    expect(lossFilterSubject('lab', 'lab-*')).toBe('netrxloss.lab.*.*');
    expect(lossSubject('lab', 'h1', 'run1')).toBe('netrxloss.lab.h1.run1');
    expect(parseSubject('netrxloss.lab.h1.run1', 'netrxloss')).toMatchObject({ provider: 'run1' });
    expect(parseSubject('netrxloss.lab.h1.run1')).toBeUndefined();
    expect(filterSubject('lab', 'lab-1')).toBe('netrx.lab.lab-1.>');
    // A glob is never a work-queue filter: it would claim (and delete) every host's events.
    expect(() => filterSubject('lab', 'lab-*')).toThrow(TypeError);
    const m = hostMatcher('lab-*');
    expect([m('lab-1'), m('lab-22'), m('prod-1'), m('xlab-1')]).toEqual([true, true, false, false]);
    expect(hostMatcher('lab-?')('lab-10')).toBe(false);
    expect(parseSubject('netrx.lab.h1.netrx-synthetic')).toEqual({
      session: 'lab',
      host: 'h1',
      provider: 'netrx-synthetic',
    });
    expect(parseSubject('netrx.lab.h1')).toBeUndefined();
    expect(hostFromActivityId(hostActivityId('lab-16-chars-xyz'))).toBe('lab-16-chars-xyz');
  });

  it('tells whether two host globs can match one host (fast-check against the matchers)', () => {
    expect(patternsOverlap('lab-*', '*-1')).toBe(true);
    expect(patternsOverlap('lab-*', 'prod-*')).toBe(false);
    expect(patternsOverlap('a?', 'a')).toBe(false);
    const glob = fc.stringMatching(/^[ab*?]{1,6}$/);
    fc.assert(
      fc.property(glob, glob, fc.stringMatching(/^[ab]{1,8}$/), (a, b, host) => {
        // A witness host matching both proves overlap; the walk must agree.
        if (hostMatcher(a)(host) && hostMatcher(b)(host)) expect(patternsOverlap(a, b)).toBe(true);
        if (!patternsOverlap(a, b))
          expect(hostMatcher(a)(host) && hostMatcher(b)(host)).toBe(false);
      }),
    );
  });

  it('refuses host names that are not one short subject token', () => {
    const clock = new VirtualClock();
    const stream = new FakeJetStream({ maxMsgs: 10 });
    expect(() => makeHost(clock, stream, 'a.b')).toThrow(TypeError);
    expect(() => makeHost(clock, stream, 'x'.repeat(17))).toThrow(TypeError);
    expect(() => makeHost(clock, stream, 'ok', { session: 'has space' })).toThrow(TypeError);
  });

  it('reads loss reports strictly', () => {
    const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
    expect(parseLossReport(enc({ instance: 'r', lost: 3 }))).toEqual({
      instance: 'r',
      lost: 3,
      prev: 0,
    });
    expect(parseLossReport(enc({ instance: 'r', lost: 3, prev: 2 }))).toMatchObject({ prev: 2 });
    expect(parseLossReport(enc({ instance: 'r', lost: 3, prev: 4 }))).toBeUndefined();
    expect(parseLossReport(enc({ instance: 'r', lost: 3, prev: 1.5 }))).toBeUndefined();
    expect(parseLossReport(enc({ instance: 'r', lost: -1 }))).toBeUndefined();
    expect(parseLossReport(enc({ instance: 'a b', lost: 1 }))).toBeUndefined();
    expect(parseLossReport(new TextEncoder().encode('{'))).toBeUndefined();
  });
});

describe('capture fan-in over a fake JetStream', () => {
  it('one session spans two hosts; events keep their host of origin and order per host', async () => {
    const clock = new VirtualClock(1_700_000_000_000);
    const stream = new FakeJetStream({ maxMsgs: 1000 });
    const a = makeHost(clock, stream, 'lab-1');
    const b = makeHost(clock, stream, 'lab-2');
    const reader = makeReader(clock, stream, 'lab-*');
    for (let i = 0; i < 20; i++) {
      a.emit(i);
      b.emit(100 + i);
    }
    await settle();
    const got = await drain(clock, stream, reader);
    expect(got.lost).toBe(0);
    const of = (host: string) => got.events.filter((e) => e.host === host).map((e) => e.seq);
    expect(of('lab-1')).toEqual([...Array(20).keys()]);
    expect(of('lab-2')).toEqual([...Array(20).keys()].map((i) => 100 + i));
    expect(a.publisher.stats()).toMatchObject({ offered: 20, stored: 20, refused: 0, dropped: 0 });
  });

  it('a host outside the pattern is left in the stream for its own reader, never consumed', async () => {
    // Regression (review F1): the glob reader acked prod-1's events off the work queue.
    // Failed before the fix: the later prod-1 reader got nothing.
    const clock = new VirtualClock();
    const stream = new FakeJetStream({ maxMsgs: 1000 });
    const lab = makeHost(clock, stream, 'lab-1');
    const prod = makeHost(clock, stream, 'prod-1');
    const reader = makeReader(clock, stream, 'lab-*');
    lab.emit(1);
    prod.emit(2);
    await settle();
    const got = await drain(clock, stream, reader);
    expect(got.events).toEqual([{ host: 'lab-1', seq: 1 }]);
    expect(got.lost).toBe(0);
    expect(stream.length).toBe(1);
    const prodReader = makeReader(clock, stream, 'prod-*');
    const prodGot = await drain(clock, stream, prodReader);
    expect(prodGot).toMatchObject({ events: [{ host: 'prod-1', seq: 2 }], lost: 0 });
    expect(stream.counters.claimsRefused).toBe(0);
  });

  it('a second reader of a claimed host is refused with 10100 and told, then takes over once the claim expires', async () => {
    // Review F2: two servers on one entry must not split the events silently.
    const clock = new VirtualClock();
    const stream = new FakeJetStream({ maxMsgs: 1000 });
    const host = makeHost(clock, stream, 'lab-1');
    host.emit(1);
    await settle();
    const first = makeReader(clock, stream, 'lab-1', {}, 'server-a');
    const second = makeReader(clock, stream, 'lab-1', {}, 'server-b');
    const firstGot = await drain(clock, stream, first);
    expect(firstGot.events).toEqual([{ host: 'lab-1', seq: 1 }]);
    host.emit(2);
    await settle();
    const refused = await drain(clock, stream, second);
    expect(refused.events).toEqual([]);
    expect(second.errors.map((e) => e.code)).toEqual([10100]);
    expect(second.source.stats().consumerErrors).toEqual({ '10100': 1 });
    stream.expireIdleConsumers();
    const tookOver = await drain(clock, stream, second);
    expect(tookOver.events).toEqual([{ host: 'lab-1', seq: 2 }]);
  });

  it('a batch stored twice (retried after the duplicate window) is delivered once and counted', async () => {
    // Regression (review F4): failed before the fix (the events came twice).
    const clock = new VirtualClock();
    const stream = new FakeJetStream({ maxMsgs: 1000 });
    const host = makeHost(clock, stream, 'lab-1');
    const reader = makeReader(clock, stream, 'lab-1');
    stream.loseAcks = true;
    for (let i = 0; i < 3; i++) host.emit(i);
    await settle();
    stream.loseAcks = false;
    stream.expireDuplicateWindow();
    clock.advance(60_000);
    await settle();
    expect(stream.length).toBe(2);
    const got = await drain(clock, stream, reader);
    expect(got.events.map((e) => e.seq)).toEqual([0, 1, 2]);
    expect(reader.source.stats().duplicates).toBe(1);
    expect(stream.length).toBe(0);
  });

  it('a full stream (discard new) refuses the newest events and the reader reports them exactly', async () => {
    const clock = new VirtualClock();
    const stream = new FakeJetStream({ maxMsgs: 4 });
    const host = makeHost(clock, stream, 'lab-1');
    const reader = makeReader(clock, stream, 'lab-1');
    for (let i = 0; i < 10; i++) await host.emitAlone(i);
    await settle();
    clock.advance(250); // the pause after the first report (lost 1)
    await settle();
    // The report has a stream of its own: a full event stream cannot refuse it.
    expect(host.publisher.stats()).toMatchObject({ stored: 4, refused: 6, reportedLost: 6 });
    expect(host.publisher.settled).toBe(true);
    const handle = reader.table.openSession('lab');
    // A glob reader claims the hosts it finds in the stream (an answer away).
    await settle();
    stream.deliver();
    const op = reader.table.receiveData(handle);
    clock.advance(100);
    await settle();
    const done = op.result;
    if (done?.status !== 'data') throw new Error('no data');
    const got = readBuffer(done.data);
    // Tail drop: the first four stayed, the next six are the loss.
    expect(got.events.map((e) => e.seq)).toEqual([0, 1, 2, 3]);
    expect(got.lost).toBe(6);
    expect(done.meta.lost).toBe(6);
  });

  it("tells the loss per host of origin: each host's refusals; a full reader queue refuses none", async () => {
    const clock = new VirtualClock();
    const stream = new FakeJetStream({ maxMsgs: 5 });
    const one = makeHost(clock, stream, 'lab-1');
    const two = makeHost(clock, stream, 'lab-2');
    // Two buffers of one event each: lab-1's three stored events fill the queue.
    const reader = makeReader(clock, stream, 'lab-*', { bufferBytes: 128, maxBuffers: 2 });
    for (let i = 0; i < 3; i++) await one.emitAlone(i);
    for (let i = 0; i < 6; i++) await two.emitAlone(i);
    await settle();
    clock.advance(250);
    await settle();
    expect(one.publisher.stats()).toMatchObject({ stored: 3, refused: 0 });
    expect(two.publisher.stats()).toMatchObject({ stored: 2, refused: 4, reportedLost: 4 });
    reader.table.openSession('lab');
    await settle(); // the glob reader finds the hosts in the stream, then claims each
    stream.deliver();
    await settle();
    // The two-event queue takes lab-1's first two; the rest wait (in the stream, or one
    // message in the reader's pull window), none refused by the queue (review16 R8).
    expect(reader.source.stats().queueLost).toBe(0);
    expect(Object.fromEntries(reader.source.lossByHost())).toEqual({ 'lab-2': 4 });
    expect(stream.length).toBe(5);
  });

  it('a publisher that stops while the stream is full and unread still gets its last report stored', async () => {
    const clock = new VirtualClock();
    const stream = new FakeJetStream({ maxMsgs: 2 });
    const host = makeHost(clock, stream, 'lab-1');
    for (let i = 0; i < 5; i++) await host.emitAlone(i);
    await settle();
    host.publisher.close();
    clock.advance(250);
    await settle();
    // Nobody made room in the event stream; the count is stored all the same.
    expect(host.publisher.stats()).toMatchObject({ refused: 3, reportedLost: 3, pending: 0 });
    expect(host.publisher.settled).toBe(true);
    expect(stream.length).toBe(2);
    // The run's announcement (lost 0, review16c N10), the first refusal's report, the paced one.
    expect(stream.lossLength).toBe(3);
  });

  it('reports are paced: one per retryMs after the first, each with the whole count', async () => {
    const clock = new VirtualClock();
    const stream = new FakeJetStream({ maxMsgs: 1 });
    const host = makeHost(clock, stream, 'lab-1', { retryMs: 500 });
    await settle();
    // The run's announcement (lost 0, review16c N10) sets no pause: the first loss goes at once.
    expect(stream.lossLength).toBe(1);
    await host.emitAlone(0);
    await host.emitAlone(1);
    await settle();
    expect(stream.lossLength).toBe(2);
    for (let i = 2; i < 50; i++) await host.emitAlone(i);
    await settle();
    expect(stream.lossLength).toBe(2);
    expect(host.publisher.settled).toBe(false);
    clock.advance(499);
    await settle();
    expect(stream.lossLength).toBe(2);
    clock.advance(1);
    await settle();
    expect(stream.lossLength).toBe(3);
    expect(host.publisher.stats()).toMatchObject({ refused: 49, reportedLost: 49 });
  });

  it('a reader that restarts on its durable consumer adds only the loss it has not counted', async () => {
    const clock = new VirtualClock();
    const stream = new FakeJetStream({ maxMsgs: 2 });
    const host = makeHost(clock, stream, 'lab-1', { retryMs: 10 });
    const first = makeReader(clock, stream, '*');
    for (let i = 0; i < 8; i++) await host.emitAlone(i); // 2 stored, 6 refused
    await settle();
    const one = await drain(clock, stream, first);
    expect(one).toMatchObject({ lost: 6 });
    expect(one.events.length).toBe(2);
    clock.advance(10);
    for (let i = 8; i < 13; i++) await host.emitAlone(i); // 2 stored, 3 refused
    await settle();
    clock.advance(10);
    await settle();
    expect(host.publisher.stats()).toMatchObject({ refused: 9, reportedLost: 9 });
    // A new reader process on the same durable consumers: it has no counts of its own.
    const second = makeReader(clock, stream, '*');
    const two = await drain(clock, stream, second);
    expect(two.lost).toBe(3);
    expect(two.events.length).toBe(2);
  });

  it('a reader that arrives after several reports counts the whole loss once', async () => {
    const clock = new VirtualClock();
    const stream = new FakeJetStream({ maxMsgs: 1 });
    const host = makeHost(clock, stream, 'lab-1', { retryMs: 10 });
    for (let round = 0; round < 4; round++) {
      await host.emitAlone(round * 2);
      await host.emitAlone(round * 2 + 1);
      await settle();
      clock.advance(10);
      await settle();
    }
    expect(stream.lossLength).toBeGreaterThan(2);
    const reader = makeReader(clock, stream, '*');
    const got = await drain(clock, stream, reader);
    expect(got.events.length + got.lost).toBe(8);
    expect(got.lost).toBe(host.publisher.lost);
  });

  it('while NATS is away events wait in a bounded buffer; the overflow is counted and reported', async () => {
    const clock = new VirtualClock();
    const stream = new FakeJetStream({ maxMsgs: 1000 });
    const notices: string[] = [];
    const host = makeHost(clock, stream, 'lab-1', {
      maxBuffered: 5,
      onNotice: (n) => notices.push(n.kind),
    });
    const reader = makeReader(clock, stream, '*');
    host.publisher.setStatus('disconnected');
    for (let i = 0; i < 8; i++) host.emit(i);
    expect(host.publisher.stats()).toMatchObject({ pending: 5, dropped: 3, stored: 0 });
    host.publisher.setStatus('connected');
    await settle();
    expect(host.publisher.stats()).toMatchObject({ pending: 0, stored: 5, reportedLost: 3 });
    expect(host.publisher.settled).toBe(true);
    expect(notices).toEqual(['status', 'dropped', 'dropped', 'dropped', 'status']);
    const got = await drain(clock, stream, reader);
    expect(got.events.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4]);
    expect(got.lost).toBe(3);
  });

  it('a publish whose acknowledgement was lost is retried under its ID and stored once', async () => {
    const clock = new VirtualClock();
    const stream = new FakeJetStream({ maxMsgs: 1000 });
    const host = makeHost(clock, stream, 'lab-1');
    const reader = makeReader(clock, stream, '*');
    stream.loseAcks = true;
    for (let i = 0; i < 3; i++) host.emit(i);
    await settle();
    expect(host.publisher.stats()).toMatchObject({ stored: 0, pending: 3 });
    stream.loseAcks = false;
    clock.advance(250);
    await settle();
    // The three went as one batch: one message, stored once.
    expect(host.publisher.stats()).toMatchObject({
      stored: 3,
      pending: 0,
      refused: 0,
      messages: 1,
    });
    expect(stream.counters.duplicates).toBe(1);
    const got = await drain(clock, stream, reader);
    expect(got.events.map((e) => e.seq).sort()).toEqual([0, 1, 2]);
    expect(got.lost).toBe(0);
  });

  it('a reader queue too small for the stream leaves the rest in the stream, no tail drop (review16 R8)', async () => {
    const clock = new VirtualClock();
    const stream = new FakeJetStream({ maxMsgs: 1000 });
    const host = makeHost(clock, stream, 'lab-1');
    // 128-byte buffers hold one 112-byte event each; two buffers.
    const reader = makeReader(clock, stream, '*', { bufferBytes: 128, maxBuffers: 2 });
    for (let i = 0; i < 5; i++) host.emit(i);
    await settle();
    const got = await drain(clock, stream, reader);
    // Before the pull window: 2 delivered, 3 tail-dropped at the reader and acked away.
    expect(got.events.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4]);
    expect(got.lost).toBe(0);
    expect(reader.source.stats().queueLost).toBe(0);
    expect(stream.length).toBe(0);
  });

  it('repeated and stale loss reports add only growth, per publisher run', async () => {
    const clock = new VirtualClock();
    const stream = new FakeJetStream({ maxMsgs: 1000 });
    const reader = makeReader(clock, stream, '*');
    const report = (instance: string, lost: number, prev: number, id: string) =>
      stream.publish(
        `netrxloss.lab.lab-1.${instance}`,
        new TextEncoder().encode(JSON.stringify({ instance, lost, prev })),
        id,
      );
    await report('run1', 4, 0, 'a');
    await report('run1', 4, 0, 'b');
    await report('run1', 2, 0, 'c');
    await report('run2', 1, 0, 'd');
    await report('run1', 7, 4, 'e');
    // A report under another run's subject is not that run's count.
    await report('run3', 5, 0, 'f');
    await stream.publish(
      'netrxloss.lab.lab-1.run9',
      new TextEncoder().encode(JSON.stringify({ instance: 'run3', lost: 50 })),
      'g',
    );
    const got = await drain(clock, stream, reader);
    expect(got.lost).toBe(13);
    expect(reader.source.stats().malformed).toBe(1);
  });

  it('messages the server delivers again (it lost our acks) are skipped: no event twice', async () => {
    const clock = new VirtualClock();
    const stream = new FakeJetStream({ maxMsgs: 1000 });
    const host = makeHost(clock, stream, 'lab-1');
    const reader = makeReader(clock, stream, '*');
    const handle = reader.table.openSession('lab');
    // A glob reader claims the hosts it finds in the stream (an answer away).
    await settle();
    for (let i = 0; i < 6; i++) await host.emitAlone(i);
    // The host published after the session opened: found by the next look at the stream.
    await reader.source.discover();
    stream.deliver();
    // Redelivered while their events still wait in the queue: skipped, acked once they leave.
    stream.redeliverUnacked();
    stream.deliver();
    const op = reader.table.receiveData(handle);
    clock.advance(100);
    if (op.result?.status !== 'data') throw new Error('no data');
    expect(readBuffer(op.result.data).events.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(reader.source.stats().redelivered).toBe(6);
    expect(stream.length).toBe(0);
    // The server lost the acks written when the buffer left: delivered again, skipped, acked again.
    stream.redeliverAcked(4);
    stream.deliver();
    const again = reader.table.receiveData(handle);
    clock.advance(100);
    await settle();
    expect(again.result).toBeUndefined();
    expect(reader.source.stats().redelivered).toBe(10);
    expect(stream.length).toBe(0);
    reader.table.closeSession(handle);
  });

  it('a burst goes out in few messages (EVENT_BUFFERs of EventRecords), each event once', async () => {
    const clock = new VirtualClock();
    const stream = new FakeJetStream({ maxMsgs: 1000 });
    const host = makeHost(clock, stream, 'lab-1');
    const reader = makeReader(clock, stream, '*', { bufferBytes: 65536, maxBuffers: 8 });
    for (let i = 0; i < 1000; i++) host.emit(i);
    await settle();
    // 1000 items of 112 bytes cut at 64 events (7,168 bytes, under the 8 KiB cut): 16 messages.
    expect(host.publisher.stats()).toMatchObject({ stored: 1000, messages: 16, pending: 0 });
    const got = await drain(clock, stream, reader);
    expect(got.events.map((e) => e.seq)).toEqual([...Array(1000).keys()]);
    expect(got.lost).toBe(0);
  });

  it('while the window is full, events gather in the open batch (Nagle)', async () => {
    const clock = new VirtualClock();
    const answers: (() => void)[] = [];
    const port = {
      publish: (subject: string, data: Uint8Array, msgId: string) =>
        new Promise<PublishOutcome>((resolve) => {
          answers.push(() => void stream.publish(subject, data, msgId).then(resolve));
        }),
    };
    const stream = new FakeJetStream({ maxMsgs: 1000 });
    const host = makeHost(clock, stream, 'lab-1', { port, maxInFlight: 1 });
    answers.shift()?.(); // the run's announcement (review16c N10): not an event publish
    await settle();
    await host.emitAlone(0); // alone: the window was empty
    for (let i = 1; i < 6; i++) await host.emitAlone(i); // the window is full: they gather
    expect(answers.length).toBe(1);
    answers.shift()?.();
    await settle();
    expect(answers.length).toBe(1); // the five, in one message
    answers.shift()?.();
    await settle();
    expect(host.publisher.stats()).toMatchObject({ stored: 6, messages: 2, pending: 0 });
  });

  it('maxBuffered bounds every event held, waiting or in flight', async () => {
    const clock = new VirtualClock();
    const port = { publish: () => new Promise<PublishOutcome>(() => undefined) }; // never answers
    const stream = new FakeJetStream({ maxMsgs: 1000 });
    const host = makeHost(clock, stream, 'lab-1', { port, maxBuffered: 10, maxInFlight: 4 });
    for (let i = 0; i < 30; i++) await host.emitAlone(i);
    expect(host.publisher.stats()).toMatchObject({ offered: 30, pending: 10, dropped: 20 });
  });

  it('a bad item inside a message is one event lost; the good ones around it are delivered', async () => {
    const clock = new VirtualClock();
    const stream = new FakeJetStream({ maxMsgs: 1000 });
    const host = makeHost(clock, stream, 'lab-1', {
      port: {
        publish: (s, d, id) => {
          // Corrupt the second item's DataType on the way (8-byte header + 104-byte record each).
          const bad = d.slice();
          if (bad.length >= 224) new DataView(bad.buffer).setUint16(112 + 4, 0x7777, true);
          return stream.publish(s, bad, id);
        },
      },
    });
    const reader = makeReader(clock, stream, '*');
    for (let i = 0; i < 3; i++) host.emit(i);
    await settle();
    const got = await drain(clock, stream, reader);
    expect(got.events.map((e) => e.seq)).toEqual([0, 2]);
    expect(got.lost).toBe(1);
    expect(reader.source.stats().malformed).toBe(1);
  });

  it('a malformed event message is counted lost, never crashes the session', async () => {
    const clock = new VirtualClock();
    const stream = new FakeJetStream({ maxMsgs: 1000 });
    const reader = makeReader(clock, stream, '*');
    await stream.publish('netrx.lab.lab-1.netrx-synthetic', new Uint8Array(10), 'x');
    const got = await drain(clock, stream, reader);
    expect(got).toMatchObject({ events: [], lost: 1 });
    expect(reader.source.stats().malformed).toBe(1);
  });
});
