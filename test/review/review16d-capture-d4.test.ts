/**
 * review16d (final outside review of issue #16), its D4 case from
 * test/review/review16d-capture.test.ts on branch review16d (b2ae5ec),
 * alone here: that file's D1 case is another helper's (r-d1). The
 * reviewer pinned it as `it.fails` on main d61e9b8; seen failing there.
 * The fix (host-claims.ts) claims such a host while its announcement is
 * read (its loss counts only under a claim, review16 R5) and releases the
 * claim once the host showed no sign for RELEASE_IDLE_DISCOVERIES
 * discoveries, so the reviewer's "no claim" holds from then on.
 */
import { describe, expect, it } from 'vitest';
import { SessionTable } from '../../src/capture/index.js';
import { VirtualClock } from '../../src/testing/index.js';
import { TraceRegistry } from '../../src/trace/index.js';
import { FakeJetStream } from '../../src/node/cluster/fake-jetstream.js';
import { DISCOVER_EVERY_MS, RELEASE_IDLE_DISCOVERIES } from '../../src/node/cluster/host-claims.js';
import { StreamSessionSource } from '../../src/node/cluster/reader.js';
import { makeHost, settle } from '../../src/node/cluster/test-kit.js';

const TIMER_MS = 100;

/**
 * D4: a glob reader claims every host named by a retained loss report
 * (kept 7 days), announcements included, and keeps each claim (a consumer,
 * its pull requests and keep-alives, a share of the pull budget: D3) for as
 * long as its session is open. Hosts that only announced a run and left
 * (a stopped machine; under `netrx up` in a container, a host name derived
 * anew at each start) are claimed by every reader that opens later;
 * before N10 the reader's discovery found only hosts with events waiting.
 */
describe('review16d D4: hosts known only from retained announcements are claimed', () => {
  it('was FAILS ON MAIN: three hosts that announced a run and left, no event: no claim once idle', async () => {
    const clock = new VirtualClock();
    const stream = new FakeJetStream({ maxMsgs: 1000, maxMsgsPerSubject: 2 });
    for (const host of ['lab-1', 'lab-2', 'lab-3']) {
      const gone = makeHost(clock, stream, host, { instance: `${host}-run` });
      await settle();
      gone.publisher.close();
      await settle();
    }
    const table = new SessionTable({ registry: new TraceRegistry({ clock }), clock });
    const source = new StreamSessionSource({
      port: stream,
      session: 'lab',
      hosts: 'lab-*',
      durable: 'netrx-reader-lab-late',
      clock,
    });
    table
      .createSession({ name: 'lab', providers: [], source, limits: { timerMs: TIMER_MS } })
      .start();
    table.openSession('lab');
    await settle();
    stream.deliver();
    await settle();
    for (let t = 0; t <= RELEASE_IDLE_DISCOVERIES * DISCOVER_EVERY_MS; t += DISCOVER_EVERY_MS) {
      clock.advance(DISCOVER_EVERY_MS);
      await settle();
    }
    expect(source.stats()).toMatchObject({ claimedHosts: 0, releasedHosts: 3 });
  });
});
