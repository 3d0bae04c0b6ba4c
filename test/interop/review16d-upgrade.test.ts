/**
 * review16d D2 on a real nats-server (Debian nats-server v2.9.10,
 * RECORDED_NATS_VERSION; a private `nats-server -js` on a free loopback
 * port, store in a review16d-* temp dir, killed by its PID). Under CI=true
 * a missing nats-server fails.
 *
 * An operator's own pull durable on the loss stream (`nats consumer add`
 * defaults: no `inactive_threshold`), reading and acking every report to
 * alert on loss, is taken by verify16c V1/V2's upgrade step as a netrx
 * reader from before floors: its ack floor becomes loss floors, and a
 * reader that binds a new loss durable counts none of the loss. Pinned as
 * `it.fails` on main d61e9b8 (seen failing: lost 0 of 5); flipped by r-d2
 * once only durables of netrx's legacy shape are adopted (legacy-loss-durable.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNatsCapture, type NatsCaptureLink } from '../../src/node/cluster/index.js';
import {
  RECORDED_NATS_VERSION,
  natsAlone,
  publishingHost,
  readerSession,
  requireNatsServer,
  until,
  type NatsNode,
} from './support/nats.js';

const peers = requireNatsServer('review16d-upgrade.test.ts');
const workdir = mkdtempSync(join(tmpdir(), `review16d-nats-${process.pid}-`));
let server: NatsNode | undefined;
let bare: NatsConnection | undefined;
let jsm: JetStreamManager;
const links: NatsCaptureLink[] = [];

beforeAll(async () => {
  if (peers.skip) return;
  server = await natsAlone(workdir);
  await server.start();
  bare = await connect({ servers: server.url });
  jsm = await jetstreamManager(bare);
}, 20_000);

afterAll(async () => {
  for (const l of links) await l.close().catch(() => undefined);
  await bare?.close();
  await server?.kill();
  rmSync(workdir, { recursive: true, force: true });
});

async function link(): Promise<NatsCaptureLink> {
  const l = await connectNatsCapture({ servers: (server as NatsNode).url, timeoutMs: 1000 });
  links.push(l);
  return l;
}

/** 10 one-event messages into a 5-message budget, no reader yet: 5 stored, 5 refused. */
async function fiveLost(session: string): Promise<void> {
  const l = await link();
  await l.ensureStream(session, { maxBytes: 1024 * 1024, maxMsgs: 5 });
  const lab = publishingHost(l, 'lab-1', session);
  for (let i = 0; i < 10; i++) {
    lab.emit(1);
    await until(() => lab.publisher.settled, 5000, 'lab-1 settled');
  }
  await until(() => lab.publisher.stats().reportedLost === 5, 5000, 'loss reported').catch(
    () => undefined,
  );
  expect([lab.publisher.stats().stored, lab.publisher.stats().refused]).toEqual([5, 5]);
}

/** An alerting tool's durable: every report of the session read and acked. */
async function operatorReadsLoss(session: string): Promise<void> {
  const stream = `netrx-loss-${session}`;
  await jsm.consumers.add(stream, {
    durable_name: 'ops-loss-alerts',
    filter_subject: `netrxloss.${session}.>`,
    ack_policy: 'explicit',
    deliver_policy: 'all',
  });
  const consumer = await jetstream(bare as NatsConnection).consumers.get(stream, 'ops-loss-alerts');
  const batch = await consumer.fetch({ max_messages: 100, expires: 1000 });
  for await (const m of batch) await m.ackAck();
  expect((await jsm.consumers.info(stream, 'ops-loss-alerts')).num_pending).toBe(0);
}

async function firstReader(session: string) {
  const reader = readerSession(await link(), session, 'lab-*', { readerId: 'fresh' });
  await until(() => reader.delivered() >= 5, 15_000, 'the 5 stored events delivered');
  await until(() => reader.lost >= 5, 3000, 'the 5 lost').catch(() => undefined);
  const seen = {
    delivered: reader.delivered(),
    lost: reader.lost,
    adopted: reader.source.handOverStats().floorsAdopted,
  };
  await reader.close();
  return seen;
}

describe.skipIf(peers.skip)(
  `review16d D2: a non-netrx consumer on the loss stream, ${RECORDED_NATS_VERSION}`,
  () => {
    it('control: the first reader of a session counts the 5 lost', async () => {
      await fiveLost('d2a');
      const seen = await firstReader('d2a');
      console.info(`D2 control: delivered ${seen.delivered}, lost ${seen.lost}`);
      expect({ delivered: seen.delivered, lost: seen.lost }).toEqual({ delivered: 5, lost: 5 });
    }, 60_000);

    it('after an alerting durable acked the reports, the first reader still counts the 5 (fixed)', async () => {
      await fiveLost('d2b');
      await operatorReadsLoss('d2b');
      const seen = await firstReader('d2b');
      console.info(
        `D2: delivered ${seen.delivered}, lost ${seen.lost}, floors adopted ${seen.adopted}`,
      );
      expect({ delivered: seen.delivered, lost: seen.lost }).toEqual({ delivered: 5, lost: 5 });
    }, 60_000);
  },
);
