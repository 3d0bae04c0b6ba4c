/**
 * Issue #16 section 3: a served session's consumer lag against a real NATS
 * JetStream server (Debian nats-server, recorded version below; a private
 * `nats-server -js` on a free loopback port, killed by its PID). A reader
 * whose client stops receiving keeps its messages unacked (their events wait
 * in the session's queue): the sampled consumer info shows the lag rising
 * as the publisher goes on, and falling to zero once the client receives.
 */
import { describe, expect, it } from 'vitest';
import { SessionTable } from '../../src/capture/index.js';
import { StreamSessionSource } from '../../src/node/cluster/index.js';
import type { LagCrossing } from '../../src/node/cluster/lag-sampler.js';
import { systemClock } from '../../src/node/runtime/index.js';
import { TraceRegistry } from '../../src/trace/index.js';
import {
  RECORDED_NATS_VERSION,
  delay,
  publishingHost,
  requireNatsServer,
  until,
} from './support/nats.js';
import { natsSuite } from './support/nats-suite.js';

const peers = requireNatsServer('nats-lag.test.ts');
const nats = natsSuite(peers, 'cl-lag-nats-lag');
const { link } = nats;

describe.skipIf(peers.skip)(`consumer lag over ${RECORDED_NATS_VERSION}`, () => {
  it('a reader that stops reading shows rising lag in consumer info, and none once it reads', async () => {
    const publishing = await link();
    await publishing.ensureStream('lagged', { maxBytes: 1024 * 1024, maxMsgs: 10_000 });
    const host = publishingHost(publishing, 'lag-1', 'lagged');
    const crossings: LagCrossing[] = [];
    const source = new StreamSessionSource({
      port: await link(),
      session: 'lagged',
      hosts: 'lag-1',
      clock: systemClock,
      lag: { everyMs: 100, threshold: 8, onThreshold: (c) => crossings.push(c) },
    });
    const table = new SessionTable({
      registry: new TraceRegistry({ clock: systemClock }),
      clock: systemClock,
    });
    const session = table.createSession({
      name: 'lagged',
      providers: [],
      source,
      limits: { timerMs: 100 },
    });
    session.start();
    const handle = table.openSession('lagged');
    const behind = () => {
      const lag = source.lag();
      return lag === undefined ? 0 : lag.pending + lag.ackPending;
    };
    // One message per turn: each emit goes out alone before the next.
    const publishTurns = async (turns: number) => {
      for (let i = 0; i < turns; i++) {
        host.emit(1);
        await delay(5);
      }
      await until(() => host.publisher.stats().pending === 0, 10_000, 'published');
    };

    await publishTurns(5);
    await until(
      () => behind() >= 5,
      10_000,
      'lag of the first messages',
      () => source.lag(),
    );
    const first = behind();
    await publishTurns(10);
    await until(
      () => behind() > first,
      10_000,
      'lag rising',
      () => source.lag(),
    );
    const lag = source.lag();
    expect(lag?.hosts.map((h) => h.host)).toEqual(['lag-1']);
    // Nobody received: they are delivered and unacked, waiting in the session's queue.
    expect(lag?.ackPending).toBeGreaterThan(first - 1);
    expect(lag?.oldestSampleAgeMs).toBeLessThan(5000);
    expect(crossings.map((c) => [c.host, c.threshold])).toEqual([['lag-1', 8]]);
    expect(session.stats().queuedEvents).toBe(host.emitted);

    // The client receives everything: the messages are acked, and the lag goes to zero.
    let received = 0;
    while (received < host.emitted) {
      const done = await table.receiveData(handle).done;
      if (done.status !== 'data') throw new Error(`receive ended: ${done.status}`);
      received = session.stats().deliveredEvents;
    }
    await until(
      () => source.lag()?.hosts[0]?.ackPending === 0,
      10_000,
      'acked',
      () => source.lag(),
    );
    expect(source.lag()).toMatchObject({ pending: 0, ackPending: 0, redelivered: 0 });
    table.closeSession(handle);
  }, 60_000);
});
