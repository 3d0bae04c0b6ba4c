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
 * Fixed on r-floors (loss-floors.ts `storeLossFloor`): floors are stored with
 * `Nats-Rollup: sub` and the loss stream allows it, so one is kept. Seen
 * failing first with the header left off: 1,024 kept (`expected 1024 to be 1`).
 * The upgrade cases: a loss stream an older netrx made (no
 * `allow_rollup_hdrs`) is updated by a publisher's start and by a reader's
 * (createOnly); an older reader's floors (no header) pile up only until the
 * next floor rolls them up; and a floor for a loss stream not updated yet
 * is still stored (without the header, as before).
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  encodeLossFloor,
  lossFloorSubject,
  parseLossFloor,
  storeLossFloor,
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
    const floorOf = (i: number) =>
      encodeLossFloor(new Map([['run1', i]]), new Map([['run1', 1_700_000_000_000]]));
    const kept = async (session: string, subject: string) => {
      const info = await jsm.streams.info(lossStreamName(session), { subjects_filter: subject });
      return info.state.subjects?.[subject] ?? 0;
    };
    const newest = async (session: string, subject: string) => {
      const stored = await jsm.streams.getMessage(lossStreamName(session), {
        last_by_subj: subject,
      });
      return Object.fromEntries(parseLossFloor(stored?.data ?? new Uint8Array(), 8) ?? []);
    };
    /** The loss stream as a netrx before rollups made it (no allow_rollup_hdrs). */
    const oldLossStream = async (session: string) => {
      const wanted = wantedLossStream(session, resolveStreamLimits({}));
      const { allow_rollup_hdrs: _dropped, ...old } = wanted;
      await jsm.streams.add({ ...old, subjects: [...old.subjects], name: lossStreamName(session) });
    };

    it('the loss stream keeps one floor of a host, the newest (1,100 stored)', async () => {
      const link = await nats.link();
      await link.ensureStream('floors', {});
      const subject = lossFloorSubject('floors', 'lab-1');
      for (let i = 1; i <= 1100; i++) {
        const outcome = await storeLossFloor(
          (...args) => link.publish(...args),
          subject,
          floorOf(i),
          `review16e-floor-${i}`,
        );
        expect(outcome.kind).toBe('stored');
      }
      const info = await jsm.streams.info(lossStreamName('floors'));
      const config = info.config;
      const floors = await kept('floors', subject);
      console.info(
        `loss stream: max_msgs_per_subject ${config.max_msgs_per_subject}, max_msgs ${config.max_msgs}, discard ${config.discard}, allow_rollup_hdrs ${String(config.allow_rollup_hdrs)}; floors of lab-1 kept: ${floors}`,
      );
      expect(floors).toBe(1);
      expect(await newest('floors', subject)).toEqual({ run1: 1100 });
      expect(config.allow_rollup_hdrs).toBe(true);
      // The reports' limit is unchanged: a run keeps its 1,024 reports.
      expect(config.max_msgs_per_subject).toBe(1024);
    }, 60_000);

    it("an older netrx's loss stream is updated to allow rollups by a publisher's start", async () => {
      await oldLossStream('oldpub');
      const link = await nats.link();
      const done = await link.ensureStream('oldpub', {});
      const changes = done.flatMap((r) => r.changes).map((c) => [c.setting, c.have, c.want]);
      expect(changes).toContainEqual(['allow_rollup_hdrs', 'false', 'true']);
      expect((await jsm.streams.info(lossStreamName('oldpub'))).config.allow_rollup_hdrs).toBe(
        true,
      );
    }, 30_000);

    it("and by a reader's (createOnly: a permission, nothing else changes)", async () => {
      await oldLossStream('oldread');
      const before = (await jsm.streams.info(lossStreamName('oldread'))).config;
      const link = await nats.link();
      const done = await link.ensureStream('oldread', { createOnly: true });
      const loss = done.find((r) => r.stream === lossStreamName('oldread'));
      expect(loss?.changes.map((c) => c.setting)).toEqual(['allow_rollup_hdrs']);
      const after = (await jsm.streams.info(lossStreamName('oldread'))).config;
      expect({ ...after, allow_rollup_hdrs: false }).toEqual({
        ...before,
        allow_rollup_hdrs: false,
      });
      expect(after.allow_rollup_hdrs).toBe(true);
    }, 30_000);

    it('a loss stream not updated yet still stores a floor (without the header)', async () => {
      await oldLossStream('notyet');
      const link = await nats.link();
      const subject = lossFloorSubject('notyet', 'lab-1');
      // 2.9.10 refuses the header itself here (10111 rollup not permitted).
      const refused = await link.publish(subject, floorOf(1), 'notyet-1', { rollup: true });
      expect(refused).toMatchObject({ kind: 'refused', reason: 'rollup not permitted' });
      const outcome = await storeLossFloor(
        (...args) => link.publish(...args),
        subject,
        floorOf(2),
        'notyet-2',
      );
      expect(outcome.kind).toBe('stored');
      expect(await newest('notyet', subject)).toEqual({ run1: 2 });
    }, 30_000);

    it("an older reader's floors (no header) are rolled up by the next floor; reports stay", async () => {
      const link = await nats.link();
      await link.ensureStream('mixed', {});
      const subject = lossFloorSubject('mixed', 'lab-1');
      const report = 'netrxloss.mixed.lab-1.run1';
      const reportData = new TextEncoder().encode(JSON.stringify({ instance: 'run1', lost: 9 }));
      expect((await link.publish(report, reportData, 'mixed-report')).kind).toBe('stored');
      for (let i = 1; i <= 3; i++) {
        // An older reader: a plain publish, and it reads the newest floor as before.
        expect((await link.publish(subject, floorOf(i), `mixed-old-${i}`)).kind).toBe('stored');
      }
      expect(await kept('mixed', subject)).toBe(3);
      expect(await newest('mixed', subject)).toEqual({ run1: 3 });
      const outcome = await storeLossFloor(
        (...args) => link.publish(...args),
        subject,
        floorOf(4),
        'mixed-new-4',
      );
      expect(outcome.kind).toBe('stored');
      expect(await kept('mixed', subject)).toBe(1);
      expect(await newest('mixed', subject)).toEqual({ run1: 4 });
      expect(await kept('mixed', report)).toBe(1);
    }, 30_000);
  },
);
