/**
 * verify16d N1: an idle release (review16d D4) forgets that the reader
 * still owes its client a host's counted loss (its floor waits for that
 * delivery, reader.ts floorDue). d7e1a0a claims such a host again at an
 * open, "so no other server counts it"; a release lets it go meanwhile. A
 * server started next on the entry claims the host from its retained
 * report, finds no floor, and counts the same loss: lost 2 for 1 refused.
 * Fake JetStream (test-kit), VirtualClock.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/testing/index.js';
import { FakeJetStream } from '../../src/node/cluster/fake-jetstream.js';
import { DISCOVER_EVERY_MS, RELEASE_IDLE_DISCOVERIES } from '../../src/node/cluster/host-claims.js';
import { makeHost, makeReader, readBuffer, settle } from '../../src/node/cluster/test-kit.js';

type Reader = ReturnType<typeof makeReader>;
const IDLE_MS = RELEASE_IDLE_DISCOVERIES * DISCOVER_EVERY_MS;

/** Time passes; the server delivers; the client posts no receive. */
async function idle(clock: VirtualClock, stream: FakeJetStream, ms: number) {
  for (let t = 0; t < ms; t += 500) {
    clock.advance(500);
    await settle();
    stream.deliver();
    await settle();
  }
}

/** The client receives for `rounds` rounds: what it got. */
async function receive(
  clock: VirtualClock,
  stream: FakeJetStream,
  reader: Reader,
  handle: ReturnType<Reader['table']['openSession']>,
  rounds: number,
) {
  const got = { delivered: 0, lost: 0 };
  for (let round = 0; round < rounds; round++) {
    const posted = reader.table.receiveData(handle);
    for (let i = 0; i < 4 && posted.result === undefined; i++) {
      clock.advance(250);
      await settle();
      stream.deliver();
      await settle();
    }
    const done = posted.result;
    if (done === undefined) break;
    if (done.status !== 'data') throw new Error(`receive ended: ${done.status}`);
    const buffer = readBuffer(done.data);
    got.delivered += buffer.events.length;
    got.lost += buffer.lost;
  }
  return got;
}

/** lab-1's one refused event counted by A, whose client posts no receive for `idleMs`; then B starts. */
async function scenario(idleMs: number) {
  const clock = new VirtualClock(1_700_000_000_000);
  const stream = new FakeJetStream({ maxMsgs: 1 });
  const a = makeReader(clock, stream, 'lab-*', {}, 'a');
  const aHandle = a.table.openSession('lab'); // its client posts no receive for a while
  // lab-2 fills the one-message stream; lab-1's event is refused: lab-1 has loss, no events.
  const filler = makeHost(clock, stream, 'lab-2', { maxBatchEvents: 1, maxInFlight: 1 });
  await filler.emitAlone(0);
  const lossy = makeHost(clock, stream, 'lab-1', { maxBatchEvents: 1, maxInFlight: 1 });
  await lossy.emitAlone(0);
  await settle();
  expect(lossy.publisher.stats()).toMatchObject({ stored: 0, refused: 1 });
  await idle(clock, stream, idleMs);
  expect(a.session.stats().unreportedLost).toBe(1);
  const released = a.source.stats().releasedHosts;
  stream.expireIdleConsumers();
  const b = makeReader(clock, stream, 'lab-1', {}, 'b');
  const bHandle = b.table.openSession('lab');
  const gotB = await receive(clock, stream, b, bHandle, 10);
  const gotA = await receive(clock, stream, a, aHandle, 10);
  for (const host of [filler, lossy]) host.publisher.close();
  return { released, lost: gotA.lost + gotB.lost };
}

describe('verify16d N1: an idle release while the host loss is owed to the client', () => {
  it('control: A still holds lab-1 (not idle long enough), B is refused, lost 1', async () => {
    expect(await scenario(IDLE_MS / 2)).toEqual({ released: 0, lost: 1 });
  });

  // Failed on ab1be78 (released 1, lost 2: A's client 1 + B's client 1, for 1 refused). Fixed:
  // a claim whose counted loss the reader still owes is not released (host-claims `owes`).
  it('kept while owed: not released, and a server started next does not count that loss again', async () => {
    expect(await scenario(IDLE_MS + 4 * DISCOVER_EVERY_MS)).toEqual({ released: 0, lost: 1 });
  });
});
