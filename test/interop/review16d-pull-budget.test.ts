/**
 * review16d D3 on a real nats-server (Debian nats-server v2.9.10,
 * RECORDED_NATS_VERSION; a private `nats-server -js` on a free loopback
 * port, store in a review16d-* temp dir, killed by its PID; under CI=true
 * a missing nats-server fails). A glob reader whose pull budget holds one
 * request (128 KiB, the documented minimum) and twelve idle hosts (each
 * only announced its run: N10 claims them), claims of 3 s: a host queued
 * for the budget sends no request and no keep-alive, the hosts' 500 ms
 * scarce requests take turns (about 6 s a round), and the server deletes
 * the consumers whose turn has not come within 3 s. The control, the same
 * hosts with the default 8 MiB budget, keeps every claim. Seen on main
 * d61e9b8: all 12 consumers gone, no consumer error, and 0 of the 60
 * events the hosts send afterwards read within 10 s (pinned `it.fails`).
 * The third case is a control: a consumer deleted while a request waits
 * at the server is noticed (an error) and made again; one that lapses
 * while its host waits for the budget has no request there to tell it.
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

const peers = requireNatsServer('review16d-pull-budget.test.ts');
const workdir = mkdtempSync(join(tmpdir(), `review16d-budget-${process.pid}-`));
let server: NatsNode | undefined;
const links: NatsCaptureLink[] = [];
const CLAIM_MS = 3000;
const HOSTS = 12;

let bare: NatsConnection | undefined;

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

/** Idle hosts (announced, no events) under one glob reader for 12 s: its consumer errors by code. */
async function idleHosts(session: string, pullBudgetBytes?: number) {
  const l = await link();
  await l.ensureStream(session, { maxBytes: 1024 * 1024 });
  const hosts = [];
  for (let i = 0; i < HOSTS; i++) {
    const host = publishingHost(l, `lab-${i}`, session);
    await until(() => host.publisher.settled, 5000, 'announced');
    hosts.push(host);
  }
  const reader = readerSession(await link(), session, 'lab-*', {
    readerId: 'd3',
    ...(pullBudgetBytes === undefined ? {} : { pullBudgetBytes }),
  });
  await until(() => reader.source.stats().claimedHosts === HOSTS, 10_000, 'all hosts claimed');
  const created = async () => {
    const jsm = await jetstreamManager(bare as NatsConnection);
    const seen = new Map<string, string>();
    for await (const c of jsm.consumers.list(`netrx-${session}`)) seen.set(c.name, c.created);
    return seen;
  };
  const before = await created();
  await new Promise((resolve) => setTimeout(resolve, 4 * CLAIM_MS));
  const after = await created();
  const remade = [...before].filter(([name, at]) => after.get(name) !== at).length;
  // Then every host sends 5 events: a claim the reader still believes in should read them.
  for (const host of hosts) host.emit(5);
  await until(() => reader.delivered() >= 5 * HOSTS, 10_000, 'events read').catch(() => undefined);
  const errors = {
    ...reader.source.stats().consumerErrors,
    remade,
    consumers: after.size,
    delivered: reader.delivered(),
  };
  await reader.close();
  return errors;
}

describe.skipIf(peers.skip)(
  `review16d D3: claims under a scarce pull budget, ${RECORDED_NATS_VERSION}`,
  () => {
    it('control: the default budget keeps every idle host claimed', async () => {
      const errors = await idleHosts('d3a');
      console.info(`D3 control (8 MiB): consumer errors ${JSON.stringify(errors)}`);
      expect(errors).toEqual({ remade: 0, consumers: HOSTS, delivered: 5 * HOSTS });
    }, 60_000);

    it('was FAILS ON MAIN (review16d D3): a one-request budget keeps every idle host claimed', async () => {
      const errors = await idleHosts('d3b', 128 * 1024);
      console.info(`D3 (128 KiB): consumer errors ${JSON.stringify(errors)}`);
      expect(errors).toEqual({ remade: 0, consumers: HOSTS, delivered: 5 * HOSTS });
    }, 60_000);

    it('holds (control): a host consumer deleted at the server while a request waits is noticed and made again', async () => {
      const session = 'd3c';
      const l = await link();
      await l.ensureStream(session, { maxBytes: 1024 * 1024 });
      const host = publishingHost(l, 'lab-0', session);
      await until(() => host.publisher.settled, 5000, 'announced');
      const reader = readerSession(await link(), session, 'lab-*', { readerId: 'd3c' });
      await until(() => reader.source.stats().claimedHosts === 1, 10_000, 'claimed');
      host.emit(5);
      await until(() => reader.delivered() >= 5, 10_000, 'first events read');
      const jsm = await jetstreamManager(bare as NatsConnection);
      await jsm.consumers.delete(`netrx-${session}`, 'netrx-reader-d3c-d3c-lab-0');
      host.emit(5);
      await until(() => reader.delivered() >= 10, 10_000, 'events after the delete').catch(
        () => undefined,
      );
      const seen = { delivered: reader.delivered(), errors: reader.source.stats().consumerErrors };
      await reader.close();
      console.info(
        `D3c: after the delete, delivered ${seen.delivered} of 10, errors ${JSON.stringify(seen.errors)}`,
      );
      expect(seen.delivered).toBe(10);
    }, 60_000);
  },
);
