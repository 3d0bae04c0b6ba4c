/**
 * The batch cut as configuration (issue #16), against a real nats-server
 * (Debian nats-server v2.9.10, RECORDED_NATS_VERSION; a private
 * `nats-server -js` on a free loopback port, its store in an r-cut-nats-*
 * temp dir, killed by its PID). Under CI=true a missing nats-server fails
 * (requireNatsServer).
 *
 * A host configured through `netrx up` config with `capture.nats.batchBytes:
 * 32768, batchEvents: 256` publishes 128-byte events into a stream that
 * fills while its reader is behind: the stream's `max_msgs_per_subject` is
 * the one derived from the 32 KiB cut (its bytes stay within the budget),
 * its messages are batches past the default 8 KiB / 64 events, and once the
 * reader catches up delivered + lost = generated, exactly. Then the CLI:
 * `capture publish --batch-bytes` and `capture serve --batch-bytes` size
 * the streams they create over the cut too.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYNTHETIC_PROVIDER_GUID, SyntheticEvent } from '../../src/capture/index.js';
import { runCli, type CliIo } from '../../src/cli/index.js';
import { connectNats } from '../../src/node/cluster/connection.js';
import { streamMessageLimit } from '../../src/node/cluster/index.js';
import { startCaptureNats, type CaptureNats } from '../../src/node/host/capture-nats.js';
import { queueLimits } from '../../src/node/host/capture-service.js';
import { validateHostConfig } from '../../src/node/host/config.js';
import { systemClock } from '../../src/node/runtime/index.js';
import { TraceRegistry } from '../../src/trace/index.js';
import {
  RECORDED_NATS_VERSION,
  expectUnique,
  readerSession,
  requireNatsServer,
  until,
} from './support/nats.js';
import { natsSuite } from './support/nats-suite.js';

const peers = requireNatsServer('nats-batch-cut.test.ts');
const nats = natsSuite(peers, 'r-cut-nats');
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

const CUT = { batchBytes: 32_768, batchEvents: 256 };
/** 2 MiB: 64 messages of the 32 KiB cut (256 of the default 8 KiB one). */
const STREAM_BYTES = 2 * 1024 * 1024;

interface PublishStats {
  offered: number;
  stored: number;
  refused: number;
  dropped: number;
  pending: number;
  messages: number;
  reportedLost: number;
}

describe.skipIf(peers.skip)(`the batch cut as configuration (${RECORDED_NATS_VERSION})`, () => {
  it('a netrx up host at 32 KiB / 256 fills a stream sized over its cut; delivered + lost = generated', async () => {
    const config = validateHostConfig({
      cluster: { nats: { servers: [nats.server.url] } },
      capture: {
        sessions: [{ name: 'cut', providers: ['netrx-synthetic'], queueEvents: 4096 }],
        nats: { host: 'lab-1', publish: ['cut'], streamBytes: STREAM_BYTES, ...CUT },
      },
    });
    const connection = await connectNats({ servers: nats.server.url, timeoutMs: 1000 });
    const registry = new TraceRegistry({ clock: systemClock });
    const provider = registry.register({ guid: SYNTHETIC_PROVIDER_GUID, name: 'netrx-synthetic' });
    let host: CaptureNats | undefined;
    try {
      host = await startCaptureNats(config.capture, connection, registry, systemClock);
      const running = host;
      const stats = () => (running.status()['publish'] as PublishStats[])[0] as PublishStats;

      const info = await jsm.streams.info('netrx-cut');
      const derived = streamMessageLimit(STREAM_BYTES, CUT.batchBytes);
      expect(derived).toBe(64);
      expect(info.config.max_msgs_per_subject).toBe(derived);

      // 30,000 events of 128 bytes, in bursts of 1,000 per turn: far more than 64 batches hold.
      const payload = new Uint8Array(128);
      const view = new DataView(payload.buffer);
      const generated = 30_000;
      for (let n = 0; n < generated;) {
        for (let i = 0; i < 1000; i++) {
          view.setUint32(0, n++, true);
          provider.write(SyntheticEvent, payload);
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
      // Every event stored or lost, and the stream holds the report of the loss. Under load
      // the bursts outrun the publishes and the local buffer (maxBuffered 4096) drops some
      // too, counted and reported like the refusals (seen: 14,096 refused, 7,904 dropped).
      await until(
        () => {
          const s = stats();
          return (
            s.offered === generated && s.pending === 0 && s.reportedLost === s.refused + s.dropped
          );
        },
        20_000,
        'the publisher settled',
        stats,
      );
      const published = stats();
      console.info(
        `cut 32768/256: ${JSON.stringify(published)}, max_msgs_per_subject ${info.config.max_msgs_per_subject}`,
      );
      expect(published.stored + published.refused + published.dropped).toBe(generated);
      expect(published.refused).toBeGreaterThan(0);
      expect(published.messages).toBe(derived);
      // The cut in force is the configured one: batches past 64 events, past 8 KiB.
      expect(published.stored / published.messages).toBeGreaterThan(64);
      const full = (await jsm.streams.info('netrx-cut')).state;
      expect(full.messages).toBe(derived);
      expect(full.bytes / full.messages).toBeGreaterThan(8192);
      // ...and still the budget: 64 batches of at most 32 KiB of items, plus subject and headers.
      expect(full.bytes).toBeLessThanOrEqual(STREAM_BYTES + derived * 1024);

      // The reader was behind (it starts only now): it drains the stream and the loss report.
      const link = await nats.link();
      const reader = readerSession(link, 'cut', 'lab-1');
      try {
        await until(
          () => reader.delivered() + reader.lost >= generated,
          30_000,
          'the reader caught up',
          () => ({ delivered: reader.delivered(), lost: reader.lost }),
        );
        console.info(`delivered ${reader.delivered()} lost ${reader.lost} of ${generated}`);
        expect(reader.delivered() + reader.lost).toBe(generated);
        expect(reader.delivered()).toBe(published.stored);
        expect(reader.lost).toBe(published.refused + published.dropped);
        expect(reader.lostNotLast).toBe(0);
        expectUnique(reader.seen, 'lab-1', generated);
      } finally {
        await reader.close();
      }
    } finally {
      await host?.close();
      await connection.close();
    }
  }, 90_000);

  it('a netrx up reader creating a missing stream sizes it over capture.nats.batchBytes', async () => {
    const config = validateHostConfig({
      cluster: { nats: { servers: [nats.server.url] } },
      capture: { nats: { host: 'dash-1', serve: [{ name: 'watch', stream: 'fresh' }], ...CUT } },
    });
    const connection = await connectNats({ servers: nats.server.url, timeoutMs: 1000 });
    const registry = new TraceRegistry({ clock: systemClock });
    try {
      const host = await startCaptureNats(config.capture, connection, registry, systemClock);
      await host.close();
      const queue = queueLimits(4096);
      const config8k = streamMessageLimit(queue.maxBuffers * queue.bufferBytes);
      const limit = (await jsm.streams.info('netrx-fresh')).config.max_msgs_per_subject;
      expect(limit).toBe(streamMessageLimit(queue.maxBuffers * queue.bufferBytes, 32_768));
      expect(limit * 4).toBeLessThanOrEqual(config8k);
    } finally {
      await connection.close();
    }
  }, 30_000);

  it('capture publish --batch-bytes and capture serve --batch-bytes create their streams over the cut', async () => {
    const err: string[] = [];
    /** Each command runs until the stream it creates exists (it attaches to NATS in the background). */
    const untilCreated = (stream: string): CliIo => ({
      out: () => {},
      err: (l) => err.push(l),
      untilStopped: () => streamLimit(stream).then(() => undefined),
    });
    const url = nats.server.url;
    const publish = ['capture', 'publish', '--nats', url, '--host', 'lab-2', '--session', 'clicut'];
    const publishCut = ['--stream-bytes', String(STREAM_BYTES), '--batch-bytes', '32768'];
    expect(await runCli([...publish, ...publishCut], untilCreated('netrx-clicut'))).toBe(0);
    expect(await streamLimit('netrx-clicut')).toBe(64);
    const serve = ['capture', 'serve', '--session', 'cliserve', '--rpc-port', '0'];
    const serveCut = ['--insecure-no-auth', '--nats', url, '--batch-bytes', '65536'];
    expect(await runCli([...serve, ...serveCut], untilCreated('netrx-cliserve'))).toBe(0);
    // The default 1 MiB session over 64 KiB: 16 messages (the floor; 128 over 8 KiB).
    expect(await streamLimit('netrx-cliserve')).toBe(16);
    expect(err).toEqual([]);
  }, 30_000);
});

/** The stream's `max_msgs_per_subject`, once it exists (10 s at most). */
async function streamLimit(stream: string): Promise<number> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return (await jsm.streams.info(stream)).config.max_msgs_per_subject;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
