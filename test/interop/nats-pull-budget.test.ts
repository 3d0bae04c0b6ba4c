/**
 * review16c N12 against a real nats-server (Debian nats-server v2.9.10,
 * RECORDED_NATS_VERSION; a private `nats-server -js` on a free loopback
 * port, store in an r-reach temp dir, killed by its PID; under CI=true a
 * missing nats-server fails, requireNatsServer). A glob reader whose pull
 * budget holds one request (128 KiB) for four busy hosts: the hosts take
 * turns at the server, and every event of every host arrives once, none
 * lost; the server's own word on each request (409 with
 * `Nats-Pending-Bytes`, 408) gives the bytes back to the shared budget.
 */
import { describe, expect, it } from 'vitest';
import {
  RECORDED_NATS_VERSION,
  expectUnique,
  publishingHost,
  readerSession,
  requireNatsServer,
  until,
} from './support/nats.js';
import { natsSuite } from './support/nats-suite.js';

const peers = requireNatsServer('nats-pull-budget.test.ts');
const nats = natsSuite(peers, 'r-reach-budget');
const { link } = nats;

describe.skipIf(peers.skip)(`a reader's pull budget over ${RECORDED_NATS_VERSION}`, () => {
  it('N12: four busy hosts share one request of budget; every event of each arrives once', async () => {
    const l = await link();
    await l.ensureStream('budget', { maxBytes: 64 * 1024 * 1024 });
    const names = ['lab-1', 'lab-2', 'lab-3', 'lab-4'];
    const hosts = names.map((name) => publishingHost(l, name, 'budget'));
    // 3,000 events of each host stored before the reader starts: all four have a backlog.
    for (const host of hosts) host.emit(3000);
    await until(() => hosts.every((h) => h.publisher.settled), 20_000, 'published');
    expect(hosts.map((h) => h.publisher.stats().refused)).toEqual([0, 0, 0, 0]);
    const reader = readerSession(await link(), 'budget', 'lab-*', {
      readerId: 'r-reach-n12',
      pullBudgetBytes: 128 * 1024,
    });
    await until(
      () => reader.delivered() + reader.lost >= 12_000,
      30_000,
      'all accounted',
      () => Object.fromEntries([...reader.seen].map(([h, l]) => [h, l.length])),
    );
    await reader.close();
    for (const host of hosts) expectUnique(reader.seen, host.host, 3000);
    expect(reader.lost).toBe(0);
  }, 60_000);
});
