/**
 * The upgrade's read of a legacy loss durable's acked reports
 * (`natsLossUpgradePort(...).reportsUpTo`, nats-loss-upgrade.ts) on a real
 * nats-server (Debian nats-server v2.9.10, RECORDED_NATS_VERSION; a private
 * `nats-server -js` on a free loopback port, store in an r-d2-* temp dir,
 * killed by its PID). Under CI=true a missing nats-server fails.
 *
 * review16d survivor M3: reading one report past the ack floor passed every
 * test, because the report at the floor ends the read first. It shows only
 * when that report has left the stream (its run's later report replaced
 * it, or the limits removed it) and a report nobody acked follows: taking
 * that one as delivered would make its loss a floor, never counted.
 *
 * review16d D2: which consumers the upgrade adopts, judged on the consumer
 * info this server returns (the fields it fills in itself included).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureFloorStream } from '../../src/node/cluster/floor-stream.js';
import { natsLossUpgradePort } from '../../src/node/cluster/nats-loss-upgrade.js';
import { jetStreamAdmin } from '../../src/node/cluster/stream-admin.js';
import { LossDurableUpgrade, type LossUpgradePort } from '../../src/node/cluster/loss-upgrade.js';
import {
  RECORDED_NATS_VERSION,
  natsAlone,
  requireNatsServer,
  type NatsNode,
} from './support/nats.js';

const peers = requireNatsServer('nats-loss-upgrade-port.test.ts');
const workdir = mkdtempSync(join(tmpdir(), `r-d2-nats-${process.pid}-`));
let server: NatsNode | undefined;
let bare: NatsConnection | undefined;
let js: JetStreamClient;
let jsm: JetStreamManager;
let port: LossUpgradePort;
const floorsPublished: string[] = [];

beforeAll(async () => {
  if (peers.skip) return;
  server = await natsAlone(workdir);
  await server.start();
  bare = await connect({ servers: server.url });
  js = jetstream(bare);
  jsm = await jetstreamManager(bare);
  port = natsLossUpgradePort(
    js,
    jsm,
    JetStreamApiError,
    async (subject, data, msgId) => {
      floorsPublished.push(subject);
      await js.publish(subject, data, { msgID: msgId });
      return { kind: 'stored', duplicate: false };
    },
    1000,
  );
}, 20_000);

afterAll(async () => {
  await bare?.close();
  await server?.kill();
  rmSync(workdir, { recursive: true, force: true });
});

const encoder = new TextEncoder();

/** A loss stream of `session` holding run `r1` of lab-1 reporting 1, 2, 3 lost (seqs 1, 2, 3). */
async function threeReports(session: string): Promise<string> {
  const stream = `netrx-loss-${session}`;
  await jsm.streams.add({ name: stream, subjects: [`netrxloss.${session}.>`] });
  for (let lost = 1; lost <= 3; lost++) {
    const report = JSON.stringify({ instance: 'r1', lost, prev: lost - 1 });
    await js.publish(`netrxloss.${session}.lab-1.r1`, encoder.encode(report));
  }
  return stream;
}

async function seqsUpTo(stream: string, filter: string, upTo: number): Promise<number[]> {
  const seqs: number[] = [];
  for await (const report of port.reportsUpTo(stream, filter, upTo)) seqs.push(report.seq);
  return seqs;
}

describe.skipIf(peers.skip)(
  `the upgrade reads a durable's acked reports, ${RECORDED_NATS_VERSION}`,
  () => {
    it('a floor stream no reader has made yet holds no floor (10059 is no floor, not a failure)', async () => {
      await expect(port.lastMessage('netrxfloor-none', 'netrxfloor.none.lab-1')).resolves.toBe(
        undefined,
      );
      // Any other failure still rejects: a stream name the server refuses.
      await expect(port.lastMessage('bad name', 'netrxfloor.none.lab-1')).rejects.toThrow();
    }, 30_000);

    it('reads every report up to the ack floor and none after it', async () => {
      const stream = await threeReports('m3a');
      expect(await seqsUpTo(stream, 'netrxloss.m3a.*.*', 2)).toEqual([1, 2]);
    }, 30_000);

    it('stops before an unacked report when the report at the floor was removed (M3)', async () => {
      const stream = await threeReports('m3b');
      // Acked up to seq 2, which left the stream; seq 3 was never acked.
      expect(await jsm.streams.deleteMessage(stream, 2)).toBe(true);
      expect(await seqsUpTo(stream, 'netrxloss.m3b.*.*', 2)).toEqual([1]);
    }, 30_000);

    it('adopts a durable made as netrx made it, not one made with the server defaults (D2)', async () => {
      const stream = await threeReports('d2s');
      // As a reader's bind does before it adopts (floor-stream.ts): floors are stored there.
      expect(await ensureFloorStream(jetStreamAdmin(jsm, JetStreamApiError), stream)).toBe(true);
      const made = async (name: string, maxAckPending?: number) => {
        await jsm.consumers.add(stream, {
          durable_name: name,
          filter_subject: 'netrxloss.d2s.*.*',
          ack_policy: 'explicit',
          deliver_policy: 'all',
          ...(maxAckPending === undefined ? {} : { max_ack_pending: maxAckPending }),
        });
        const batch = await js.consumers
          .get(stream, name)
          .then((c) => c.fetch({ max_messages: 10, expires: 1000 }));
        for await (const m of batch) await m.ackAck();
        expect((await jsm.consumers.info(stream, name)).ack_floor.stream_seq).toBe(3);
      };
      // A name netrx could have given, but nats-server's default max_ack_pending: not netrx's.
      await made('netrx-reader-d2s-ops-loss');
      const foreign = new LossDurableUpgrade(port, stream, 64, new Map());
      await foreign.adopt('netrx-reader-d2s-new-loss', []);
      expect([foreign.floors.size, floorsPublished.length]).toEqual([0, 0]);
      // As c5ee538 made it.
      await made('netrx-reader-d2s-old-loss', 4096);
      const legacy = new LossDurableUpgrade(port, stream, 64, new Map());
      await legacy.adopt('netrx-reader-d2s-new-loss', []);
      expect(legacy.floors).toEqual(new Map([['lab-1', new Map([['r1', 3]])]]));
      // In the floor stream only (review16e L3).
      expect(floorsPublished).toEqual(['netrxfloor.d2s.lab-1']);
    }, 30_000);
  },
);
