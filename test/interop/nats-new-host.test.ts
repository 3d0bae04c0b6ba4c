/**
 * review16c N10 against a real nats-server (Debian nats-server v2.9.10,
 * RECORDED_NATS_VERSION; a private `nats-server -js` on a free loopback
 * port, store in an r-reach temp dir, killed by its PID; under CI=true a
 * missing nats-server fails, requireNatsServer). The R1 shape: a glob
 * reader is live, then a host starts publishing under its pattern, one
 * event per message, into a budget of 10 messages per subject. The host
 * was unread until the reader's next discovery (2 s) and got `refused 2`
 * of 20 (seen failing here with the publisher's announcement taken out);
 * the run's announcement (its first loss report, lost 0) has the reader
 * claim it at once.
 */
import { describe, expect, it } from 'vitest';
import {
  RECORDED_NATS_VERSION,
  delay,
  publishingHost,
  readerSession,
  requireNatsServer,
  until,
} from './support/nats.js';
import { emitOneByOne, natsSuite } from './support/nats-suite.js';

const peers = requireNatsServer('nats-new-host.test.ts');
const nats = natsSuite(peers, 'r-reach-nats');
const { link } = nats;

describe.skipIf(peers.skip)(`a new host under a glob over ${RECORDED_NATS_VERSION}`, () => {
  it('N10: budget 10, 20 events of a host that appears after the reader started: none refused', async () => {
    const l = await link();
    await l.ensureStream('reach', { maxBytes: 1024 * 1024, maxMsgs: 10 });
    const reader = readerSession(await link(), 'reach', 'lab-*', { readerId: 'r-reach-a' });
    // The reader's opening discovery has found nothing; its next one is 2 s away.
    await until(() => reader.source.stats().open, 5000, 'reader open');
    await delay(200);
    expect(reader.source.stats().claimedHosts).toBe(0);
    const started = Date.now();
    const lab = publishingHost(await link(), 'lab-1', 'reach');
    await emitOneByOne(lab, 20);
    const publishedIn = Date.now() - started;
    await until(() => reader.delivered() + reader.lost >= 20, 10_000, 'lab-1 accounted');
    const delivered = reader.seen.get('lab-1')?.length ?? 0;
    await reader.close();
    console.info(
      `N10: 20 events published in ${publishedIn} ms: refused ${lab.publisher.stats().refused}, delivered ${delivered}, lost ${reader.lost}`,
    );
    expect(lab.publisher.stats().refused).toBe(0);
    expect(delivered).toBe(20);
    expect(reader.lost).toBe(0);
  }, 60_000);
});
