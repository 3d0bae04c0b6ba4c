/**
 * Experiment (issue 16, perf16c): where a capture fan-in round's wall clock
 * goes, and what the per-host pull window does to it. Three publisher
 * threads (bench/support/cluster-worker.ts) send 100,000 events of 128 B
 * each into one session; one StreamSessionSource here serves them with a
 * receive always posted, as bench/cluster.ts does. The anchor, in the same
 * run before every netrx round: the bare `@nats-io/jetstream` client with
 * the same batches (bench/cluster.ts's `raw-batch`) and a consumer acking
 * each message.
 *
 * Settings are applied by patching the pipeline's resolved fields before it
 * starts (no option is plumbed through the link for an experiment):
 * FANIN_CONFIGS="windowBytes/pullsInFlight/expiresMs/poolKeep,…" (default
 * the shipped one; `-` or nothing keeps a field; `poolKeep` caps the
 * publishers' free batch buffers, fanin-window-worker.ts). FANIN_ROUNDS rounds per config
 * (default 1), alternated config by config. FANIN_TRACE=1 also patches the
 * pipeline, the pull window, the ack batcher and the client's loop to
 * time: each request's wait for its first message, messages per request,
 * time with no request for messages at the server, time gated (events
 * waiting for room), time a delivered buffer waited for the client's
 * receive and the client for a buffer, and acks per write. The patches
 * only exist in this process. FANIN_MODE=drain fills the stream before
 * the reader opens, so only the reader's drain is timed (the window's own
 * effect, without the publishers' pace).
 *
 * Run: `npx tsc -p tsconfig.bench.json`, then
 * `FANIN_TRACE=1 node --expose-gc dist-bench/bench/experiments/fanin-window.js`
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { SessionTable } from '../../src/capture/index.js';
import { StreamSessionSource, connectNatsCapture } from '../../src/node/cluster/index.js';
import { AckBatcher } from '../../src/node/cluster/ack-batcher.js';
import { PullBudget } from '../../src/node/cluster/pull-budget.js';
import { PULLS_IN_FLIGHT, PullPipeline } from '../../src/node/cluster/pull-pipeline.js';
import { PullWindow } from '../../src/node/cluster/pull-window.js';
import { systemClock } from '../../src/node/runtime/index.js';
import { TraceRegistry } from '../../src/trace/index.js';
import { threadCpuMs } from '../support/thread-cpu.js';
import type { ClusterWorkerData, ClusterWorkerResult } from '../support/cluster-worker.js';
import { freePort } from '../../test/interop/support/ports.js';

/** Publishing hosts (each its own worker thread) and events per host. */
const PUBLISHERS = Number(process.env['FANIN_HOSTS'] ?? 3);
const EVENTS = Number(process.env['FANIN_EVENTS'] ?? 100_000);
const ROUNDS = Number(process.env['FANIN_ROUNDS'] ?? 1);
const TRACE = process.env['FANIN_TRACE'] === '1';
/** `drain`: the publishers fill the stream first, then the reader alone is timed (its drain rate). */
const DRAIN = process.env['FANIN_MODE'] === 'drain';
const CONFIGS = (process.env['FANIN_CONFIGS'] ?? '-/-/-').split(',').map((text) => {
  const [window, pulls, expires, pool] = text
    .split('/')
    .map((f) => (f === '-' ? undefined : Number(f)));
  return { window, pulls, expires, pool, text };
});

const now = () => performance.now();

/** The reader's pull bytes outstanding at most (its budget's high-water mark), over a round. */
let budgetPeak = 0;
const budgetProto = PullBudget.prototype as unknown as Record<string, unknown>;
const take = budgetProto['take'] as (this: PullBudget, ...a: unknown[]) => boolean;
budgetProto['take'] = function (this: PullBudget, ...a: unknown[]) {
  const taken = take.apply(this, a);
  budgetPeak = Math.max(budgetPeak, this.outstanding);
  return taken;
};

/** What the trace patches gather over one netrx round. */
const trace = {
  requests: 0,
  keepAlives: 0,
  messages: 0,
  firstMessageWaitMs: 0,
  firstMessageWaits: 0,
  /** Per pipeline: since when it has had no request for messages at the server. */
  idleSince: new Map<PullPipeline, number>(),
  idleMs: 0,
  gatedSince: undefined as number | undefined,
  gatedMs: 0,
  gatedTimes: 0,
  ackFlushes: 0,
  acks: 0,
  reset(): void {
    this.requests = this.keepAlives = this.messages = 0;
    this.firstMessageWaitMs = this.firstMessageWaits = 0;
    this.idleSince.clear();
    this.idleMs = this.gatedMs = this.gatedTimes = 0;
    this.gatedSince = undefined;
    this.ackFlushes = this.acks = 0;
  },
};
/** Requests sent and not yet answered by a first message, per pipeline (oldest first). */
const awaitingFirst = new Map<PullPipeline, number[]>();
let applied: (typeof CONFIGS)[number] = CONFIGS[0] ?? {
  window: undefined,
  pulls: undefined,
  expires: undefined,
  pool: undefined,
  text: '-/-/-',
};

type Patched = Record<string, unknown> & {
  requestsOutstanding: number;
  windowBytes: number;
  requestBytes: number;
  expiresMs: number;
};
const proto = PullPipeline.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
const original = {
  start: proto['start'] as (this: PullPipeline) => void,
  request: proto['request'] as (this: PullPipeline, ...args: unknown[]) => void,
  message: proto['message'] as (this: PullPipeline, size: number) => void,
  status: proto['status'] as (this: PullPipeline, ...args: unknown[]) => void,
};
proto['start'] = function (this: PullPipeline) {
  const self = this as unknown as Patched;
  if (applied.window !== undefined) self.windowBytes = applied.window;
  if (applied.window !== undefined || applied.pulls !== undefined) {
    self.requestBytes = Math.floor(self.windowBytes / (applied.pulls ?? PULLS_IN_FLIGHT));
  }
  if (applied.expires !== undefined) self.expiresMs = applied.expires;
  original.start.call(this);
};
if (TRACE) {
  const idleCheck = (pipeline: PullPipeline) => {
    const open = (pipeline as unknown as Patched).requestsOutstanding > 0;
    const since = trace.idleSince.get(pipeline);
    if (open && since !== undefined) {
      trace.idleMs += now() - since;
      trace.idleSince.delete(pipeline);
    } else if (!open && since === undefined) trace.idleSince.set(pipeline, now());
  };
  proto['request'] = function (this: PullPipeline, ...args: unknown[]) {
    if (args[1] === true) trace.keepAlives++;
    else {
      trace.requests++;
      const list = awaitingFirst.get(this) ?? [];
      list.push(now());
      awaitingFirst.set(this, list);
    }
    original.request.apply(this, args);
    idleCheck(this);
  };
  proto['message'] = function (this: PullPipeline, ...args: unknown[]) {
    trace.messages++;
    const sent = awaitingFirst.get(this)?.shift();
    if (sent !== undefined) {
      trace.firstMessageWaitMs += now() - sent;
      trace.firstMessageWaits++;
    }
    original.message.call(this, args[0] as number);
    idleCheck(this);
  };
  proto['status'] = function (this: PullPipeline, ...args: unknown[]) {
    original.status.apply(this, args);
    idleCheck(this);
  };
  const windowProto = PullWindow.prototype as unknown as Record<string, unknown>;
  const admit = windowProto['admit'] as (this: PullWindow<unknown>, ...a: unknown[]) => boolean;
  const resume = windowProto['resume'] as (this: PullWindow<unknown>, ...a: unknown[]) => void;
  const drain = windowProto['drain'] as (this: PullWindow<unknown>) => unknown[];
  const gateCheck = (window: PullWindow<unknown>) => {
    if (window.length > 0 && trace.gatedSince === undefined) {
      trace.gatedSince = now();
      trace.gatedTimes++;
    } else if (window.length === 0 && trace.gatedSince !== undefined) {
      trace.gatedMs += now() - trace.gatedSince;
      trace.gatedSince = undefined;
    }
  };
  windowProto['admit'] = function (this: PullWindow<unknown>, ...a: unknown[]) {
    const done = admit.apply(this, a);
    gateCheck(this);
    return done;
  };
  windowProto['resume'] = function (this: PullWindow<unknown>, ...a: unknown[]) {
    resume.apply(this, a);
    gateCheck(this);
  };
  windowProto['drain'] = function (this: PullWindow<unknown>) {
    const all = drain.call(this);
    gateCheck(this);
    return all;
  };
  const ackProto = AckBatcher.prototype as unknown as Record<string, unknown>;
  const flush = ackProto['flush'] as (this: AckBatcher) => void;
  ackProto['flush'] = function (this: AckBatcher) {
    if (this.size > 0) {
      trace.ackFlushes++;
      trace.acks += this.size;
    }
    flush.call(this);
  };
}

const store = mkdtempSync(join(tmpdir(), 'perf16c-fanin-'));
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
const serverPid = server.pid ?? 0;

/** nats-server's CPU time so far (ms), from procfs. */
function serverCpuMs(): number {
  const stat = readFileSync(`/proc/${serverPid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function startPublisher(mode: ClusterWorkerData['mode'], session: string, i: number) {
  return new Promise<ClusterWorkerResult>((resolve, reject) => {
    const worker = new Worker(new URL('./fanin-window-worker.js', import.meta.url), {
      workerData: {
        ...(applied.pool === undefined ? {} : { poolKeep: applied.pool }),
        mode,
        url,
        session,
        host: `lab-${i + 1}`,
        events: EVENTS,
        payloadBytes: 128,
        inFlight: 256,
        batchBytes: 8192,
        batchEvents: 64,
      } satisfies ClusterWorkerData & { poolKeep?: number },
    });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

/** All hosts at once (live), or four at a time (drain: many hosts need not share the cores at once). */
async function startPublishers(mode: ClusterWorkerData['mode'], session: string) {
  const hosts = Array.from({ length: PUBLISHERS }, (_, i) => i);
  if (!DRAIN) return Promise.all(hosts.map((i) => startPublisher(mode, session, i)));
  const results: ClusterWorkerResult[] = [];
  for (let at = 0; at < hosts.length; at += 4) {
    const group = hosts.slice(at, at + 4).map((i) => startPublisher(mode, session, i));
    results.push(...(await Promise.all(group)));
  }
  return results;
}

interface Round {
  readonly perSecond: number;
  readonly readerMsPerK: number;
  readonly serverMsPerK: number;
  readonly publishersDoneS: number;
  /** The publisher threads' CPU time per 1000 events. */
  readonly publisherMsPerK: number;
  readonly seconds: number;
  readonly exact: boolean;
}

async function bareRound(session: string): Promise<Round> {
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
    max_bytes: 2 ** 30,
    duplicate_window: 120_000 * 1_000_000,
  });
  await jsm.consumers.add(`raw-${session}`, {
    durable_name: 'reader',
    ack_policy: js.AckPolicy.Explicit,
    max_ack_pending: 4096,
  });
  const consumer = await js.jetstream(nc).consumers.get(`raw-${session}`, 'reader');
  const filled = DRAIN ? await startPublishers('raw-batch', session) : undefined;
  const messages = await consumer.consume({ max_messages: 512 });
  const perMessage = Math.min(64, Math.floor(8192 / (8 + 96 + 128)));
  const generated = EVENTS * PUBLISHERS;
  const cpu0 = threadCpuMs();
  const server0 = serverCpuMs();
  const start = now();
  let publishersDone = 0;
  const workers =
    filled === undefined
      ? startPublishers('raw-batch', session).then((r) => {
          publishersDone = now();
          return r;
        })
      : Promise.resolve(filled);
  let delivered = 0;
  const idle = setTimeout(() => void messages.stop(), 20_000);
  for await (const m of messages) {
    m.ack();
    delivered += Math.min(perMessage, generated - delivered);
    if (delivered === generated) break;
  }
  clearTimeout(idle);
  const seconds = (now() - start) / 1000;
  const readerMs = threadCpuMs() - cpu0;
  const serverMs = serverCpuMs() - server0;
  const published = await workers;
  await nc.drain();
  return {
    publisherMsPerK: published.reduce((n, r) => n + r.cpuMs, 0) / (generated / 1000),
    perSecond: generated / seconds,
    readerMsPerK: readerMs / (generated / 1000),
    serverMsPerK: serverMs / (generated / 1000),
    publishersDoneS: (publishersDone - start) / 1000,
    seconds,
    exact: delivered === generated,
  };
}

async function netrxRound(session: string): Promise<Round & { notes: string }> {
  const link = await connectNatsCapture({ servers: url, timeoutMs: 5000 });
  await link.ensureStream(session, { maxBytes: 2 ** 30 });
  const table = new SessionTable({
    registry: new TraceRegistry({ clock: systemClock }),
    clock: systemClock,
  });
  const source = new StreamSessionSource({ port: link, session, hosts: '*' });
  table.createSession({ name: session, providers: [], source, limits: { timerMs: 100 } }).start();
  const filled = DRAIN ? await startPublishers('netrx', session) : undefined;
  const handle = table.openSession(session);
  const generated = EVENTS * PUBLISHERS;
  let delivered = 0;
  let lost = 0;
  let clientWaitMs = 0;
  let receives = 0;
  let more = 0;
  const reasons: Record<string, number> = {};
  trace.reset();
  budgetPeak = 0;
  globalThis.gc?.();
  const before = process.memoryUsage();
  let heapPeak = 0;
  let buffersPeak = 0;
  const cpu0 = threadCpuMs();
  const server0 = serverCpuMs();
  const elu0 = performance.eventLoopUtilization();
  const start = now();
  let publishersDone = 0;
  const workers =
    filled === undefined
      ? startPublishers('netrx', session).then((r) => {
          publishersDone = now();
          return r;
        })
      : Promise.resolve(filled);
  const deadline = Date.now() + 60_000;
  while (delivered + lost < generated && Date.now() < deadline) {
    const posted = now();
    const done = await table.receiveData(handle).done;
    clientWaitMs += now() - posted;
    receives++;
    if (done.status !== 'data') break;
    if (done.more) more++;
    if ((receives & 15) === 0) {
      const m = process.memoryUsage();
      heapPeak = Math.max(heapPeak, m.heapUsed);
      buffersPeak = Math.max(buffersPeak, m.arrayBuffers);
    }
    reasons[done.meta.reason] = (reasons[done.meta.reason] ?? 0) + 1;
    delivered += done.meta.events;
    lost += done.meta.lost;
  }
  const end = now();
  const seconds = (end - start) / 1000;
  const readerMs = threadCpuMs() - cpu0;
  const serverMs = serverCpuMs() - server0;
  const elu = performance.eventLoopUtilization(elu0);
  for (const since of trace.idleSince.values()) trace.idleMs += end - since;
  if (trace.gatedSince !== undefined) trace.gatedMs += end - trace.gatedSince;
  const published = await workers;
  table.closeSession(handle);
  await link.close();
  awaitingFirst.clear();
  const ms = (n: number) => `${n.toFixed(0)} ms`;
  const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
  const memory = `pull bytes outstanding at most ${mib(budgetPeak)} (budget ${mib(8 * 2 ** 20)}); heap used ${mib(before.heapUsed)} before, ${mib(heapPeak)} at most; array buffers ${mib(before.arrayBuffers)} before, ${mib(buffersPeak)} at most`;
  const notes = TRACE
    ? [
        memory,
        `reader event loop busy ${(elu.utilization * 100).toFixed(0)} %`,
        `${trace.requests} requests (${trace.keepAlives} keep-alives), ${(trace.messages / Math.max(1, trace.requests)).toFixed(1)} messages per request`,
        `request → a first message ${(trace.firstMessageWaitMs / Math.max(1, trace.firstMessageWaits)).toFixed(2)} ms on average`,
        `no request at the server ${ms(trace.idleMs)} summed over hosts`,
        `gated (events waiting for room) ${ms(trace.gatedMs)} in ${trace.gatedTimes} spells`,
        `client waited for a buffer ${ms(clientWaitMs)} over ${receives} receives (${more} completed with more sealed behind; reasons ${JSON.stringify(reasons)})`,
        `acks ${trace.acks} in ${trace.ackFlushes} writes`,
      ].join('\n    ')
    : memory;
  return {
    publisherMsPerK: published.reduce((n, r) => n + r.cpuMs, 0) / (generated / 1000),
    perSecond: generated / seconds,
    readerMsPerK: readerMs / (generated / 1000),
    serverMsPerK: serverMs / (generated / 1000),
    publishersDoneS: (publishersDone - start) / 1000,
    seconds,
    exact: delivered + lost === generated && lost === 0,
    notes,
  };
}

const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const fmt = (r: Round) =>
  `${(r.perSecond / 1000).toFixed(1)} k/s, publishers ${r.publisherMsPerK.toFixed(2)} ms/1000, reader ${r.readerMsPerK.toFixed(2)} ms/1000, nats-server ${r.serverMsPerK.toFixed(2)} ms/1000, ${DRAIN ? '' : `publishers done at ${r.publishersDoneS.toFixed(2)} s of `}${r.seconds.toFixed(2)} s${r.exact ? '' : ' NOT EXACT'}`;

let session = 0;
try {
  console.log(
    `fanin-window (${DRAIN ? 'drain: stream filled first' : 'live fan-in'}): load ${load()}`,
  );
  for (let round = 0; round < ROUNDS; round++) {
    for (const config of CONFIGS) {
      applied = config;
      session++;
      const bare = await bareRound(`fw${session}`);
      const ours = await netrxRound(`fw${session}`);
      console.log(
        `config ${config.text} round ${round + 1} (load ${load()}): netrx ${fmt(ours)}; bare ${fmt(bare)}; ratio ${(ours.perSecond / bare.perSecond).toFixed(2)}x, reader CPU ${(ours.readerMsPerK / bare.readerMsPerK).toFixed(2)}x, publisher CPU ${(ours.publisherMsPerK / bare.publisherMsPerK).toFixed(2)}x; rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`,
      );
      if (ours.notes !== '') console.log(`    ${ours.notes}`);
    }
  }
} finally {
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  rmSync(store, { recursive: true, force: true });
}
