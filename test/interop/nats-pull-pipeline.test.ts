/**
 * A steady reader's pulls against a real nats-server (Debian nats-server
 * v2.9.10, RECORDED_NATS_VERSION; a private `nats-server -js` on a free
 * loopback port, store in a perf16-* temp dir, killed by its PID). Under
 * CI=true a missing nats-server fails (requireNatsServer).
 *
 * perf16 regression: on main c5ee538 each gated fetch that ended on its
 * byte budget ended in an error (409 Message Size Exceeds MaxBytes) and
 * the loop slept 250 ms after it; this run of 30,000 events (about 470
 * batches of 64) had consumer errors ('other') and took seconds per few
 * hundred messages. With the pull pipeline a request's end is no error.
 */
import { describe, expect, it } from 'vitest';
import { connectNatsCapture } from '../../src/node/cluster/index.js';
import {
  RECORDED_NATS_VERSION,
  expectUnique,
  publishingHost,
  readerSession,
  requireNatsServer,
  until,
} from './support/nats.js';
import { natsSuite } from './support/nats-suite.js';

const peers = requireNatsServer('nats-pull-pipeline.test.ts');
const nats = natsSuite(peers, 'perf16-nats');

describe.skipIf(peers.skip)(`a steady reader's pulls over ${RECORDED_NATS_VERSION}`, () => {
  it('every event arrives and no pull ends in a consumer error (a request ending on its bytes is no error)', async () => {
    const publisherLink = await connectNatsCapture({ servers: nats.server.url });
    const readerLink = await connectNatsCapture({ servers: nats.server.url });
    nats.track(publisherLink, readerLink);
    await publisherLink.ensureStream('steady', { maxBytes: 64 * 1024 * 1024 });
    const events = 30_000;
    const lab = publishingHost(publisherLink, 'lab-1', 'steady');
    // Stored first, so the reader finds full batches waiting (each pull ends on its bytes).
    lab.emit(events);
    await until(() => lab.publisher.settled, 30_000, 'lab-1 settled');
    expect(lab.publisher.stats().stored).toBe(events);
    const reader = readerSession(readerLink, 'steady', 'lab-1');
    await until(
      () => reader.delivered() + reader.lost >= events,
      30_000,
      `delivered ${reader.delivered()} of ${events}: ${JSON.stringify(reader.source.stats())}`,
    );
    const stats = reader.source.stats();
    await reader.close();
    console.info(
      `perf16: ${events} events in ${stats.messages} messages, consumer errors ${JSON.stringify(stats.consumerErrors)}, link ${readerLink.consumerErrors}`,
    );
    expect(reader.lost).toBe(0);
    expect(reader.delivered()).toBe(events);
    expectUnique(reader.seen, 'lab-1', events);
    expect(stats.consumerErrors).toEqual({});
    expect(readerLink.consumerErrors).toBe(0);
  }, 60_000);
});
