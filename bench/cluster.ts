/**
 * Capture fan-in through NATS JetStream: three publishing hosts (each its
 * own worker thread and connection) send `EVENTS` events of 128 bytes of
 * user data into one session's stream on a private `nats-server -js`, and
 * one reader here serves them as an MS-LREC session (StreamSessionSource,
 * a receive always posted) until every event is delivered or counted lost.
 * The anchors, in the same run and on the same server: the bare
 * `@nats-io/jetstream` client publishing the same batches (8 KiB, 64 events at most) of the
 * EventRecords netrx sends (as many events per message, the same number in
 * flight) and a bare consumer acking them, so the ratio is what netrx's
 * publisher, event encoding, loss accounting and session cost on top of
 * the client it is built on; and, labelled as such, the bare client
 * publishing one event per message (a naive use, not a fair anchor).
 * Prints events/s per publisher and for the fan-in, the ratio
 * (ours / theirs), the loss check, and memory.
 *
 * Then, on the same server, authentications per second with EAP
 * conversation state in the JetStream KV bucket against in-memory state
 * (support/cluster-auth.ts), directly and through a round-robin relay over
 * three KV servers: the ratio, p50/p99 latency, CPU per auth of the
 * RADIUS server and of nats-server, memory. Settings:
 * NETRX_BENCH_CLUSTER_PART (capture, auth or both; default both),
 * NETRX_BENCH_CLUSTER_NAIVE=0 (skips the naive anchor),
 * NETRX_BENCH_CLUSTER_BATCH_BYTES and NETRX_BENCH_CLUSTER_BATCH_EVENTS (the
 * publishers' batch cut, netrx's and the anchor's alike; default 8192 and 64),
 * NETRX_BENCH_CLUSTER_COMPARE_ACKS=1 (each round also runs netrx with each
 * ack written as it comes, as the reader did before batched acks),
 * NETRX_BENCH_CLUSTER_AUTHS (5000 per closed-loop run),
 * NETRX_BENCH_CLUSTER_PARALLEL (64), NETRX_BENCH_CLUSTER_RATE (100 auths/s
 * for the paced run) and NETRX_BENCH_CLUSTER_PACED_SECONDS (4).
 *
 *   npm run bench -- cluster
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { SessionTable } from '../src/capture/index.js';
import {
  STREAM_BATCH_BYTES,
  STREAM_BATCH_EVENTS,
  StreamSessionSource,
  connectNatsCapture,
  streamMessageLimit,
} from '../src/node/cluster/index.js';
import { checkBatchBytes, checkBatchEvents } from '../src/node/cluster/stream-budget.js';
import { systemClock } from '../src/node/runtime/index.js';
import { TraceRegistry } from '../src/trace/index.js';
import { authBench } from './support/cluster-auth.js';
import { threadCpuMs } from './support/thread-cpu.js';
import type { ClusterWorkerData, ClusterWorkerResult } from './support/cluster-worker.js';
import { freePort } from '../test/interop/support/ports.js';

const EVENTS = Number(process.env['NETRX_BENCH_CLUSTER_EVENTS'] ?? 100_000);
const PUBLISHERS = 3;
const PAYLOAD = 128;
const IN_FLIGHT = 256;
const ROUNDS = Number(process.env['NETRX_BENCH_CLUSTER_ROUNDS'] ?? 3);
const PART = process.env['NETRX_BENCH_CLUSTER_PART'] ?? 'both';
/** The publishers' batch cut (default netrx's, STREAM_BATCH_BYTES / STREAM_BATCH_EVENTS), for both netrx and the anchor. */
// Checked here, as capture.nats.batchBytes/batchEvents are: a typo fails before any round.
const BATCH_BYTES = checkBatchBytes(
  Number(process.env['NETRX_BENCH_CLUSTER_BATCH_BYTES'] ?? STREAM_BATCH_BYTES),
);
const BATCH_EVENTS = checkBatchEvents(
  Number(process.env['NETRX_BENCH_CLUSTER_BATCH_EVENTS'] ?? STREAM_BATCH_EVENTS),
);
const DEFAULT_CUT = BATCH_BYTES === STREAM_BATCH_BYTES && BATCH_EVENTS === STREAM_BATCH_EVENTS;
/** The naive anchor (one event per message: 300,000 publishes, minutes on a loaded machine); 0 skips it. */
const NAIVE = process.env['NETRX_BENCH_CLUSTER_NAIVE'] !== '0';
/** Also run netrx with each ack written as it comes (the reader before batched acks), same round. */
const COMPARE_ACKS = process.env['NETRX_BENCH_CLUSTER_COMPARE_ACKS'] === '1';
if (!['capture', 'auth', 'both'].includes(PART)) {
  console.log(`bench cluster: NETRX_BENCH_CLUSTER_PART must be capture, auth or both: ${PART}`);
  process.exit(1);
}

if (spawnSync('nats-server', ['--version']).status !== 0) {
  console.log(
    'bench cluster: nats-server is not installed (apt-get install -y nats-server): skipped',
  );
  process.exit(0);
}

const store = mkdtempSync(join(tmpdir(), 'netrx-bench-cluster-'));
const port = await freePort();
const server = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', store], {
  stdio: ['ignore', 'ignore', 'pipe'],
});
await new Promise<void>((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('nats-server did not start')), 15_000);
  server.stderr.on('data', (chunk: Buffer) => {
    if (chunk.toString().includes('Server is ready')) {
      clearTimeout(timer);
      resolve();
    }
  });
});
const url = `nats://127.0.0.1:${port}`;
const version = spawnSync('nats-server', ['--version'], { encoding: 'utf8' }).stdout.trim();

function runWorker(data: ClusterWorkerData): Promise<ClusterWorkerResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./support/cluster-worker.js', import.meta.url), {
      workerData: data,
    });
    worker.once('message', (result: ClusterWorkerResult) => resolve(result));
    worker.once('error', reject);
  });
}

/** The three publishing hosts of one round, each in its own worker thread. */
function startPublishers(
  mode: ClusterWorkerData['mode'],
  session: string,
): Promise<ClusterWorkerResult>[] {
  return Array.from({ length: PUBLISHERS }, (_, i) =>
    runWorker({
      mode,
      url,
      session,
      host: `lab-${i + 1}`,
      events: EVENTS,
      payloadBytes: PAYLOAD,
      inFlight: IN_FLIGHT,
      batchBytes: BATCH_BYTES,
      batchEvents: BATCH_EVENTS,
    }),
  );
}

interface RoundResult {
  readonly fanInPerSecond: number;
  readonly perPublisher: number[];
  readonly publisherCpuMsPerKEvents: number;
  /** The reader's (main thread's) CPU time per 1000 events. */
  readonly readerMsPerKEvents: number;
  readonly eventsPerMessage: number;
  readonly delivered: number;
  readonly lost: number;
  readonly generated: number;
  /** The reader's consume loop failures by JetStream code (netrx rounds only). */
  readonly consumerErrors?: Readonly<Record<string, number>>;
}

const maxBytes = 1024 * 1024 * 1024;

async function netrxRound(
  round: number,
  acksPerWrite?: number,
  maxMsgs?: number,
): Promise<RoundResult> {
  const session = `bench${acksPerWrite ?? ''}${maxMsgs === undefined ? '' : `s${maxMsgs}`}x${round}`;
  const link = await connectNatsCapture({ servers: url, timeoutMs: 5000, acksPerWrite });
  // A stream of `maxMsgs` messages refuses (discard: new) whenever the reader falls behind.
  // Sized over the cut, as `netrx up` sizes it (capture.nats.batchBytes).
  const budget = { maxBytes, batchBytes: BATCH_BYTES };
  await link.ensureStream(session, maxMsgs === undefined ? budget : { ...budget, maxMsgs });
  const table = new SessionTable({
    registry: new TraceRegistry({ clock: systemClock }),
    clock: systemClock,
  });
  const source = new StreamSessionSource({ port: link, session, hosts: '*' });
  table.createSession({ name: session, providers: [], source, limits: { timerMs: 100 } }).start();
  const handle = table.openSession(session);
  const generated = EVENTS * PUBLISHERS;
  let delivered = 0;
  let lost = 0;
  const cpu0 = threadCpuMs();
  const start = process.hrtime.bigint();
  const workers = startPublishers('netrx', session);
  // A loss the reader never hears of would keep it waiting: give up after a minute, and say so.
  const deadline = Date.now() + 60_000;
  while (delivered + lost < generated && Date.now() < deadline) {
    const done = await table.receiveData(handle).done;
    if (done.status !== 'data') break;
    delivered += done.meta.events;
    lost += done.meta.lost;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const readerMs = threadCpuMs() - cpu0;
  const results = await Promise.all(workers);
  table.closeSession(handle);
  await link.close();
  const publishedLost = results.reduce((n, r) => n + r.lost, 0);
  if (lost !== publishedLost + source.stats().queueLost) {
    console.log(`  FAIL: NET_EVENT_LOST ${lost} but the publishers lost ${publishedLost}`);
  }
  return {
    fanInPerSecond: generated / seconds,
    perPublisher: results.map((r) => r.offered / r.seconds),
    publisherCpuMsPerKEvents: results.reduce((n, r) => n + r.cpuMs, 0) / (generated / 1000),
    readerMsPerKEvents: readerMs / (generated / 1000),
    eventsPerMessage: delivered / source.stats().messages,
    delivered,
    lost,
    generated,
    consumerErrors: source.stats().consumerErrors,
  };
}

async function rawRound(round: number, batched: boolean): Promise<RoundResult> {
  const session = `raw${batched ? 'b' : ''}${round}`;
  // netrx's fixed batch cut (review F3): as many events per message as its publisher sends.
  const perMessage = batched
    ? Math.min(BATCH_EVENTS, Math.floor(BATCH_BYTES / (8 + 96 + PAYLOAD)))
    : 1;
  const { connect } = await import('@nats-io/transport-node');
  const js = await import('@nats-io/jetstream');
  const nc = await connect({ servers: url });
  const jsm = await js.jetstreamManager(nc);
  await jsm.streams.add({
    name: `raw-${session}`,
    subjects: [`raw.${session}.>`],
    retention: js.RetentionPolicy.Workqueue,
    discard: js.DiscardPolicy.New,
    storage: js.StorageType.File,
    max_bytes: maxBytes,
    duplicate_window: 120_000 * 1_000_000,
  });
  await jsm.consumers.add(`raw-${session}`, {
    durable_name: 'reader',
    ack_policy: js.AckPolicy.Explicit,
    max_ack_pending: 4096,
  });
  const consumer = await js.jetstream(nc).consumers.get(`raw-${session}`, 'reader');
  const messages = await consumer.consume({ max_messages: 512 });
  const generated = EVENTS * PUBLISHERS;
  const cpu0 = threadCpuMs();
  const start = process.hrtime.bigint();
  const workers = startPublishers(batched ? 'raw-batch' : 'raw', session);
  let delivered = 0;
  // A publish the anchor lost (timed out on a loaded machine) never arrives: give up once
  // nothing came for 10 s, rather than wait forever.
  let idle = setTimeout(() => void messages.stop(), 10_000);
  for await (const m of messages) {
    m.ack();
    delivered += Math.min(perMessage, generated - delivered);
    if (delivered === generated) break;
    clearTimeout(idle);
    idle = setTimeout(() => void messages.stop(), 10_000);
  }
  clearTimeout(idle);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const readerMs = threadCpuMs() - cpu0;
  const results = await Promise.all(workers);
  await nc.drain();
  return {
    fanInPerSecond: generated / seconds,
    perPublisher: results.map((r) => r.offered / r.seconds),
    publisherCpuMsPerKEvents: results.reduce((n, r) => n + r.cpuMs, 0) / (generated / 1000),
    readerMsPerKEvents: readerMs / (generated / 1000),
    eventsPerMessage: perMessage,
    delivered,
    lost: results.reduce((n, r) => n + r.lost, 0),
    generated,
  };
}

const mib = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;
/** The reader process's memory by kind (rss counts the three worker threads' heaps too). */
function memory(): string {
  const m = process.memoryUsage();
  return `rss ${mib(m.rss)}, heap used ${mib(m.heapUsed)} of ${mib(m.heapTotal)}, external ${mib(m.external)} (array buffers ${mib(m.arrayBuffers)})`;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1] ?? 0;
const k = (n: number) => `${(n / 1000).toFixed(1)} k/s`;

async function captureBench(): Promise<void> {
  console.log(
    `cluster: ${PUBLISHERS} publishers × ${EVENTS} events of ${PAYLOAD} B through ${version} (one server), ${ROUNDS} rounds, alternating; batches cut at ${BATCH_BYTES} B or ${BATCH_EVENTS} events`,
  );
  console.log(
    `  the cut: ${DEFAULT_CUT ? 'the default' : 'NETRX_BENCH_CLUSTER_BATCH_BYTES/_EVENTS'} (capture.nats.batchBytes ${BATCH_BYTES}, batchEvents ${BATCH_EVENTS}); a 1 MiB session's stream over it: ${streamMessageLimit(1024 * 1024, BATCH_BYTES)} messages per host and provider`,
  );
  const ours: RoundResult[] = [];
  const theirs: RoundResult[] = [];
  const naive: RoundResult[] = [];
  const perMessageAcks: RoundResult[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    if (NAIVE) naive.push(await rawRound(round, false));
    theirs.push(await rawRound(round, true));
    ours.push(await netrxRound(round));
    if (COMPARE_ACKS) perMessageAcks.push(await netrxRound(round, 1));
    console.log(`  memory after round ${round + 1}: ${memory()}`);
    const o = ours[round] as RoundResult;
    const t = theirs[round] as RoundResult;
    console.log(
      `  round ${round + 1}: netrx fan-in ${k(o.fanInPerSecond)} (delivered ${o.delivered} + lost ${o.lost} = ${o.delivered + o.lost} of ${o.generated}${o.delivered + o.lost === o.generated ? '' : ' FAIL'}; ${o.eventsPerMessage.toFixed(1)} events per message, reader CPU ${o.readerMsPerKEvents.toFixed(2)} ms per 1000), bare client, same batches ${k(t.fanInPerSecond)} (reader CPU ${t.readerMsPerKEvents.toFixed(2)} ms per 1000), bare client one event per message ${NAIVE ? k((naive[round] as RoundResult).fanInPerSecond) : 'not run'}`,
    );
    console.log(`    reader consume loop errors: ${JSON.stringify(o.consumerErrors ?? {})}`);
    const p = perMessageAcks[round];
    if (p !== undefined) {
      console.log(
        `    same round, netrx acking each message as it comes: fan-in ${k(p.fanInPerSecond)} (delivered ${p.delivered} + lost ${p.lost}${p.delivered + p.lost === p.generated ? '' : ' FAIL'}; ${p.eventsPerMessage.toFixed(1)} events per message, reader CPU ${p.readerMsPerKEvents.toFixed(2)} ms per 1000)`,
      );
    }
  }
  // Loss exactness when the stream refuses: a stream of 16 messages behind 256 in flight.
  const small = await netrxRound(0, undefined, 16);
  console.log(
    `  stream too small (16 messages, discard: new): generated ${small.generated}, delivered ${small.delivered}, lost ${small.lost} (NET_EVENT_LOST from the loss reports): ${small.delivered + small.lost === small.generated ? 'exact' : 'FAIL: delivered + lost != generated'}`,
  );
  const oFan = median(ours.map((r) => r.fanInPerSecond));
  const tFan = median(theirs.map((r) => r.fanInPerSecond));
  const oPub = median(ours.flatMap((r) => r.perPublisher));
  const tPub = median(theirs.flatMap((r) => r.perPublisher));
  const oCpu = median(ours.map((r) => r.publisherCpuMsPerKEvents));
  const tCpu = median(theirs.map((r) => r.publisherCpuMsPerKEvents));
  const oRead = median(ours.map((r) => r.readerMsPerKEvents));
  if (COMPARE_ACKS) {
    const pRead = median(perMessageAcks.map((r) => r.readerMsPerKEvents));
    console.log(
      `  reader CPU per 1000 events, acks written a turn at a time ${oRead.toFixed(2)} ms against each as it comes ${pRead.toFixed(2)} ms (ratio ${(oRead / pRead).toFixed(2)}x); fan-in ${k(median(perMessageAcks.map((r) => r.fanInPerSecond)))} with each as it comes`,
    );
  }
  const tRead = median(theirs.map((r) => r.readerMsPerKEvents));
  console.log(
    `  fan-in (3 publishers → 1 reader): netrx ${k(oFan)}, bare client same batches ${k(tFan)}, ratio ${(oFan / tFan).toFixed(2)}x`,
  );
  console.log(
    `  per publisher: netrx ${k(oPub)}, bare client same batches ${k(tPub)}, ratio ${(oPub / tPub).toFixed(2)}x`,
  );
  console.log(
    `  publisher thread CPU per 1000 events: netrx ${oCpu.toFixed(2)} ms, bare client same batches ${tCpu.toFixed(2)} ms (ratio ours/theirs ${(oCpu / tCpu).toFixed(2)}x)`,
  );
  console.log(
    `  reader thread CPU per 1000 events: netrx ${oRead.toFixed(2)} ms, bare consumer same batches ${tRead.toFixed(2)} ms (ratio ours/theirs ${(oRead / tRead).toFixed(2)}x)`,
  );
  if (NAIVE) {
    const nFan = median(naive.map((r) => r.fanInPerSecond));
    const nCpu = median(naive.map((r) => r.publisherCpuMsPerKEvents));
    console.log(
      `  naive anchor (bare client, one event per message, not a fair comparison): fan-in ${k(nFan)}, publisher CPU ${nCpu.toFixed(2)} ms per 1000 events`,
    );
  }
  console.log(
    `  load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
  );
  console.log(
    `  target ≥ 200 k events/s across three publishers: ${oFan >= 200_000 ? 'met' : 'not met'}; memory: rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB (reader process)`,
  );
}

let failed = false;
try {
  if (PART !== 'auth') await captureBench();
  if (PART !== 'capture') {
    const ok = await authBench({
      natsUrl: url,
      natsPid: server.pid ?? 0,
      auths: Number(process.env['NETRX_BENCH_CLUSTER_AUTHS'] ?? 5000),
      parallel: Number(process.env['NETRX_BENCH_CLUSTER_PARALLEL'] ?? 64),
      rate: Number(process.env['NETRX_BENCH_CLUSTER_RATE'] ?? 100),
      pacedSeconds: Number(process.env['NETRX_BENCH_CLUSTER_PACED_SECONDS'] ?? 4),
      rounds: ROUNDS,
    });
    failed = !ok;
  }
} finally {
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  rmSync(store, { recursive: true, force: true });
}
if (failed) process.exitCode = 1;
