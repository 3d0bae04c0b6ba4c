/**
 * The floor stream across an upgrade (review16e L3), on a real nats-server
 * (Debian nats-server v2.9.10, RECORDED_NATS_VERSION; a private
 * `nats-server -js` on a free loopback port, its store in an
 * r-floorstream-nats-* temp dir, killed by its PID). Under CI=true a
 * missing nats-server fails (requireNatsServer).
 *
 * A reader of a netrx before the floor stream stored its floors on
 * `netrxloss.<session>.<host>.floor.acked` in the loss stream. An upgraded
 * reader taking the host over reads that floor as well as the floor
 * stream's: the loss the old reader's client got is not counted again. The
 * control session, without the old floor, counts it (so the first test can
 * fail). The new reader's own floor goes to the floor stream only.
 */
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  encodeLossFloor,
  legacyLossFloorSubject,
  lossFloorSubject,
  parseLossFloor,
} from '../../src/node/cluster/loss-floors.js';
import { floorStreamName, lossStreamName } from '../../src/node/cluster/subjects.js';
import {
  RECORDED_NATS_VERSION,
  publishingHost,
  readerSession,
  requireNatsServer,
  until,
} from './support/nats.js';
import { natsSuite } from './support/nats-suite.js';

const peers = requireNatsServer('nats-floor-stream.test.ts');
const nats = natsSuite(peers, 'r-floorstream-nats');
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

/** lab-1 publishes 20 events into a budget of 10: 10 stored, 10 lost; its run's name. */
async function tenLost(session: string): Promise<string> {
  const link = await nats.link();
  await link.ensureStream(session, { maxBytes: 1024 * 1024, maxMsgs: 10 });
  const host = publishingHost(link, 'lab-1', session);
  for (let i = 0; i < 20; i++) {
    host.emit(1);
    await until(() => host.publisher.settled, 5000, 'lab-1 settled');
  }
  expect(host.publisher.stats()).toMatchObject({ stored: 10, refused: 10 });
  const info = await jsm.streams.info(lossStreamName(session), {
    subjects_filter: `netrxloss.${session}.lab-1.*`,
  });
  const runs = Object.keys(info.state.subjects ?? {}).map((subject) => subject.split('.')[3]);
  expect(runs).toHaveLength(1);
  return runs[0] ?? '';
}

/** A new reader of `session` takes lab-1: what its client got. */
async function newReader(session: string) {
  const link = await nats.link();
  // As `capture serve` starts: the reader's streams, the floor stream among them.
  await link.ensureStream(session, { createOnly: true });
  const reader = readerSession(link, session, 'lab-*', { readerId: `rfs-${session}` });
  await until(() => reader.delivered() >= 10, 15_000, 'the 10 stored events delivered');
  // Loss, if counted, follows its events at once; give it the reader's timer twice over.
  await until(() => reader.lost >= 10, 1000, 'loss counted').catch(() => undefined);
  await reader.close();
  return { delivered: reader.delivered(), lost: reader.lost, source: reader.source };
}

describe.skipIf(peers.skip)(`the floor stream across an upgrade (${RECORDED_NATS_VERSION})`, () => {
  it("an upgraded reader counts none of the loss an old reader's floor covers", async () => {
    const run = await tenLost('mixed');
    // The old reader's client got the 10 lost; it stored its floor where it did.
    const old = encodeLossFloor(new Map([[run, 10]]), new Map([[run, Date.now()]]));
    const stored = await (
      await nats.link()
    ).publish(legacyLossFloorSubject('mixed', 'lab-1'), old, 'r-floorstream-old-floor');
    expect(stored.kind).toBe('stored');
    const got = await newReader('mixed');
    console.info(`after an old reader's floor of 10: delivered ${got.delivered}, lost ${got.lost}`);
    expect({ delivered: got.delivered, lost: got.lost }).toEqual({ delivered: 10, lost: 0 });
    expect(got.source.handOverStats().lossFloors.unread).toBe(0);
  }, 60_000);

  it("a link's floor read of a floor stream not made yet is no floor, not a failure", async () => {
    const link = await nats.link();
    const subject = lossFloorSubject('nosuch', 'lab-1');
    await expect(link.lastMessage?.(floorStreamName('nosuch'), subject)).resolves.toBe(undefined);
    await expect(link.lastMessage?.('bad name', subject)).rejects.toThrow();
  }, 30_000);

  it('without the old floor the same reader counts the loss, and floors it in the floor stream only', async () => {
    await tenLost('control');
    const got = await newReader('control');
    expect({ delivered: got.delivered, lost: got.lost }).toEqual({ delivered: 10, lost: 10 });
    await until(() => got.source.handOverStats().lossFloors.published > 0, 5000, 'floor published');
    const floors = await jsm.streams.info(floorStreamName('control'), { subjects_filter: '>' });
    const data = (
      await jsm.streams.getMessage(floorStreamName('control'), {
        last_by_subj: lossFloorSubject('control', 'lab-1'),
      })
    )?.data;
    expect(data === undefined ? [] : [...(parseLossFloor(data, 8)?.values() ?? [])]).toEqual([10]);
    expect(floors.state.messages).toBe(1);
    const legacy = await jsm.streams.info(lossStreamName('control'), {
      subjects_filter: 'netrxloss.control.*.floor.acked',
    });
    expect(legacy.state.subjects ?? {}).toEqual({});
  }, 60_000);
});
