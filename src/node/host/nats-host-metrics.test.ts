// Per-host figures of a session served from a stream (issue 16): which
// host's events may repeat (`duplicatesPossible` by host, the sum over hosts
// being the session's figure) and whose event durable was made again
// (`ConsumerReplaced` on a host's durable: traced before, never counted).
// Each test drives the real reader over the fake JetStream and reads the
// value back through what the host serves.
import { describe, expect, it } from 'vitest';
import { SessionTable } from '../../capture/index.js';
import { VirtualClock } from '../../testing/index.js';
import { TraceRegistry } from '../../trace/index.js';
import { StreamSessionSource } from '../cluster/index.js';
import { FakeJetStream } from '../cluster/fake-jetstream.js';
import { makeHost, makeReader, settle } from '../cluster/test-kit.js';
import { servedMetrics, servedStatus } from './capture-nats.js';
import { formatMetrics } from './metrics.js';
import { natsCaptureMetrics } from './nats-metrics.js';

/** The samples of `family` in the host's `/metrics` for one served session, by their labels. */
function samples(source: StreamSessionSource, family: string): Record<string, number> {
  const text = formatMetrics(
    natsCaptureMetrics({
      consumerErrors: 0,
      consumerErrorCodes: {},
      publish: [],
      serve: [servedMetrics(source)],
    }),
  );
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${family}{`)) continue;
    const space = line.lastIndexOf(' ');
    out[line.slice(family.length, space)] = Number(line.slice(space + 1));
  }
  return out;
}

describe('possible second copies per host in /metrics and /health (issue 16)', () => {
  const WINDOW_MS = 1000;
  const FAMILY = 'netrx_nats_stream_duplicates_possible_total';

  /** One reader process of `lab-*` with its own memory of batch IDs, on the shared durable. */
  function readerProcess(clock: VirtualClock, stream: FakeJetStream) {
    const table = new SessionTable({ registry: new TraceRegistry({ clock }), clock });
    const source = new StreamSessionSource({
      port: stream,
      session: 'lab',
      hosts: 'lab-*',
      durable: 'netrx-reader-lab-server',
      clock,
      duplicateWindowMs: WINDOW_MS,
      clockToleranceMs: 100,
    });
    table.createSession({ name: 'lab', providers: [], source, limits: { timerMs: 100 } }).start();
    return { table, source, handle: table.openSession('lab') };
  }

  /** Reads for three discoveries of the glob's hosts, one receive outstanding at a time. */
  async function read(
    clock: VirtualClock,
    stream: FakeJetStream,
    reader: ReturnType<typeof readerProcess>,
  ) {
    let pending: ReturnType<typeof reader.table.receiveData> | undefined;
    for (let i = 0; i < 3; i++) {
      clock.advance(2000);
      await settle();
      stream.deliver();
      await settle();
      if (pending?.result !== undefined) pending = undefined;
      pending ??= reader.table.receiveData(reader.handle);
      clock.advance(100);
      await settle();
    }
  }

  it('labels each copy with its host of origin; the hosts sum to the session figure', async () => {
    const clock = new VirtualClock(1_000_000);
    const stream = new FakeJetStream({ maxMsgs: 1000, clock, duplicateWindowMs: WINDOW_MS });
    const late = makeHost(clock, stream, 'lab-1', { retryMs: 100 });
    const onTime = makeHost(clock, stream, 'lab-2', { retryMs: 100 });
    const first = readerProcess(clock, stream);
    stream.loseAcks = true;
    await late.emitAlone(7); // stored; lab-1 hears nothing and will retry
    stream.loseAcks = false;
    stream.down = true;
    for (let t = 0; t < 12; t++) {
      clock.advance(100); // retries unsent while NATS is away, past the window
      await settle();
    }
    await read(clock, stream, first);
    first.table.closeSession(first.handle);
    const second = readerProcess(clock, stream);
    stream.down = false;
    await onTime.emitAlone(1);
    clock.advance(100); // lab-1's retry: a second copy (the window has passed)
    await settle();
    await read(clock, stream, second);
    expect(samples(second.source, FAMILY)).toEqual({
      '{session="lab",host="lab-1"}': 1,
      '{session="lab",host="lab-2"}': 0,
    });
    const health = servedStatus(second.source);
    expect(health).toMatchObject({
      duplicatesPossible: 1,
      duplicatesPossibleByHost: { 'lab-1': 1, 'lab-2': 0 },
    });
  });
});

describe('event durables made again in /metrics and /health (issue 16)', () => {
  const FAMILY = 'netrx_nats_stream_event_consumers_recreated_total';

  it("counts a host's event durable that existed with another config, by host", async () => {
    const clock = new VirtualClock(1_700_000_000_000);
    const stream = new FakeJetStream({ maxMsgs: 100 });
    // Durable `netrx-reader-lab-x-a-b` made for host `b` (reader id `x-a`)...
    const before = makeReader(clock, stream, 'b', {}, 'x-a');
    before.table.closeSession(before.table.openSession('lab'));
    await settle();
    // ...is host `a-b`'s durable for reader id `x`: its filter is another host's.
    const after = makeReader(clock, stream, 'a-b', {}, 'x');
    expect(samples(after.source, FAMILY)).toEqual({});
    const handle = after.table.openSession('lab');
    await settle();
    expect(samples(after.source, FAMILY)).toEqual({
      '{session="lab",host="a-b",reason="config"}': 1,
    });
    expect(after.source.handOverStats()).toMatchObject({
      consumersReplaced: 0,
      eventConsumersReplaced: { 'a-b': 1 },
      eventConsumersGone: {},
    });
    expect(servedStatus(after.source)['handOver']).toMatchObject({
      eventConsumersReplaced: { 'a-b': 1 },
    });
    after.table.closeSession(handle);
  });
});
