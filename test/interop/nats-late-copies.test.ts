/**
 * Review F4's residue (issue #16) against a real nats-server (Debian
 * nats-server v2.9.10, RECORDED_NATS_VERSION; a private `nats-server -js`
 * on a free loopback port, store in an r-stream temp dir, killed by its
 * PID). Under CI=true a missing nats-server fails (requireNatsServer).
 *
 * What the server's behaviour decides: a batch republished under its
 * `Nats-Msg-Id` inside the stream's duplicate window is not stored again
 * (PubAck `duplicate`); after the window it is a second copy. A reader
 * that held its claim throughout skips that copy (`duplicates`); a reader
 * process started after the first copy delivers it and counts it in
 * `duplicatesPossible`, which needs the server's store time from the ack
 * subject of the gated pull (nats-pull.ts `storedAtMsOf`). The window is
 * 1 s here, so the test waits it out in real time: the server's clock is
 * what it measures.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { SessionTable } from '../../src/capture/index.js';
import { connectNatsCapture, type NatsCaptureLink } from '../../src/node/cluster/index.js';
import { StreamSessionSource } from '../../src/node/cluster/reader.js';
import type { PublishOutcome } from '../../src/node/cluster/ports.js';
import { systemClock } from '../../src/node/runtime/index.js';
import { TraceRegistry } from '../../src/trace/index.js';
import { parseEventBuffer } from '../../src/wire/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RECORDED_NATS_VERSION,
  delay,
  publishingHost,
  requireNatsServer,
  until,
} from './support/nats.js';
import { natsSuite } from './support/nats-suite.js';

const peers = requireNatsServer('nats-late-copies.test.ts');
const nats = natsSuite(peers, 'r-stream-late');
const WINDOW_MS = 1000;
const TOLERANCE_MS = 100;
let bare: NatsConnection | undefined;
let jsm: JetStreamManager;

beforeAll(async () => {
  if (peers.skip) return;
  bare = await connect({ servers: nats.server.url });
  jsm = await jetstreamManager(bare);
}, 20_000);

// Runs before the suite's own afterAll (vitest's stack order): the server is still up.
afterAll(async () => {
  await bare?.close();
});

/** One reader process: its own memory of batch IDs; counts the events it delivered. */
function readerProcess(link: NatsCaptureLink, session: string) {
  const table = new SessionTable({
    registry: new TraceRegistry({ clock: systemClock }),
    clock: systemClock,
  });
  const source = new StreamSessionSource({
    port: link,
    session,
    hosts: 'lab-1',
    duplicateWindowMs: WINDOW_MS,
    clockToleranceMs: TOLERANCE_MS,
  });
  const s = table.createSession({ name: session, providers: [], source, limits: { timerMs: 100 } });
  s.start();
  const handle = table.openSession(session);
  let events = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const done = await table.receiveData(handle).done;
      if (done.status !== 'data') break;
      const parsed = parseEventBuffer(done.data);
      if (!parsed.ok) throw new Error('bad EVENT_BUFFER');
      events += parsed.value.filter((item) => item.kind === 'event').length;
    }
  })();
  return {
    source,
    get events() {
      return events;
    },
    async close() {
      running = false;
      table.closeSession(handle);
      await loop;
    },
  };
}

describe.skipIf(peers.skip)(`copies after the duplicate window, ${RECORDED_NATS_VERSION}`, () => {
  it('a copy stored after the window is skipped by the reader that held its claim, counted by a restarted one', async () => {
    const session = 'late';
    const link = await connectNatsCapture({ servers: nats.server.url, timeoutMs: 1000 });
    nats.track(link);
    await link.ensureStream(session, { maxBytes: 1 << 20, duplicateWindowMs: WINDOW_MS });
    // The publisher's one batch, kept to be published again as a retry would be.
    const sent: { subject: string; data: Uint8Array; msgId: string }[] = [];
    const recording: NatsCaptureLink = Object.create(link) as NatsCaptureLink;
    recording.publish = (subject, data, msgId) => {
      // Event batches only: a publisher also announces its run with a first loss report (N10).
      if (!subject.startsWith('netrxloss.')) sent.push({ subject, data: data.slice(), msgId });
      return link.publish(subject, data, msgId);
    };
    const retry = (): Promise<PublishOutcome> => {
      const first = sent[0];
      if (first === undefined) throw new Error('nothing sent');
      return link.publish(first.subject, first.data, first.msgId);
    };

    const first = readerProcess(link, session);
    await untilClaimed(session);
    await delay(TOLERANCE_MS * 3); // its claim began beyond the clocks' tolerance before the send
    const host = publishingHost(recording, 'lab-1', session);
    host.emit(1);
    await until(() => host.publisher.settled, 5000, 'published');
    await until(() => first.events === 1, 5000, 'first copy delivered');
    expect(sent).toHaveLength(1);
    expect(sent[0]?.msgId).toMatch(/^lab-1\.[^.]+\.\d+\.t\d+$/);

    // Inside the window the server stores nothing again.
    expect(await retry()).toEqual({ kind: 'stored', duplicate: true });
    // After it, a second copy: the reader that held its claim throughout skips it.
    await delay(WINDOW_MS + 300);
    expect(await retry()).toEqual({ kind: 'stored', duplicate: false });
    await until(() => first.source.stats().duplicates === 1, 5000, 'second copy skipped');
    expect([first.events, first.source.stats().duplicatesPossible]).toEqual([1, 0]);
    await first.close();

    // A reader process started since remembers nothing: the third copy is delivered, counted.
    const second = readerProcess(link, session);
    await delay(WINDOW_MS + 300);
    expect(await retry()).toEqual({ kind: 'stored', duplicate: false });
    await until(() => second.events === 1, 5000, 'third copy delivered');
    expect(second.source.stats()).toMatchObject({ duplicates: 0, duplicatesPossible: 1 });
    expect(host.publisher.lost).toBe(0);
    await second.close();
  }, 30_000);
});

/** Until the reader's host consumer is on the server (its claim has begun). */
async function untilClaimed(session: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while ((await jsm.streams.info(`netrx-${session}`)).state.consumer_count === 0) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the host consumer');
    await delay(50);
  }
}
