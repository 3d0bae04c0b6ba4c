/**
 * A host's event durable deleted under a reader that had bound it (by the
 * server, idle past `inactive_threshold`, or by an operator's `nats
 * consumer rm`) is made again by the reader's consume loop. Issue 16: that
 * went uncounted; now it is `handOverStats().eventConsumersGone` and
 * `netrx_nats_stream_event_consumers_recreated_total{reason="gone"}`.
 * Against a real nats-server (Debian nats-server v2.9.10,
 * RECORDED_NATS_VERSION; a private `nats-server -js` on a free loopback
 * port, store in an r-small-* temp dir, killed by its PID). Under CI=true a
 * missing nats-server fails (requireNatsServer).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNatsCapture, type NatsCaptureLink } from '../../src/node/cluster/index.js';
import { servedMetrics } from '../../src/node/host/capture-nats.js';
import { formatMetrics } from '../../src/node/host/metrics.js';
import { natsCaptureMetrics } from '../../src/node/host/nats-metrics.js';
import {
  RECORDED_NATS_VERSION,
  natsAlone,
  publishingHost,
  readerSession,
  requireNatsServer,
  until,
  type NatsNode,
} from './support/nats.js';

const peers = requireNatsServer('nats-consumer-gone.test.ts');
const workdir = mkdtempSync(join(tmpdir(), `r-small-consumer-gone-${process.pid}-`));
let server: NatsNode | undefined;
let bare: NatsConnection | undefined;
const links: NatsCaptureLink[] = [];

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

describe.skipIf(peers.skip)(
  `an event durable deleted under its reader (${RECORDED_NATS_VERSION})`,
  () => {
    it('is made again, counted by host as gone, and the host read on with nothing lost', async () => {
      const link = await connectNatsCapture({ servers: (server as NatsNode).url, timeoutMs: 1000 });
      links.push(link);
      await link.ensureStream('gone', { maxBytes: 1024 * 1024, maxMsgs: 1000 });
      const reader = readerSession(link, 'gone', 'lab-1', { readerId: 'rsmall' });
      const lab = publishingHost(link, 'lab-1', 'gone');
      try {
        lab.emit(5);
        await until(() => reader.delivered() === 5, 10_000, 'the first 5 events');
        expect(reader.source.handOverStats().eventConsumersGone).toEqual({});
        const durable = `${reader.source.durable}-lab-1`;
        const jsm = await jetstreamManager(bare as NatsConnection);
        await jsm.consumers.delete('netrx-gone', durable);
        lab.emit(5);
        await until(
          () => reader.source.handOverStats().eventConsumersGone['lab-1'] === 1,
          10_000,
          'the durable made again',
          () => reader.source.handOverStats(),
        );
        await until(() => reader.delivered() === 10, 10_000, 'all 10 events');
        expect((await jsm.consumers.info('netrx-gone', durable)).config.durable_name).toBe(durable);
        expect(reader.source.handOverStats().eventConsumersReplaced).toEqual({});
        expect(reader.lost).toBe(0);
        const scrape = formatMetrics(
          natsCaptureMetrics({
            consumerErrors: 0,
            consumerErrorCodes: {},
            publish: [],
            serve: [servedMetrics(reader.source)],
          }),
        );
        expect(scrape).toContain(
          'netrx_nats_stream_event_consumers_recreated_total{session="gone",host="lab-1",reason="gone"} 1',
        );
      } finally {
        await reader.close();
        lab.publisher.close();
      }
    }, 30_000);
  },
);
