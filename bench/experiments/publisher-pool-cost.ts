/**
 * Experiment (issue 16, perf16c): what the capture publisher's batch
 * buffer pool costs per event, with no NATS in the way. A CapturePublisher
 * fed by a trace provider (128 B of user data per event, as bench/cluster)
 * publishes into a port that answers every publish stored one turn later,
 * with `IN_FLIGHT` publishes allowed (256, as bench/cluster's publishers);
 * the provider writes while fewer than 4,096 events are pending, as
 * bench/support/cluster-worker.ts does. Ours: the pool as shipped (a free
 * buffer per publish in flight); the anchor, same process and rounds
 * alternated: the pool capped at 8 free buffers (the publisher before
 * perf16c), by patching `BatchBufferPool.give`. Prints CPU time
 * (process.cpuUsage) per 1000 events, the ratio ours/anchor, and the heap
 * and array buffers after each side.
 *
 * Run: `npx tsc -p tsconfig.bench.json`, then
 * `node --expose-gc dist-bench/bench/experiments/publisher-pool-cost.js`
 * (N=200000 events per round, ROUNDS=5, IN_FLIGHT=256). Instructions per
 * event: `ONLY=ours N=… valgrind --tool=callgrind node --single-threaded
 * dist-bench/bench/experiments/publisher-pool-cost.js` at two N, subtracted
 * (start-up and warm-up cancel out); the same with ONLY=pool8.
 */
import { SYNTHETIC_PROVIDER_GUID, SyntheticEvent } from '../../src/capture/index.js';
import { BatchBufferPool } from '../../src/node/cluster/batch-writer.js';
import type { PublishOutcome } from '../../src/node/cluster/ports.js';
import { CapturePublisher } from '../../src/node/cluster/publisher.js';
import { systemClock } from '../../src/node/runtime/index.js';
import { TraceRegistry } from '../../src/trace/index.js';

const n = Number(process.env['N'] ?? 200_000);
const rounds = Number(process.env['ROUNDS'] ?? 5);
const inFlight = Number(process.env['IN_FLIGHT'] ?? 256);

const proto = BatchBufferPool.prototype as unknown as Record<string, unknown>;
const give = proto['give'] as (this: BatchBufferPool, bytes: Uint8Array) => void;
let cap: number | undefined;
proto['give'] = function (this: BatchBufferPool, bytes: Uint8Array) {
  if (cap === undefined || this.held < cap) give.call(this, bytes);
};

const turn = () => new Promise((resolve) => setImmediate(resolve));

async function round(keep: number | undefined): Promise<{ msPerK: number; stored: number }> {
  cap = keep;
  const answers: (() => void)[] = [];
  const port = {
    publish(): Promise<PublishOutcome> {
      return new Promise((resolve) =>
        answers.push(() => resolve({ kind: 'stored', duplicate: false })),
      );
    },
  };
  const registry = new TraceRegistry({ clock: systemClock });
  const provider = registry.register({ guid: SYNTHETIC_PROVIDER_GUID, name: 'netrx-synthetic' });
  const publisher = new CapturePublisher({
    port,
    registry,
    clock: systemClock,
    host: 'lab-1',
    session: 'pool',
    providers: [{ provider: 'netrx-synthetic' }],
    instance: 'run',
    maxInFlight: inFlight,
    maxBuffered: 8192,
  });
  const payload = new Uint8Array(128);
  const view = new DataView(payload.buffer);
  const cpu0 = process.cpuUsage();
  let emitted = 0;
  while (emitted < n) {
    const room = 4096 - publisher.stats().pending;
    for (let i = 0; i < room && emitted < n; i++) {
      view.setUint32(0, emitted++, true);
      provider.write(SyntheticEvent, payload);
    }
    await turn();
    for (const answer of answers.splice(0)) answer();
  }
  while (!publisher.settled) {
    await turn();
    for (const answer of answers.splice(0)) answer();
  }
  const cpu = process.cpuUsage(cpu0);
  publisher.close();
  return { msPerK: (cpu.user + cpu.system) / 1000 / (n / 1000), stored: publisher.stats().stored };
}

/** ONLY=ours or ONLY=pool8: one side, one round after a warm-up (for callgrind: Ir at two N, subtracted). */
const only = process.env['ONLY'];
if (only !== undefined) {
  const keep = only === 'pool8' ? 8 : undefined;
  await round(keep);
  const r = await round(keep);
  console.log(`${only}: ${r.stored} stored`);
  process.exit(0);
}

const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1] ?? 0;
const ours: number[] = [];
const anchor: number[] = [];
await round(undefined); // warm-up, both paths compiled
await round(8);
for (let r = 0; r < rounds; r++) {
  const a = await round(8);
  globalThis.gc?.();
  const am = process.memoryUsage();
  const o = await round(undefined);
  globalThis.gc?.();
  const om = process.memoryUsage();
  if (a.stored !== n || o.stored !== n) throw new Error('not every event stored');
  anchor.push(a.msPerK);
  ours.push(o.msPerK);
  console.log(
    `round ${r + 1}: ours ${o.msPerK.toFixed(3)} ms/1000 events, pool of 8 ${a.msPerK.toFixed(3)} ms/1000 (${(o.msPerK / a.msPerK).toFixed(2)}x); heap ${mib(om.heapUsed)} / ${mib(am.heapUsed)}, array buffers ${mib(om.arrayBuffers)} / ${mib(am.arrayBuffers)}`,
  );
}
const load = (await import('node:fs'))
  .readFileSync('/proc/loadavg', 'utf8')
  .split(' ')
  .slice(0, 3)
  .join(' ');
console.log(
  `median: ours ${median(ours).toFixed(3)} ms, pool of 8 ${median(anchor).toFixed(3)} ms per 1000 events: ${(median(ours) / median(anchor)).toFixed(2)}x (load ${load})`,
);
