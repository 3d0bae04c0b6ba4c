/**
 * review16e R16E-L3, against a real nats-server (Debian nats-server
 * v2.9.10, RECORDED_NATS_VERSION; a private `nats-server -js` on a free
 * loopback port, its store in a review16e-nats-* temp dir, killed by its
 * PID). Under CI=true a missing nats-server fails (requireNatsServer).
 *
 * A host's loss floor lives on `netrxloss.<session>.<host>.floor.acked` in
 * the loss stream, and a next holder reads only the newest one. But the
 * stream's per-subject limit is the reports' (LOSS_REPORTS_PER_RUN, 1,024),
 * and floors are published without `Nats-Rollup: sub`, so every host keeps
 * 1,024 floors where it needs one. Since verify16d N2 a holder stores a
 * floor per delivered buffer that carried some of a host's loss, so a lossy
 * host reaches 1,024 within minutes; about 977 such hosts fill the loss
 * stream's `max_msgs` (1,000,000, discard old), and from then on every new
 * floor or report evicts the oldest message of the stream: a quiet host's
 * only floor, or a run's only report. This shows the retention (it holds
 * as stated: 1,024 kept of 1,100 published), not the eviction (a million
 * messages is not a test).
 *
 * Left as it is on r-floors, on purpose (the second test): the fix the
 * review suggests, `Nats-Rollup: sub` with `allow_rollup_hdrs: true` on the
 * loss stream, would let every publisher purge the whole loss stream. A
 * host's NATS user may publish only its own report subjects
 * (`netrxloss.<session>.<host>.*`, docs/cluster.md "NATS permissions"), but
 * JetStream takes `Nats-Rollup: all` on any subject of a stream that allows
 * rollups and removes every message of the stream: every other host's
 * reports and floors. 2.9.10 also refuses `deny_purge` with rollups ("roll-ups
 * require the purge permission"), so that cannot be narrowed. Floors need a
 * stream of their own (`max_msgs_per_subject: 1`, subjects no publisher may
 * publish to) to be kept one per host; see the r-floors report.
 */
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeLossFloor, lossFloorSubject } from '../../src/node/cluster/loss-floors.js';
import { wantedLossStream, resolveStreamLimits } from '../../src/node/cluster/stream-config.js';
import { lossStreamName } from '../../src/node/cluster/subjects.js';
import { RECORDED_NATS_VERSION, requireNatsServer } from '../interop/support/nats.js';
import { natsSuite } from '../interop/support/nats-suite.js';

const peers = requireNatsServer('review16e-floor-retention.test.ts');
const nats = natsSuite(peers, 'review16e-nats');
let bare: NatsConnection | undefined;
let jsm: JetStreamManager;

beforeAll(async () => {
  if (peers.skip) return;
  bare = await connect({ servers: nats.server.url });
  jsm = await jetstreamManager(bare);
}, 20_000);

afterAll(async () => {
  await bare?.close();
});

describe.skipIf(peers.skip)(
  `review16e: loss floors kept per host (${RECORDED_NATS_VERSION})`,
  () => {
    it('the loss stream keeps 1,024 floors of one host, where the next holder reads one', async () => {
      const link = await nats.link();
      await link.ensureStream('floors', {});
      const subject = lossFloorSubject('floors', 'lab-1');
      for (let i = 1; i <= 1100; i++) {
        const floor = encodeLossFloor(
          new Map([['run1', i]]),
          new Map([['run1', 1_700_000_000_000]]),
        );
        const outcome = await link.publish(subject, floor, `review16e-floor-${i}`);
        expect(outcome.kind).toBe('stored');
      }
      const info = await jsm.streams.info(lossStreamName('floors'), { subjects_filter: subject });
      const config = info.config;
      console.info(
        `loss stream: max_msgs_per_subject ${config.max_msgs_per_subject}, max_msgs ${config.max_msgs}, discard ${config.discard}, allow_rollup_hdrs ${String(config.allow_rollup_hdrs)}; floors of lab-1 kept: ${info.state.subjects?.[subject]}`,
      );
      expect(info.state.subjects?.[subject]).toBe(1024);
      expect(config.max_msgs).toBe(1_000_000);
      expect(config.discard).toBe('old');
      // 1,000,000 / 1,024 floors: the hosts whose floors alone fill the stream.
      expect(Math.ceil(config.max_msgs / 1024)).toBe(977);
      // Why not roll them up on this stream: see the next test.
      expect(config.allow_rollup_hdrs).toBe(false);
    }, 60_000);

    it("with rollups allowed, one host's report subject purges every host's reports and floors", async () => {
      // The loss stream as netrx makes it, with only allow_rollup_hdrs changed.
      const wanted = wantedLossStream('rollups', resolveStreamLimits({}));
      await jsm.streams.add({
        ...wanted,
        subjects: [...wanted.subjects],
        name: lossStreamName('rollups'),
        allow_rollup_hdrs: true,
      });
      const link = await nats.link();
      const report = new TextEncoder().encode(JSON.stringify({ instance: 'run9', lost: 7 }));
      expect((await link.publish('netrxloss.rollups.lab-2.run9', report, 'r2')).kind).toBe(
        'stored',
      );
      const floor = encodeLossFloor(new Map([['run9', 7]]));
      const floorSubject = lossFloorSubject('rollups', 'lab-2');
      expect((await link.publish(floorSubject, floor, 'f2')).kind).toBe('stored');
      // lab-1's publisher, on a subject its permissions give it (its own run's reports).
      const nc = await connect({ servers: nats.server.url });
      try {
        const js = (await import('@nats-io/jetstream')).jetstream(nc);
        const all = headers();
        all.set('Nats-Rollup', 'all');
        await js.publish('netrxloss.rollups.lab-1.run1', report, { headers: all });
      } finally {
        await nc.close();
      }
      const info = await jsm.streams.info(lossStreamName('rollups'), { subjects_filter: '>' });
      console.info(`after lab-1's Nats-Rollup: all: ${JSON.stringify(info.state.subjects)}`);
      expect(Object.keys(info.state.subjects ?? {})).toEqual(['netrxloss.rollups.lab-1.run1']);
    }, 30_000);
  },
);
