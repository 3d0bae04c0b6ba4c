/**
 * review16d D3 and D4 on a real nats-server (Debian nats-server v2.9.10,
 * RECORDED_NATS_VERSION; a private `nats-server -js` on a free loopback
 * port, store in an r-d3-* temp dir, killed by its PID; under CI=true a
 * missing nats-server fails).
 *
 * D4: a glob reader releases the claim of a host that shows no sign for
 * RELEASE_IDLE_DISCOVERIES discoveries (100 ms here: 3 s), and claims it
 * again when the host comes back; the loss stays exact over two releases
 * (delivered + lost = generated, lost = what the stream refused).
 *
 * D3: with a one-request budget, every host consumer deleted at the
 * server at once (most hosts are queued for the budget then, with no
 * request at the server to hear a "Consumer Deleted"): each pipeline's
 * keep-alives or requests go unanswered, three in a row fail it, and its
 * loop makes the consumer again, so the events sent afterwards are read.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
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

const peers = requireNatsServer('nats-claim-release.test.ts');
const workdir = mkdtempSync(join(tmpdir(), `r-d3-claims-${process.pid}-`));
let server: NatsNode | undefined;
let bare: NatsConnection | undefined;
const links: NatsCaptureLink[] = [];
const CLAIM_MS = 2000;

beforeAll(async () => {
  if (peers.skip) return;
  server = await natsAlone(workdir);
  await server.start();
  bare = await connect({ servers: server.url });
}, 20_000);

afterAll(async () => {
  for (const link of links) await link.close().catch(() => undefined);
  await bare?.close();
  await server?.kill();
  rmSync(workdir, { recursive: true, force: true });
});

async function link(): Promise<NatsCaptureLink> {
  const l = await connectNatsCapture({
    servers: (server as NatsNode).url,
    timeoutMs: 1000,
    claimExpiresMs: CLAIM_MS,
  });
  links.push(l);
  return l;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(peers.skip)(
  `idle claims released and consumers gone, ${RECORDED_NATS_VERSION}`,
  () => {
    it('D4: a host released when idle is claimed again when it comes back, its loss exact over two releases', async () => {
      const session = 'rd3a';
      const l = await link();
      // One message stored at most: most of each burst is refused and reported.
      await l.ensureStream(session, { maxMsgs: 1 });
      const host = publishingHost(l, 'lab-1', session);
      await until(() => host.publisher.settled, 5000, 'announced');
      const reader = readerSession(await link(), session, 'lab-*', {
        readerId: 'rd3a',
        discoverEveryMs: 100,
      });
      const jsm = await jetstreamManager(bare as NatsConnection);
      for (let cycle = 1; cycle <= 2; cycle++) {
        await until(
          () => reader.source.stats().releasedHosts === cycle,
          15_000,
          `release ${cycle}`,
        );
        expect(reader.source.stats().claimedHosts).toBe(0);
        // Its consumer is left to expire: gone within the claim expiry (and the server's sweep).
        const deadline = Date.now() + 10_000;
        let left = -1;
        while (left !== 0 && Date.now() < deadline) {
          left = 0;
          for await (const c of jsm.consumers.list(`netrx-${session}`))
            left += c.name === '' ? 0 : 1;
          if (left !== 0) await pause(200);
        }
        expect(left, 'the released consumer expired at the server').toBe(0);
        // Back: ten events, one message each, 10 ms apart: refused while one waits unread.
        for (let i = 0; i < 10; i++) {
          host.emit(1);
          await pause(10);
        }
        await until(
          () => reader.delivered() + reader.lost === 10 * cycle,
          15_000,
          `cycle ${cycle} read`,
        );
      }
      const refused = host.publisher.stats().refused;
      const got = { delivered: reader.delivered(), lost: reader.lost };
      await reader.close();
      console.info(`D4 release/reclaim: ${JSON.stringify({ ...got, refused })}`);
      expect(got).toEqual({ delivered: 20 - refused, lost: refused });
      // Loss there was, over the releases (how much depends on the pace of the reclaim).
      expect(refused).toBeGreaterThan(0);
    }, 90_000);

    it('D3: every consumer deleted at once under a one-request budget: each is made again, every later event read', async () => {
      const session = 'rd3b';
      const hosts = 6;
      const l = await link();
      await l.ensureStream(session, { maxBytes: 1024 * 1024 });
      const publishers = [];
      for (let i = 0; i < hosts; i++) {
        const host = publishingHost(l, `lab-${i}`, session);
        await until(() => host.publisher.settled, 5000, 'announced');
        publishers.push(host);
      }
      const reader = readerSession(await link(), session, 'lab-*', {
        readerId: 'rd3b',
        pullBudgetBytes: 128 * 1024,
      });
      await until(() => reader.source.stats().claimedHosts === hosts, 10_000, 'all claimed');
      await pause(2 * CLAIM_MS);
      const jsm = await jetstreamManager(bare as NatsConnection);
      for (let i = 0; i < hosts; i++) {
        await jsm.consumers.delete(`netrx-${session}`, `netrx-reader-${session}-rd3b-lab-${i}`);
      }
      for (const host of publishers) host.emit(5);
      await until(() => reader.delivered() >= 5 * hosts, 30_000, 'events after the deletes').catch(
        () => undefined,
      );
      const seen = { delivered: reader.delivered(), errors: reader.source.stats().consumerErrors };
      await reader.close();
      console.info(`D3 all deleted: ${JSON.stringify(seen)}`);
      expect(seen.delivered).toBe(5 * hosts);
      expect(seen.errors.other ?? 0).toBeGreaterThanOrEqual(hosts);
    }, 90_000);
  },
);
