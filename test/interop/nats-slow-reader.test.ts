/**
 * The stream is a slow client's buffer (review16 R8, issue 16): while a
 * capture client posts no receive, the reader pulls only what the session's
 * queue has room for and the rest waits in the stream, against a real
 * nats-server (Debian nats-server v2.9.10, RECORDED_NATS_VERSION; a private
 * `nats-server -js` on a free loopback port, store in an r-reader-* temp dir,
 * killed by its PID). Under CI=true a missing nats-server fails
 * (requireNatsServer).
 *
 * Ported from review16's `it.fails` reproduction (branch review16, 4963048),
 * flipped: on main 4ccffb5 it failed (delivered 5, lost 195); it passes with
 * the pull window. Its wait changed: it waited for the reader to have read
 * all 200 events, which a flow-controlled reader never does before a
 * receive; it now waits for the stream to hold them and the reader to have
 * filled the queue.
 */
import { describe, expect, it } from 'vitest';
import { SessionTable } from '../../src/capture/index.js';
import { StreamSessionSource } from '../../src/node/cluster/index.js';
import { systemClock } from '../../src/node/runtime/index.js';
import { TraceRegistry } from '../../src/trace/index.js';
import { parseEventBuffer } from '../../src/wire/index.js';
import {
  RECORDED_NATS_VERSION,
  delay,
  publishingHost,
  requireNatsServer,
  until,
} from './support/nats.js';
import { emitOneByOne, natsSuite } from './support/nats-suite.js';

const peers = requireNatsServer('nats-slow-reader.test.ts');
const nats = natsSuite(peers, 'r-reader-nats');
const { link } = nats;

describe.skipIf(peers.skip)(`a slow capture client over ${RECORDED_NATS_VERSION}`, () => {
  it('while the client has no receive posted, events wait in the stream (it has room), not dropped at the reader (R8)', async () => {
    const l = await link();
    await l.ensureStream('slow', { maxBytes: 1024 * 1024, maxMsgs: 1000 });
    const table = new SessionTable({
      registry: new TraceRegistry({ clock: systemClock }),
      clock: systemClock,
    });
    // A claim (3 s idle) shorter than the client's pause (4.5 s), so a lapse shows: the
    // consumer deleted, its unacked messages come again (redelivered). perf16: on main c5ee538
    // it lapsed (a fetch's 100 messages came first, then 5 s with no request at the server
    // until its heartbeats were missed); the pull pipeline renews it every second while gated.
    const source = new StreamSessionSource({
      port: await link(3000),
      session: 'slow',
      hosts: 'lab-1',
    });
    // A small session queue: two 1 KiB buffers, about twenty 16-byte events.
    table
      .createSession({
        name: 'slow',
        providers: [],
        source,
        limits: { timerMs: 100, bufferBytes: 1024, maxBuffers: 2 },
      })
      .start();
    // All 200 stored before the session opens: the reader's first pull finds them waiting.
    const lab = publishingHost(l, 'lab-1', 'slow');
    await emitOneByOne(lab, 200);
    expect(lab.publisher.stats().stored).toBe(200);
    const handle = table.openSession('slow');
    await until(
      () => source.stats().events > 0,
      10_000,
      `the queue filled ${JSON.stringify(source.stats())}`,
    );
    // The client is slow: seconds before its first receive.
    await delay(4500);
    expect(source.stats().queueLost).toBe(0);
    let delivered = 0;
    let lost = 0;
    const sequences = new Set<number>();
    while (delivered + lost < 200) {
      const done = await table.receiveData(handle).done;
      if (done.status !== 'data') break;
      const parsed = parseEventBuffer(done.data);
      if (!parsed.ok) throw new Error('bad EVENT_BUFFER');
      for (const item of parsed.value) {
        if (item.kind === 'lost') lost += item.lostEventCount;
        else if (item.kind === 'event') {
          delivered++;
          const u = item.record.userData;
          sequences.add(new DataView(u.buffer, u.byteOffset, u.byteLength).getUint32(0, true));
        }
      }
    }
    table.closeSession(handle);
    console.info(
      `R8 fixed: stream room 1000 messages, 200 events published, client slow: delivered ${delivered}, lost ${lost} (reader queueLost ${source.stats().queueLost}, redelivered ${source.stats().redelivered}, consumer errors ${JSON.stringify(source.stats().consumerErrors)})`,
    );
    expect(lost).toBe(0);
    expect(delivered).toBe(200);
    expect(sequences.size).toBe(200);
    // The claim held while the reader pulled nothing (a lapsed consumer is deleted and its
    // unacked messages come again: 92 to 100 redeliveries with a 3 s claim).
    expect(source.stats().redelivered).toBe(0);
    // Nor did a pull end in an error ('heartbeats missed' on c5ee538).
    expect(source.stats().consumerErrors).toEqual({});
  }, 60_000);
});
