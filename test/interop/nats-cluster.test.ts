/**
 * Capture fan-in across a three-node NATS JetStream cluster (Debian
 * nats-server 2.9.10, a peer nobody here wrote): three `nats-server`
 * processes on loopback with their own client and route ports and store
 * directories, the session's streams with three replicas. Three netrx hosts,
 * each connected first to a different node, publish synthetic events and
 * the packet events of their adapter (netrx/link's packet-capture provider
 * on a wire the test sends numbered frames on). A capture server attached to
 * the cluster serves the session that spans them (`lab-*`) over loopback,
 * and a real client reads it: netrx's WebSocket capture client while one
 * node is SIGKILLed and restarted mid-run, impacket's MS-LREC RPC client
 * (Debian python3-impacket 0.10.0-4) after the stream filled. Checked per
 * host and kind by sequence number, from the generators (not the
 * publishers' own counts): generated == delivered + the loss the reader
 * counted for that host, the client's NET_EVENT_LOST is the sum of those,
 * always the last item, and nothing arrives twice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNatsCapture, type NatsCaptureLink } from '../../src/node/cluster/index.js';
import {
  RECORDED_NATS_VERSION,
  delay,
  natsCluster,
  requireNatsServer,
  until,
  type NatsNode,
} from './support/nats.js';
import {
  RECORDED_IMPACKET_VERSION,
  expectExactPerHost,
  fanInCaptureServer,
  fanInHost,
  impacketFanInClient,
  impacketVersion,
  wsFanInClient,
  type FanInHost,
  type FanInServer,
} from './support/nats-fanin.js';
import { requirePeers } from './support/peers.js';

const natsPeers = requireNatsServer('nats-cluster.test.ts');
const impacket = impacketVersion();
const impacketPeers = requirePeers('nats-cluster.test.ts', [
  {
    name: 'python3-impacket (/usr/bin/python3)',
    ok: () => impacket !== undefined,
    hint: 'apt-get install -y python3-impacket',
  },
]);
console.info(`peers: python3-impacket ${impacket ?? 'missing'}`);
if (impacket !== undefined && impacket !== RECORDED_IMPACKET_VERSION) {
  console.warn(
    `[netrx interop] python3-impacket ${impacket}; checked with ${RECORDED_IMPACKET_VERSION}`,
  );
}
const peers = { skip: natsPeers.skip || impacketPeers.skip };
const workdir = mkdtempSync(join(tmpdir(), `netrx-nats-cluster-${process.pid}-`));
let nodes: NatsNode[] = [];
const links: NatsCaptureLink[] = [];
const closing: { close(): unknown }[] = [];

beforeAll(async () => {
  if (peers.skip) return;
  nodes = await natsCluster(workdir, 3);
  await Promise.all(nodes.map((node) => node.start()));
}, 30_000);

afterAll(async () => {
  for (const part of closing) await part.close();
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
  const published: FanInHost[] = [];
  for (let i = 0; i < 3; i++) {
    const link = await linkTo(i);
    if (i === 0) await replicatedStreams(link, session, maxMsgs);
    const host = fanInHost(link, `lab-${i + 1}`, session, maxBuffered);
    closing.push(host);
    published.push(host);
  }
  return published;
}

async function captureServer(first: number, session: string): Promise<FanInServer> {
  const server = await fanInCaptureServer(await linkTo(first), session, 'lab-*');
  closing.push(server);
  return server;
}

const generatedOf = (published: readonly FanInHost[]) =>
  published.reduce((n, h) => n + h.generated.synthetic + h.generated.packet, 0);
const storedOf = (published: readonly FanInHost[]) =>
  published.reduce((n, h) => n + h.publisher.stats().stored, 0);

describe.skipIf(peers.skip)(
  `capture fan-in over a three-node ${RECORDED_NATS_VERSION} cluster, read by real clients`,
  () => {
    it('WebSocket client; one node SIGKILLed and restarted mid-run: exact per host', async () => {
      const published = await hosts('fleet', 1_000_000);
      const server = await captureServer(2, 'fleet');
      const client = await wsFanInClient(server, 'fleet');
      let producing = true;
      const producer = (async () => {
        while (producing) {
          for (const host of published) {
            host.emit(30);
            host.frames(10);
          }
          await delay(10);
        }
      })();
      await delay(600);
      // lab-1's first node: its publisher must move to another node and retry what was in flight.
      await (nodes[0] as NatsNode).kill();
      await delay(100);
      const storedAfterKill = storedOf(published);
      // Two of three replicas are up: once they have a leader the stream takes events again.
      await until(
        () => storedOf(published) > storedAfterKill + 1000,
        15_000,
        'the stream to take events with a node down',
      );
      const storedDuringOutage = storedOf(published) - storedAfterKill;
      await (nodes[0] as NatsNode).start();
      await delay(800);
      producing = false;
      await producer;
      const generated = generatedOf(published);
      await until(
        () =>
          published.every((h) => h.publisher.settled) &&
          client.tally.delivered() + client.tally.lost === generated,
        45_000,
        `every one of ${generated} events delivered or reported lost`,
        () => ({
          publishers: published.map((h) => h.publisher.stats()),
          delivered: client.tally.delivered(),
          lost: client.tally.lost,
          source: server.source.stats(),
        }),
      );
      await delay(300);
      await client.close();
      expectExactPerHost(client.tally, published, server.source);
      expect(client.tally.delivered() + client.tally.lost).toBe(generated);
      // Packet events reached the client. (Per host they may all be lost: while the stream
      // elects a leader a publisher drops past its bound, counted, and the check above holds.)
      const packets = [...client.tally.seen.values()].reduce((n, l) => n + l.packet.length, 0);
      expect(packets, 'packet events delivered').toBeGreaterThan(0);
      const retries = published.reduce((n, h) => n + h.publisher.stats().retries, 0);
      const lossByHost = JSON.stringify(Object.fromEntries(server.source.lossByHost()));
      console.info(
        `cluster (ws): generated ${generated}, delivered ${client.tally.delivered()}, lost ${client.tally.lost} (per host ${lossByHost}), publisher retries ${retries}, stored during the outage ${storedDuringOutage}`,
      );
      expect(storedDuringOutage, 'events stored while a node was down').toBeGreaterThan(0);
    }, 90_000);

    it('impacket RPC client; a full replicated stream refused the newest: exact per host', async () => {
      // Room for 60 of the 120 messages (10 synthetic, then 10 packet events, one message each):
      // the budget is per host and provider (R1), 10 of each subject's 20.
      const published = await hosts('fleetfull', 10);
      for (let turn = 0; turn < 20; turn++) {
        for (const host of published) host.emit(10);
        await delay(5);
        for (const host of published) host.frames(10);
        await delay(5);
      }
      await until(
        () => published.every((h) => h.publisher.settled),
        20_000,
        'publishes and loss reports to settle',
        () => published.map((h) => h.publisher.stats()),
      );
      const generated = generatedOf(published);
      expect(generated).toBe(1200);
      const refused = published.reduce((n, h) => n + h.publisher.stats().refused, 0);
      expect(refused, 'the stream was full').toBeGreaterThan(0);
      const server = await captureServer(1, 'fleetfull');
      const client = impacketFanInClient(server, 'fleetfull', generated);
      // Everything is in the stream already: a client still short after 15 s never gets there.
      const finished = await Promise.race([client.done, delay(15_000).then(() => undefined)]);
      if (finished === undefined) {
        client.stop();
        await client.done.catch(() => undefined);
      }
      expectExactPerHost(client.tally, published, server.source);
      expect(client.tally.delivered() + client.tally.lost).toBe(generated);
      expect(client.tally.lost).toBe(refused);
      expect(finished?.receives, 'impacket closed the session after its receives').toBeGreaterThan(
        1,
      );
      const receives = finished?.receives ?? 0;
      // Tail drop: what each host got stored is its first events of each kind, in order.
      for (const host of published) {
        const lists = client.tally.seen.get(host.host) ?? { synthetic: [], packet: [] };
        expect(lists.synthetic).toEqual([...Array(lists.synthetic.length).keys()]);
        expect(lists.packet).toEqual([...Array(lists.packet.length).keys()]);
      }
      console.info(
        `cluster (impacket): generated ${generated}, delivered ${client.tally.delivered()}, lost ${client.tally.lost} in ${receives} receives`,
      );
    }, 60_000);
  },
);
