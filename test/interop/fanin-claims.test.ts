/**
 * Capture fan-in claims against a real nats-server (Debian nats-server
 * v2.9.10, RECORDED_NATS_VERSION; a private `nats-server -js` on a free
 * loopback port, store in an r-fanin temp dir, killed by its PID). Under
 * CI=true a missing nats-server fails (requireNatsServer). The second
 * review's reproductions R1, R2 and R5 (branch review16,
 * `review16-capture.test.ts`), each seen failing before its fix.
 */
import { describe, expect, it } from 'vitest';
import {
  RECORDED_NATS_VERSION,
  publishingHost,
  readerSession,
  requireNatsServer,
  until,
} from './support/nats.js';
import { emitOneByOne, natsSuite } from './support/nats-suite.js';

const peers = requireNatsServer('fanin-claims.test.ts');
const nats = natsSuite(peers, 'r-fanin-nats');
const { link } = nats;

describe.skipIf(peers.skip)(`capture fan-in claims over ${RECORDED_NATS_VERSION}`, () => {
  it('R1: a host nobody reads fills its own budget; the hosts that are read are not refused', async () => {
    const l = await link();
    // 25 messages per host and provider: lab-1's 20 fit before the reader's glob finds it.
    await l.ensureStream('hol', { maxBytes: 1024 * 1024, maxMsgs: 25 });
    // prod-1 publishes into session `hol`, but the only reader serves 'lab-*'.
    const prod = publishingHost(l, 'prod-1', 'hol');
    await emitOneByOne(prod, 30);
    // Its own budget is full: the rest refused, counted as its loss.
    expect([prod.publisher.stats().stored, prod.publisher.stats().refused]).toEqual([25, 5]);
    const reader = readerSession(await link(), 'hol', 'lab-*', { readerId: 'r-fanin-a' });
    const lab = publishingHost(await link(), 'lab-1', 'hol');
    await emitOneByOne(lab, 20);
    await until(() => reader.delivered() + reader.lost >= 20, 10_000, 'lab-1 accounted');
    const delivered = reader.seen.get('lab-1')?.length ?? 0;
    await reader.close();
    expect(lab.publisher.stats().refused).toBe(0);
    expect(delivered).toBe(20);
    // prod-1's loss is not this reader's: it holds no claim on prod-1.
    expect(reader.lost).toBe(0);
  }, 60_000);

  it('R2: two capture servers (two reader ids) of one host: one reads all of it, the other is refused (10100)', async () => {
    const l = await link();
    await l.ensureStream('split', { maxBytes: 1024 * 1024, maxMsgs: 1000 });
    // Two `netrx capture serve --hosts lab-1` on two machines: their host names differ.
    const a = readerSession(await link(), 'split', 'lab-1', { readerId: 'machine-a' });
    const b = readerSession(await link(), 'split', 'lab-1', { readerId: 'machine-b' });
    const lab = publishingHost(l, 'lab-1', 'split');
    await emitOneByOne(lab, 40);
    await until(
      () => a.delivered() + b.delivered() + a.lost + b.lost >= 40,
      15_000,
      'both accounted',
    );
    const got = [a.delivered(), b.delivered()].sort((x, y) => x - y);
    const refusals = [a, b].map((r) => r.source.stats().consumerErrors['10100'] ?? 0);
    await a.close();
    await b.close();
    expect(got).toEqual([0, 40]);
    expect(Math.max(...refusals)).toBeGreaterThan(0);
  }, 60_000);

  it("R5: a second server of the entry, which delivered none of lab-1's events, does not report lab-1's loss", async () => {
    const l = await link();
    await l.ensureStream('lossdup', { maxBytes: 1024 * 1024, maxMsgs: 5 });
    const lab = publishingHost(l, 'lab-1', 'lossdup');
    await emitOneByOne(lab, 10);
    await until(() => lab.publisher.settled, 5000, 'loss report stored');
    expect([lab.publisher.stats().stored, lab.publisher.stats().refused]).toEqual([5, 5]);
    const first = readerSession(await link(), 'lossdup', 'lab-*', {
      durable: 'netrx-reader-lossdup-e-h1',
    });
    await until(() => first.delivered() + first.lost === 10, 10_000, 'first server accounted');
    const second = readerSession(await link(), 'lossdup', 'lab-*', {
      durable: 'netrx-reader-lossdup-e-h2',
    });
    // The second one's glob claims lab-1 from its loss report and is refused: the first holds it.
    await until(
      () => (second.source.stats().consumerErrors['10100'] ?? 0) > 0,
      10_000,
      'the second claim refused with 10100',
    );
    const seen = { delivered: second.delivered(), lost: second.lost };
    await first.close();
    await second.close();
    expect([first.delivered(), first.lost]).toEqual([5, 5]);
    expect(seen).toEqual({ delivered: 0, lost: 0 });
  }, 60_000);
});
