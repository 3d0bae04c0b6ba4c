// `/metrics` of a session served from a stream: the loss reports it could
// not track (review16d D1). Such a report's growth reaches no
// NET_EVENT_LOST; before this family it showed only in /health's stats
// spread. Driven through the real reader over the fake JetStream with one
// run slot: two runs that both lose, the second one's report is untracked.
import { describe, expect, it } from 'vitest';
import { SessionTable } from '../../capture/index.js';
import { VirtualClock } from '../../testing/index.js';
import { TraceRegistry } from '../../trace/index.js';
import { StreamSessionSource } from '../cluster/index.js';
import { FakeJetStream } from '../cluster/fake-jetstream.js';
import { makeHost, settle } from '../cluster/test-kit.js';
import { servedMetrics } from './capture-nats.js';
import { formatMetrics } from './metrics.js';
import { natsCaptureMetrics } from './nats-metrics.js';

const FAMILY = 'netrx_nats_stream_untracked_reports_total';

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

describe('untracked loss reports in /metrics (review16d D1)', () => {
  it('counts a lossy run that found no run slot', async () => {
    const clock = new VirtualClock(1_700_000_000_000);
    const stream = new FakeJetStream({ maxMsgs: 1000, maxMsgsPerSubject: 1 });
    const table = new SessionTable({ registry: new TraceRegistry({ clock }), clock });
    const source = new StreamSessionSource({
      port: stream,
      session: 'lab',
      hosts: 'lab-1',
      durable: 'netrx-reader-lab-m',
      clock,
      maxPublishers: 1,
    });
    table.createSession({ name: 'lab', providers: [], source, limits: { timerMs: 100 } }).start();
    table.openSession('lab');
    await settle();
    expect(scrape(source)).toContain(`${FAMILY}{session="lab"} 0`);
    const reported: number[] = [];
    for (const instance of ['first', 'second']) {
      const run = makeHost(clock, stream, 'lab-1', { instance });
      await run.emitAlone(0);
      await run.emitAlone(1); // the subject holds one: refused, its loss report goes out at once
      await settle();
      reported.push(run.publisher.stats().reportedLost);
      stream.deliver();
      await settle();
      run.publisher.close();
    }
    expect(reported.every((lost) => lost > 0)).toBe(true);
    // The first run took the one slot; the second one's loss is untracked, and counted.
    expect(source.stats()).toMatchObject({ publisherLost: reported[0], untrackedReports: 1 });
    const lines = scrape(source);
    expect(lines).toContain(`${FAMILY}{session="lab"} 1`);
    expect(lines).toContain(`# TYPE ${FAMILY} counter`);
  });
});
