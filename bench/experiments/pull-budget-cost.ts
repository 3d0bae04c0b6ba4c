/**
 * Experiment (review16c N12, r-reach): what the reader's shared pull
 * budget costs per message in the pull pipeline. HOSTS pipelines (one per
 * claimed host) are fed by a model server in this process: 8,000-byte
 * messages into each 128 KiB request until the next does not fit, then
 * the 409 with `Nats-Pending-Bytes` that ends it, round-robin over the
 * hosts. Ours: the pipelines share a PullBudget of BUDGET requests (it
 * binds when HOSTS × 2 > BUDGET, so hosts also queue for bytes). Anchor,
 * same run and rounds alternated: the same pipelines without a budget
 * (main before N12). Prints µs of CPU (process.cpuUsage) per message and
 * the ratio ours/anchor, and the heap used after each side.
 *
 * Run: `npx tsc -p tsconfig.bench.json`, then
 * `node dist-bench/bench/experiments/pull-budget-cost.js`
 * (N=400000 messages, HOSTS=8, BUDGET=8 requests, ROUNDS=5).
 */
import { VirtualClock } from '../../src/testing/index.js';
import { PullBudget } from '../../src/node/cluster/pull-budget.js';
import { PullPipeline } from '../../src/node/cluster/pull-pipeline.js';

const n = Number(process.env['N'] ?? 400_000);
const hosts = Number(process.env['HOSTS'] ?? 8);
const budgetRequests = Number(process.env['BUDGET'] ?? 8);
const rounds = Number(process.env['ROUNDS'] ?? 5);
const MESSAGE = 8000;
const REQUEST = 128 * 1024;

interface Host {
  readonly pipeline: PullPipeline;
  readonly requests: { id: number; left: number }[];
}

function setUp(budget: PullBudget | undefined): Host[] {
  const clock = new VirtualClock();
  const gate = { ready: () => true, whenReady: () => Promise.resolve() };
  return Array.from({ length: hosts }, () => {
    const requests: { id: number; left: number }[] = [];
    const pipeline = new PullPipeline({
      gate,
      clock,
      claimMs: 15_000,
      ...(budget === undefined ? {} : { budget }),
      send: (id, request) => requests.push({ id, left: request.maxBytes }),
      onFailure: (failure) => {
        throw new Error(`${failure.code} ${failure.description}`);
      },
    });
    pipeline.start();
    return { pipeline, requests };
  });
}

/** Delivers `count` messages round-robin over the hosts that have a request at the server. */
function run(all: Host[], count: number): void {
  let sent = 0;
  while (sent < count) {
    let progressed = false;
    for (const host of all) {
      const request = host.requests[0];
      if (request === undefined) continue;
      progressed = true;
      if (MESSAGE > request.left) {
        host.requests.shift();
        host.pipeline.status(request.id, 409, 'Message Size Exceeds MaxBytes', request.left);
        continue;
      }
      request.left -= MESSAGE;
      host.pipeline.message(MESSAGE);
      sent++;
    }
    if (!progressed) throw new Error('no host has a request: the budget starved them');
  }
}

function cpuMicrosPerMessage(budgeted: boolean): { micros: number; heap: number } {
  const all = setUp(budgeted ? new PullBudget(REQUEST * budgetRequests) : undefined);
  run(all, 5000); // warm up
  const start = process.cpuUsage();
  run(all, n);
  const used = process.cpuUsage(start);
  const heap = process.memoryUsage().heapUsed;
  for (const host of all) host.pipeline.stop();
  return { micros: (used.user + used.system) / n, heap };
}

const ours: number[] = [];
const anchor: number[] = [];
for (let round = 0; round < rounds; round++) {
  anchor.push(cpuMicrosPerMessage(false).micros);
  ours.push(cpuMicrosPerMessage(true).micros);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const heapOurs = cpuMicrosPerMessage(true).heap;
const heapAnchor = cpuMicrosPerMessage(false).heap;
console.log(
  `pull budget, ${hosts} hosts, budget ${budgetRequests} × 128 KiB, ${n} messages of ${MESSAGE} B × ${rounds} rounds`,
);
console.log(
  `CPU per message: ours ${median(ours).toFixed(3)} µs, anchor (no budget) ${median(anchor).toFixed(3)} µs, ratio ${(median(ours) / median(anchor)).toFixed(2)}x`,
);
console.log(
  `rounds ours ${ours.map((x) => x.toFixed(3)).join(' ')}; anchor ${anchor.map((x) => x.toFixed(3)).join(' ')}`,
);
console.log(
  `heap used after: ours ${(heapOurs / 1048576).toFixed(1)} MiB, anchor ${(heapAnchor / 1048576).toFixed(1)} MiB`,
);
