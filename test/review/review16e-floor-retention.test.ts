/**
 * review16e R16E-L3, against a real nats-server (Debian nats-server
 * v2.9.10, RECORDED_NATS_VERSION; a private `nats-server -js` on a free
 * loopback port, its store in a review16e-nats-* temp dir, killed by its
 * PID). Under CI=true a missing nats-server fails (requireNatsServer).
 *
 * Was: a host's loss floor lived on `netrxloss.<session>.<host>.floor.acked`
 * in the loss stream, whose per-subject limit is the reports'
 * (LOSS_REPORTS_PER_RUN, 1,024), so every host kept 1,024 floors where a
 * next holder reads one; about 977 lossy hosts filled the loss stream's
 * `max_msgs` (1,000,000, discard old), and from then on every new message
 * evicted the oldest: a quiet host's only floor, or a run's only report.
 *
 * Fixed (r-floorstream): floors go to a stream of their own that readers
 * make (`netrxfloor-<session>`, `max_msgs_per_subject: 1`, discard old, no
 * rollups). The first test is the regression check: 1,100 floors of one
 * host leave 1 in the floor stream and none in the loss stream (before the
 * fix: 1,024 in the loss stream). It names the floor stream by its literal
 * name so that it runs, and fails, against the code before the fix.
 *
 * The second test stays as it was: it shows why not `Nats-Rollup: sub`
 * with `allow_rollup_hdrs: true` on the loss stream. A host's NATS user
 * may publish only its own report subjects (`netrxloss.<session>.<host>.*`,
 * docs/cluster.md "NATS permissions"), but JetStream takes `Nats-Rollup:
 * all` on any subject of a stream that allows rollups and removes every
 * message of the stream: every other host's reports and floors. 2.9.10
 * also refuses `deny_purge` with rollups ("roll-ups require the purge
 * permission"), so that cannot be narrowed.
 */
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LossFloors,
  encodeLossFloor,
  legacyLossFloorSubject,
  lossFloorSubject,
} from '../../src/node/cluster/loss-floors.js';
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
    it('1,100 floors of one host: the floor stream holds 1, the loss stream none', async () => {
      const link = await nats.link();
      // As a reader makes its streams (capture serve, a `netrx up` serve entry).
      await link.ensureStream('floors', { createOnly: true });
      const floors = new LossFloors(link, 'floors', 'review16e-reader', 16);
      const subject = lossFloorSubject('floors', 'lab-1');
      for (let i = 1; i <= 1100; i++) {
        const floor = encodeLossFloor(
          new Map([['run1', i]]),
          new Map([['run1', 1_700_000_000_000]]),
        );
        const outcome = await link.publish(subject, floor, `review16e-floor-${i}`);
        expect(outcome.kind).toBe('stored');
      }
      const loss = await jsm.streams.info(lossStreamName('floors'), { subjects_filter: '>' });
      console.info(`loss stream after 1,100 floors: ${JSON.stringify(loss.state.subjects ?? {})}`);
      expect(loss.state.messages).toBe(0);
      // The floor stream's literal name: this test predates floorStreamName (see above).
      const info = await jsm.streams.info('netrxfloor-floors', { subjects_filter: '>' });
      const config = info.config;
      console.info(
        `floor stream: subjects ${config.subjects.join(',')}, max_msgs_per_subject ${config.max_msgs_per_subject}, discard ${config.discard}, allow_rollup_hdrs ${String(config.allow_rollup_hdrs)}, max_age ${config.max_age}; floors of lab-1 kept: ${info.state.subjects?.[subject]}`,
      );
      expect(info.state.subjects?.[subject]).toBe(1);
      expect(info.state.messages).toBe(1);
      expect(config.max_msgs_per_subject).toBe(1);
      expect(config.discard).toBe('old');
      expect(config.allow_rollup_hdrs).toBe(false);
      expect(config.max_age).toBe(7 * 24 * 3600 * 1_000_000_000);
      // The next holder reads the newest.
      expect((await floors.read('lab-1')).runs).toEqual(new Map([['run1', 1100]]));
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
      // A floor where netrx stored it before the floor stream (in the loss stream).
      const floorSubject = legacyLossFloorSubject('rollups', 'lab-2');
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
