/**
 * verify16c (outside check of review16c's fixes): the loss floors across
 * an upgrade from a netrx that wrote none, against a real nats-server
 * (Debian nats-server v2.9.10, RECORDED_NATS_VERSION; a private
 * `nats-server -js` on a free loopback port, store in a verify16c-* temp
 * dir, killed by its PID). Under CI=true a missing nats-server fails.
 *
 * "Before the upgrade" is simulated on the server: the old reader's loss
 * durable had no `inactive_threshold` (made so by main c5ee538) and no
 * floor was ever stored (floors are new). V1 and V2 were `it.fails` on
 * main 334d402 (seen failing: lost 5 each); r-upgrade's loss-upgrade.ts
 * makes them pass.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readerIdFromHostName } from '../../src/node/cluster/index.js';
import { legacyReaderIdFromHostName } from '../../src/node/cluster/legacy-reader-id.js';
import {
  RECORDED_NATS_VERSION,
  publishingHost,
  readerSession,
  requireNatsServer,
  until,
} from './support/nats.js';
import { emitOneByOne, natsSuite } from './support/nats-suite.js';

const peers = requireNatsServer('verify16c-capture.test.ts');
const nats = natsSuite(peers, 'verify16c-nats');
let bare: NatsConnection | undefined;
let jsm: JetStreamManager;

beforeAll(async () => {
  if (peers.skip) return;
  bare = await connect({ servers: nats.server.url });
  jsm = await jetstreamManager(bare);
}, 20_000);

// Runs before the suite's own afterAll (vitest's stack order): the server is still up.
afterAll(async () => {
  await bare?.close();
});

const { link } = nats;

/** 10 one-event messages into a 5-message budget: 5 stored, 5 refused. */
async function fiveLost(session: string): Promise<void> {
  const l = await link();
  await l.ensureStream(session, { maxBytes: 1024 * 1024, maxMsgs: 5 });
  const lab = publishingHost(l, 'lab-1', session);
  await emitOneByOne(lab, 10);
  expect([lab.publisher.stats().stored, lab.publisher.stats().refused]).toEqual([5, 5]);
}

/**
 * The old netrx's reader `durable` read every loss report and acked it,
 * its client got the 5 (as the old reader did), and no floor exists.
 */
async function oldReaderReadAll(session: string, durable: string): Promise<void> {
  const stream = `netrx-loss-${session}`;
  await jsm.consumers.add(stream, {
    durable_name: durable,
    filter_subject: `netrxloss.${session}.lab-1.*`,
    ack_policy: 'explicit',
    deliver_policy: 'all',
    // As c5ee538 made it: MAX_ACK_PENDING, and no inactive_threshold on a loss durable.
    max_ack_pending: 4096,
  });
  const consumer = await jetstream(bare as NatsConnection).consumers.get(stream, durable);
  const batch = await consumer.fetch({ max_messages: 100, expires: 1000 });
  let acked = 0;
  for await (const m of batch) {
    await m.ackAck();
    acked++;
  }
  expect(acked).toBeGreaterThan(0);
  expect((await jsm.consumers.info(stream, durable)).num_pending).toBe(0);
}

describe.skipIf(peers.skip)(
  `verify16c loss floors across an upgrade, ${RECORDED_NATS_VERSION}`,
  () => {
    it('the same reader id after the upgrade (its loss durable made again for inactive_threshold) does not count the old loss again', async () => {
      await fiveLost('v1');
      // The old netrx (c5ee538) made `<durable>-loss` without inactive_threshold and counted 5.
      await oldReaderReadAll('v1', 'netrx-reader-v1-m-loss');
      const reader = readerSession(await link(), 'v1', 'lab-1', { durable: 'netrx-reader-v1-m' });
      await until(() => reader.delivered() >= 5, 15_000, 'the 5 stored events delivered');
      await until(() => reader.lost > 0, 3000, 'loss again').catch(() => undefined);
      const seen = { delivered: reader.delivered(), lost: reader.lost };
      const replaced = reader.source.handOverStats().consumersReplaced;
      await reader.close();
      console.info(
        `V1: old reader counted 5 lost; after the upgrade (loss durable replaced ${replaced}x) delivered ${seen.delivered}, lost ${seen.lost}`,
      );
      expect(replaced).toBe(1);
      expect(seen.lost).toBe(0);
      // The old loss is now a floor, and the new durable expires when idle (N8).
      // In the floor stream since review16e L3.
      const floor = await jsm.streams.getMessage('netrxfloor-v1', {
        last_by_subj: 'netrxfloor.v1.lab-1',
      });
      expect(floor?.json<{ runs: Record<string, number> }>().runs).toSatisfy(
        (runs: Record<string, number>) => Object.values(runs).reduce((a, b) => a + b, 0) === 5,
      );
      const info = await jsm.consumers.info('netrx-loss-v1', 'netrx-reader-v1-m-loss');
      expect(info.config.inactive_threshold ?? 0).toBeGreaterThan(0);
    }, 60_000);

    it('a new default reader id after the upgrade (N1: a dotted host name) does not count the old loss again, and the old durable is gone', async () => {
      await fiveLost('v2');
      // Old id `capture-server-0` (first label cut to 16); the new one is prefix + digest.
      const machine = 'capture-server-01.lab.example';
      const oldDurable = `netrx-reader-v2-${legacyReaderIdFromHostName(machine)}`;
      expect(oldDurable).toBe('netrx-reader-v2-capture-server-0');
      await oldReaderReadAll('v2', `${oldDurable}-loss`);
      const reader = readerSession(await link(), 'v2', 'lab-1', {
        readerId: readerIdFromHostName(machine),
        upgradedFrom: oldDurable,
      });
      await until(() => reader.delivered() >= 5, 15_000, 'the 5 stored events delivered');
      await until(() => reader.lost > 0, 3000, 'loss again').catch(() => undefined);
      const seen = { delivered: reader.delivered(), lost: reader.lost };
      await reader.close();
      console.info(
        `V2: old id counted 5 lost; the new id delivered ${seen.delivered}, lost ${seen.lost}`,
      );
      expect(seen.lost).toBe(0);
      // N8's leak left by the upgrade: the old id's durable no longer lives for ever.
      const names: string[] = [];
      for await (const c of jsm.consumers.list('netrx-loss-v2')) names.push(c.name);
      expect(names).not.toContain(`${oldDurable}-loss`);
      expect(names).toContain(`netrx-reader-v2-${readerIdFromHostName(machine)}-loss`);
    }, 60_000);
  },
);
