// `/metrics` and `/health` of a session served from a stream: its loss
// hand-over (review16c N2, N4, N5: durables made again, loss floors
// published, not stored, not read) and its possible second copies
// (`duplicatesPossible`, the F4 residue). Issue 16: none of them reached an
// operator. Each test drives the real reader over the fake JetStream to a
// change and reads the value back through what the host serves.
import { describe, expect, it } from 'vitest';
import { SessionTable } from '../../capture/index.js';
import { VirtualClock } from '../../testing/index.js';
import { TraceRegistry } from '../../trace/index.js';
import { StreamSessionSource } from '../cluster/index.js';
import { FakeJetStream } from '../cluster/fake-jetstream.js';
import { lossFloorSubject } from '../cluster/loss-floors.js';
import { makeHost, makeReader, readBuffer, settle } from '../cluster/test-kit.js';
import { servedMetrics, servedStatus } from './capture-nats.js';
import { formatMetrics } from './metrics.js';
import { natsCaptureMetrics } from './nats-metrics.js';

type Reader = ReturnType<typeof makeReader>;

/** `/metrics` as the host serves it for one served session. */
function scrape(source: StreamSessionSource): string[] {
  const text = formatMetrics(
    natsCaptureMetrics({
      consumerErrors: 0,
      consumerErrorCodes: {},
      publish: [],
      serve: [servedMetrics(source)],
    }),
  );
  return text.split('\n');
}

/** The value of `family{session="lab"}` in a scrape (undefined: no such sample). */
function sample(source: StreamSessionSource, family: string): number | undefined {
  const line = scrape(source).find((l) => l.startsWith(`${family}{session="lab"} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** `/health`'s hand-over of the served session. */
function handOver(source: StreamSessionSource): unknown {
  return servedStatus(source)['handOver'];
}

/** Opens the reader's session and reads for 5 s of its clock; what its client got. */
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

const FLOORS = {
  published: 'netrx_nats_stream_loss_floors_published_total',
  unsent: 'netrx_nats_stream_loss_floors_unsent_total',
  unread: 'netrx_nats_stream_loss_floors_unread_total',
};

describe('a served session hand-over in /metrics and /health (issue 16)', () => {
  it('counts a durable made again (another hosts pattern on the same durable)', async () => {
    const clock = new VirtualClock(1_700_000_000_000);
    const stream = new FakeJetStream({ maxMsgs: 1 });
    const before = makeReader(clock, stream, 'lab-1', {}, 'm');
    await drain(clock, stream, before);
    expect(sample(before.source, 'netrx_nats_stream_consumers_replaced_total')).toBe(0);
    await fill(clock, stream, 'lab-2');
    const wider = makeReader(clock, stream, 'lab-*', {}, 'm');
    await drain(clock, stream, wider);
    expect(sample(wider.source, 'netrx_nats_stream_consumers_replaced_total')).toBe(1);
    expect(scrape(wider.source)).toContain(
      '# TYPE netrx_nats_stream_consumers_replaced_total counter',
    );
    expect(handOver(wider.source)).toMatchObject({ consumersReplaced: 1 });
  });

  it('counts the loss floors published once the client got the loss', async () => {
    const clock = new VirtualClock(1_700_000_000_000);
    const stream = new FakeJetStream({ maxMsgs: 1 });
    const reader = makeReader(clock, stream, 'lab-*', {}, 'a');
    expect(sample(reader.source, FLOORS.published)).toBe(0);
    await fill(clock, stream, 'lab-1');
    expect(await drain(clock, stream, reader)).toEqual({ delivered: 1, lost: 1 });
    const published = reader.source.handOverStats().lossFloors.published;
    expect(published).toBeGreaterThan(0);
    expect(sample(reader.source, FLOORS.published)).toBe(published);
    expect([sample(reader.source, FLOORS.unsent), sample(reader.source, FLOORS.unread)]).toEqual([
      0, 0,
    ]);
    expect(handOver(reader.source)).toEqual({
      consumersReplaced: 0,
      eventConsumersReplaced: {},
      eventConsumersGone: {},
      lossFloors: { published, unsent: 0, unread: 0 },
      floorsAdopted: 0,
    });
  });

  it('counts a floor NATS did not store (the next holder may count that loss again)', async () => {
    const clock = new VirtualClock(1_700_000_000_000);
    const stream = new FakeJetStream({ maxMsgs: 1 });
    await fill(clock, stream, 'lab-1');
    const reader = makeReader(clock, stream, 'lab-*', {}, 'a');
    const handle = reader.table.openSession('lab');
    for (let i = 0; i < 3; i++) {
      stream.deliver();
      await settle();
    }
    // The loss is counted; NATS goes away before the client's receive carries it.
    stream.down = true;
    const op = reader.table.receiveData(handle);
    clock.advance(250);
    await settle();
    expect(op.result?.status === 'data' ? readBuffer(op.result.data).lost : undefined).toBe(1);
    expect(sample(reader.source, FLOORS.unsent)).toBe(1);
    expect(sample(reader.source, FLOORS.published)).toBe(1);
    expect(handOver(reader.source)).toMatchObject({ lossFloors: { published: 1, unsent: 1 } });
  });

  it('counts a floor that cannot be read at a takeover (all retained loss counted)', async () => {
    const clock = new VirtualClock(1_700_000_000_000);
    const stream = new FakeJetStream({ maxMsgs: 1 });
    await fill(clock, stream, 'lab-1');
    // Something that is not a floor is the newest message on lab-1's floor subject.
    await stream.publish(lossFloorSubject('lab', 'lab-1'), new TextEncoder().encode('{'), 'x-1');
    const reader = makeReader(clock, stream, 'lab-*', {}, 'b');
    expect(sample(reader.source, FLOORS.unread)).toBe(0);
    expect(await drain(clock, stream, reader)).toEqual({ delivered: 1, lost: 1 });
    expect(sample(reader.source, FLOORS.unread)).toBe(1);
    expect(handOver(reader.source)).toMatchObject({ lossFloors: { unread: 1 } });
  });
});

describe('loss floors adopted at an upgrade in /metrics and /health (verify16c V1)', () => {
  it('counts the floors a loss durable from before floors gave, and counts its loss not again', async () => {
    const clock = new VirtualClock(1_700_000_000_000);
    const stream = new FakeJetStream({ maxMsgs: 1 });
    await fill(clock, stream, 'lab-1');
    // An older netrx read and acked every report under this durable, and stored no floor.
    stream.legacyLossDurable('netrx-reader-lab-a-loss', 'netrxloss.lab.*.*', () => true);
    const reader = makeReader(clock, stream, 'lab-*', {}, 'a');
    expect(sample(reader.source, 'netrx_nats_stream_loss_floors_adopted_total')).toBe(0);
    expect(await drain(clock, stream, reader)).toEqual({ delivered: 1, lost: 0 });
    const adopted = reader.source.handOverStats().floorsAdopted;
    expect(adopted).toBeGreaterThan(0);
    expect(sample(reader.source, 'netrx_nats_stream_loss_floors_adopted_total')).toBe(adopted);
    expect(handOver(reader.source)).toMatchObject({ floorsAdopted: adopted });
  });
});

describe('possible second copies in /metrics and /health (issue 16, F4 residue)', () => {
  const WINDOW_MS = 1000;

  /** One reader process with its own memory of batch IDs, on the shared durable. */
  function readerProcess(clock: VirtualClock, stream: FakeJetStream) {
    const table = new SessionTable({ registry: new TraceRegistry({ clock }), clock });
    const source = new StreamSessionSource({
      port: stream,
      session: 'lab',
      hosts: 'lab-1',
      durable: 'netrx-reader-lab-server',
      clock,
      duplicateWindowMs: WINDOW_MS,
      clockToleranceMs: 100,
    });
    table.createSession({ name: 'lab', providers: [], source, limits: { timerMs: 100 } }).start();
    return { table, source, handle: table.openSession('lab') };
  }

  it('counts a retry stored after the window and read by a restarted reader', async () => {
    const clock = new VirtualClock(1_000_000);
    const stream = new FakeJetStream({ maxMsgs: 1000, clock, duplicateWindowMs: WINDOW_MS });
    const host = makeHost(clock, stream, 'lab-1', { retryMs: 100 });
    const first = readerProcess(clock, stream);
    stream.loseAcks = true;
    await host.emitAlone(7); // stored; the publisher hears nothing
    stream.loseAcks = false;
    stream.down = true;
    for (let t = 0; t < 12; t++) {
      clock.advance(100); // retries unsent while NATS is away, past the window
      await settle();
    }
    stream.deliver();
    await settle();
    first.table.receiveData(first.handle);
    clock.advance(100);
    await settle();
    first.table.closeSession(first.handle);
    const second = readerProcess(clock, stream);
    // Per host of origin (issue 16): lab-1, held now, at 0.
    const lab1 = 'netrx_nats_stream_duplicates_possible_total{session="lab",host="lab-1"}';
    expect(scrape(second.source)).toContain(`${lab1} 0`);
    stream.down = false;
    clock.advance(100); // the retry: a second copy (the window has passed)
    await settle();
    stream.deliver();
    await settle();
    second.table.receiveData(second.handle);
    clock.advance(100);
    await settle();
    expect(scrape(second.source)).toContain(`${lab1} 1`);
    expect(servedStatus(second.source)).toMatchObject({ duplicatesPossible: 1 });
  });
});
