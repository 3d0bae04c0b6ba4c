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
import { natsLossUpgradePort } from '../../src/node/cluster/nats-loss-upgrade.js';
import type { LossUpgradePort } from '../../src/node/cluster/loss-upgrade.js';
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
    () => Promise.reject(new Error('this test stores no floor')),
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
  },
);
