/**
 * One publishing host of bench/cluster, in its own worker thread (so three
 * publishers get what three hosts would: their own event loop): either the
 * netrx CapturePublisher fed by a trace provider writing `payloadBytes` of
 * user data per event, or the anchor, the bare `@nats-io/jetstream` client
 * publishing the same number of messages of the same size with the same
 * number in flight (`raw`: one event per message, each awaited: what a
 * naive user of the client does), or the same client publishing 64 KiB
 * batches of the same EventRecords, as many events per message as netrx
 * puts in one, with the same window (`raw-batch`: the fair anchor, so the
 * ratio is netrx's own overhead). Reports wall time, this thread's CPU time and the publisher's counts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SYNTHETIC_PROVIDER_GUID, SyntheticEvent } from '../../src/capture/index.js';
import { CapturePublisher, connectNatsCapture } from '../../src/node/cluster/index.js';
import { systemClock } from '../../src/node/runtime/index.js';
import { TraceRegistry } from '../../src/trace/index.js';
import { threadCpuMs } from './thread-cpu.js';

export interface ClusterWorkerData {
  readonly mode: 'netrx' | 'raw' | 'raw-batch';
  readonly url: string;
  readonly session: string;
  readonly host: string;
  readonly events: number;
  readonly payloadBytes: number;
  readonly inFlight: number;
  /** The publisher's batch cut (netrx's `maxBatchBytes`; the anchor sends batches of it). */
  readonly batchBytes: number;
  readonly batchEvents: number;
}

export interface ClusterWorkerResult {
  readonly seconds: number;
  /** This thread's CPU time (process.cpuUsage is process-wide in a worker). */
  readonly cpuMs: number;
  readonly offered: number;
  readonly stored: number;
  readonly lost: number;
  readonly rssBytes: number;
}

const data = workerData as ClusterWorkerData;

async function netrx(): Promise<Omit<ClusterWorkerResult, 'seconds' | 'cpuMs' | 'rssBytes'>> {
  const link = await connectNatsCapture({ servers: data.url, timeoutMs: 5000 });
  const registry = new TraceRegistry({ clock: systemClock });
  const provider = registry.register({ guid: SYNTHETIC_PROVIDER_GUID, name: 'netrx-synthetic' });
  const publisher = new CapturePublisher({
    port: link,
    registry,
    clock: systemClock,
    host: data.host,
    session: data.session,
    providers: [{ provider: 'netrx-synthetic' }],
    instance: `bench-${data.host}`,
    maxInFlight: data.inFlight,
    maxBatchBytes: data.batchBytes,
    maxBatchEvents: data.batchEvents,
    maxBuffered: 8192,
  });
  link.onStatus((status) => publisher.setStatus(status));
  const payload = new Uint8Array(data.payloadBytes);
  const view = new DataView(payload.buffer);
  let emitted = 0;
  // A provider that never outruns the publisher's buffer: what a steady source does.
  while (emitted < data.events) {
    const room = 4096 - publisher.stats().pending;
    for (let i = 0; i < room && emitted < data.events; i++) {
      view.setUint32(0, emitted++, true);
      provider.write(SyntheticEvent, payload);
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  while (!publisher.settled) await new Promise((resolve) => setTimeout(resolve, 1));
  const s = publisher.stats();
  await link.close();
  return { offered: s.offered, stored: s.stored, lost: publisher.lost };
}

async function raw(): Promise<Omit<ClusterWorkerResult, 'seconds' | 'cpuMs' | 'rssBytes'>> {
  const { connect } = await import('@nats-io/transport-node');
  const { jetstream } = await import('@nats-io/jetstream');
  // As netrx's own connections: without it the client builds Error stacks per publish.
  const nc = await connect({ servers: data.url, noAsyncTraces: true });
  const js = jetstream(nc, { timeout: 5000 });
  const subject = `raw.${data.session}.${data.host}.p`;
  const record = 8 + 96 + data.payloadBytes; // the item netrx sends: header and EventRecord
  // netrx's batch cut (review F3), so the anchor sends the batches netrx sends.
  const perMessage =
    data.mode === 'raw-batch'
      ? Math.min(data.batchEvents, Math.floor(data.batchBytes / record))
      : 1;
  // Built once: the anchor publishes bytes, it does not encode events.
  const message = new Uint8Array(data.mode === 'raw-batch' ? perMessage * record : record - 8);
  const messages = Math.ceil(data.events / perMessage);
  let next = 0;
  let stored = 0;
  let lost = 0;
  await new Promise<void>((resolve) => {
    let active = 0;
    const pump = () => {
      while (active < data.inFlight && next < messages) {
        active++;
        const id = `${data.host}.${next++}`;
        js.publish(subject, message, { msgID: id }).then(
          () => {
            stored++;
            active--;
            if (stored + lost === messages) resolve();
            else pump();
          },
          () => {
            lost++;
            active--;
            if (stored + lost === messages) resolve();
            else pump();
          },
        );
      }
    };
    pump();
  });
  await nc.drain();
  return { offered: data.events, stored: stored * perMessage, lost: lost * perMessage };
}

const cpu0 = threadCpuMs();
const start = process.hrtime.bigint();
const counts = await (data.mode === 'netrx' ? netrx() : raw());
const cpuMs = threadCpuMs() - cpu0;
const result: ClusterWorkerResult = {
  ...counts,
  seconds: Number(process.hrtime.bigint() - start) / 1e9,
  cpuMs,
  rssBytes: process.memoryUsage().rss,
};
parentPort?.postMessage(result);
