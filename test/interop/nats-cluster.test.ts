/**
 * Capture fan-in across a three-node NATS JetStream cluster (Debian
 * nats-server, a peer nobody here wrote): three `nats-server` processes on
 * loopback with their own client and route ports and store directories,
 * the session's streams with three replicas. Three netrx publishers, each
 * connected first to a different node, feed one session; one reader spans
 * them (`lab-*`). Checked per host by sequence number: what the reader
 * delivered is what that host's publisher stored, once each, and the
 * reader's NET_EVENT_LOST is the publishers' loss, exactly, while one node
 * is SIGKILLed and restarted mid-run and while the stream is full.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNatsCapture, type NatsCaptureLink } from '../../src/node/cluster/index.js';
import {
  RECORDED_NATS_VERSION,
  delay,
  expectUnique,
  natsCluster,
  publishingHost,
  readerSession,
  requireNatsServer,
  until,
  type NatsNode,
  type PublishingHost,
} from './support/nats.js';

const peers = requireNatsServer('nats-cluster.test.ts');
const workdir = mkdtempSync(join(tmpdir(), `netrx-nats-cluster-${process.pid}-`));
let nodes: NatsNode[] = [];
const links: NatsCaptureLink[] = [];

beforeAll(async () => {
  if (peers.skip) return;
  nodes = await natsCluster(workdir, 3);
  await Promise.all(nodes.map((node) => node.start()));
}, 30_000);

afterAll(async () => {
  for (const link of links) await link.close().catch(() => undefined);
  for (const node of nodes) await node.kill();
  rmSync(workdir, { recursive: true, force: true });
});

/**
 * A connection that tries node `first` before the others. JetStream answers
 * "temporarily unavailable" until the fresh cluster has elected its
 * metadata leader: retry for a while.
 */
async function linkTo(first: number): Promise<NatsCaptureLink> {
  const order = [...nodes.slice(first), ...nodes.slice(0, first)].map((node) => node.url);
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const link = await connectNatsCapture({ servers: order, noRandomize: true, timeoutMs: 1000 });
      links.push(link);
      return link;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await delay(250);
    }
  }
}

/** Creates the session's streams with three replicas, once the cluster has a metadata leader. */
async function replicatedStreams(link: NatsCaptureLink, session: string, maxMsgs: number) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await link.ensureStream(session, { maxBytes: 64 * 1024 * 1024, maxMsgs, replicas: 3 });
      return;
    } catch (error) {
      // "JetStream system temporarily unavailable" until the cluster elects its leader.
      if (Date.now() > deadline) throw error;
      await delay(250);
    }
  }
}

async function hosts(session: string, maxMsgs: number, maxBuffered = 100_000) {
  const published: PublishingHost[] = [];
  for (let i = 0; i < 3; i++) {
    const link = await linkTo(i);
    if (i === 0) await replicatedStreams(link, session, maxMsgs);
    published.push(publishingHost(link, `lab-${i + 1}`, session, maxBuffered));
  }
  return published;
}

/** Per host: the reader delivered what the publisher stored, each once. */
function expectExactPerHost(
  reader: ReturnType<typeof readerSession>,
  published: readonly PublishingHost[],
): void {
  for (const host of published) {
    expectUnique(reader.seen, host.host, host.emitted);
    expect(reader.seen.get(host.host)?.length ?? 0, `${host.host} delivered`).toBe(
      host.publisher.stats().stored,
    );
  }
  const lost = published.reduce((n, h) => n + h.publisher.lost, 0);
  expect(reader.lost).toBe(lost + reader.source.stats().queueLost);
  expect(reader.lostNotLast).toBe(0);
}

describe.skipIf(peers.skip)(
  `capture fan-in over a three-node ${RECORDED_NATS_VERSION} cluster`,
  () => {
    it('one node SIGKILLed and restarted mid-run: delivered + lost = emitted, per host', async () => {
      const published = await hosts('fleet', 1_000_000);
      const reader = readerSession(await linkTo(2), 'fleet', 'lab-*');
      let producing = true;
      const producer = (async () => {
        while (producing) {
          for (const host of published) host.emit(40);
          await delay(10);
        }
      })();
      await delay(600);
      // lab-1's first node: its publisher must move to another node and retry what was in flight.
      await (nodes[0] as NatsNode).kill();
      const storedAt = () => published.reduce((n, h) => n + h.publisher.stats().stored, 0);
      await delay(100);
      const storedAfterKill = storedAt();
      // Two of three replicas are up: once they have a leader the stream takes events again.
      await until(
        () => storedAt() > storedAfterKill + 1000,
        15_000,
        'the stream to take events with a node down',
      );
      const storedDuringOutage = storedAt() - storedAfterKill;
      await (nodes[0] as NatsNode).start();
      await delay(800);
      producing = false;
      await producer;
      const emitted = published.reduce((n, h) => n + h.emitted, 0);
      await until(
        () =>
          published.every((h) => h.publisher.settled) &&
          reader.delivered() + reader.lost === emitted,
        45_000,
        `every one of ${emitted} events delivered or reported lost`,
        () => ({
          publishers: published.map((h) => h.publisher.stats()),
          delivered: reader.delivered(),
          lost: reader.lost,
          source: reader.source.stats(),
        }),
      );
      await delay(300);
      expect(reader.delivered() + reader.lost).toBe(emitted);
      expectExactPerHost(reader, published);
      const retries = published.reduce((n, h) => n + h.publisher.stats().retries, 0);
      console.info(
        `cluster: emitted ${emitted}, delivered ${reader.delivered()}, lost ${reader.lost}, publisher retries ${retries}, stored during the outage ${storedDuringOutage}`,
      );
      expect(storedDuringOutage, 'events stored while a node was down').toBeGreaterThan(0);
      await reader.close();
    }, 90_000);

    it('a full replicated stream refuses the newest events; the loss arrives exact per host', async () => {
      // Room for 60 of the 90 messages (10 events each, one per turn).
      const published = await hosts('fleetfull', 60);
      for (let turn = 0; turn < 30; turn++) {
        for (const host of published) host.emit(10);
        await delay(5);
      }
      await until(
        () => published.every((h) => h.publisher.settled),
        20_000,
        'publishes and loss reports to settle',
        () => published.map((h) => h.publisher.stats()),
      );
      const stored = published.reduce((n, h) => n + h.publisher.stats().stored, 0);
      const refused = published.reduce((n, h) => n + h.publisher.stats().refused, 0);
      expect([stored, refused]).toEqual([600, 300]);
      const reader = readerSession(await linkTo(1), 'fleetfull', 'lab-*');
      await until(() => reader.delivered() + reader.lost === 900, 20_000, 'all 900 accounted for');
      await delay(300);
      expect([reader.delivered(), reader.lost]).toEqual([600, 300]);
      expectExactPerHost(reader, published);
      // Tail drop: each host's stored events are its first ones, in order.
      for (const host of published) {
        const list = reader.seen.get(host.host) ?? [];
        expect(list).toEqual([...Array(list.length).keys()]);
      }
      await reader.close();
    }, 60_000);
  },
);
