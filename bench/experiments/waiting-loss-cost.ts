/**
 * Experiment (verify16d N2, r-n2): what tracking which counted loss reached
 * the client costs per loss report. Ours: `ReaderLoss.add` (the ledger and
 * a waiting portion) for N reports that grew while the client read nothing
 * (all waiting), then deliveries of STEP units each until none waits, each
 * storing the floors of the hosts it carried (a stub port that stores at
 * once; encoding the floor is counted). Anchor, same run and rounds
 * alternated: `LossLedger.add` alone for the same reports (the ledger's
 * part, what a report cost before, floors aside). Prints µs of CPU
 * (process.cpuUsage) per report, the ratio, and the heap the waiting
 * portions hold (`--expose-gc`: measured after a collection).
 *
 * Run: `npx tsc -p tsconfig.bench.json`, then
 * `node --expose-gc dist-bench/bench/experiments/waiting-loss-cost.js`
 * (N=20000 reports over HOSTS=512 hosts × 8 runs, STEP=64, ROUNDS=5).
 */
import type { ConsumePort, PublishPort } from '../../src/node/cluster/ports.js';
import { LossLedger } from '../../src/node/cluster/loss-reports.js';
import { ReaderLoss } from '../../src/node/cluster/reader-loss.js';

const n = Number(process.env['N'] ?? 20_000);
const hosts = Number(process.env['HOSTS'] ?? 512);
const step = Number(process.env['STEP'] ?? 64);
const rounds = Number(process.env['ROUNDS'] ?? 5);
const runsPerHost = 8;
const encoder = new TextEncoder();
const collect = (globalThis as { gc?: () => void }).gc;

function heapAfterGc(): number {
  collect?.();
  return process.memoryUsage().heapUsed;
}

const port: ConsumePort & PublishPort = {
  consume: () => ({ stop: () => undefined }),
  streamHosts: () => Promise.resolve([]),
  publish: () => Promise.resolve({ kind: 'stored', duplicate: false }),
};

/** Report k of each run: cumulative lost 2(k+1), prev 2k (each grows by 2). */
function reports(round: number) {
  return Array.from({ length: n }, (_, i) => {
    const host = `lab-capture-${i % hosts}`;
    const instance = `run-${round}-${Math.floor(i / hosts) % runsPerHost}`;
    const k = Math.floor(i / (hosts * runsPerHost));
    return {
      host,
      instance,
      data: encoder.encode(JSON.stringify({ instance, lost: 2 * k + 2, prev: 2 * k })),
    };
  });
}

function ours(batch: ReturnType<typeof reports>): { cpu: number; heldBytes: number } {
  const loss = new ReaderLoss(port, 'lab', 'netrx-reader-lab-a', 4096);
  const before = heapAfterGc();
  const start = process.cpuUsage();
  for (const r of batch) loss.add(r.host, r.instance, r.data, 1);
  let waiting = 2 * n;
  const paused = process.cpuUsage(start);
  const heldBytes = heapAfterGc() - before;
  const resumed = process.cpuUsage();
  while (waiting > 0) {
    waiting = Math.max(0, waiting - step);
    loss.delivered(waiting);
  }
  const rest = process.cpuUsage(resumed);
  return { cpu: (paused.user + paused.system + rest.user + rest.system) / n, heldBytes };
}

function anchor(batch: ReturnType<typeof reports>): number {
  const ledger = new LossLedger(4096);
  const start = process.cpuUsage();
  for (const r of batch) ledger.add(r.host, r.instance, r.data, 1);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / n;
}

const oursCpu: number[] = [];
const anchorCpu: number[] = [];
const held: number[] = [];
for (let round = 0; round < rounds; round++) {
  const batch = reports(round);
  anchorCpu.push(anchor(batch));
  const o = ours(batch);
  oursCpu.push(o.cpu);
  held.push(o.heldBytes);
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1] ?? 0;
const o = median(oursCpu);
const a = median(anchorCpu);
console.log(
  `${n} reports (${hosts} hosts × ${runsPerHost} runs) × ${rounds} rounds, delivered ${step} units at a time: ` +
    `ours ${o.toFixed(2)} µs/report, ledger alone (anchor) ${a.toFixed(2)} µs/report, ours/anchor ${(o / a).toFixed(2)}x; ` +
    `${n} waiting reports hold ${(median(held) / 1024).toFixed(0)} KiB (${(median(held) / n).toFixed(0)} B/report, ledger included)` +
    (collect === undefined ? ' (no --expose-gc: heap not collected)' : ''),
);
