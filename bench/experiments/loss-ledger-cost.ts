/**
 * Experiment (review16d D1, r-d1): what a full loss ledger costs per
 * report. Ours: a report of a run the ledger has no slot for, all 4,096
 * slots taken and none expired (the untracked path: it meets every report
 * of every untracked run). Anchor, same run and rounds alternated: a report
 * of a run already tracked (the ordinary path). Prints µs of CPU
 * (process.cpuUsage) per report, the ratio ours/anchor, and the heap a
 * full ledger holds (`--expose-gc`: measured after a collection).
 *
 * Run: `npx tsc -p tsconfig.bench.json`, then
 * `node --expose-gc dist-bench/bench/experiments/loss-ledger-cost.js`
 * (N=20000 reports, RUNS=4096 slots, ROUNDS=5).
 */
import { LossLedger } from '../../src/node/cluster/loss-reports.js';

const n = Number(process.env['N'] ?? 20_000);
const slots = Number(process.env['RUNS'] ?? 4096);
const rounds = Number(process.env['ROUNDS'] ?? 5);
const encoder = new TextEncoder();
const report = (instance: string, lost: number, prev: number) =>
  encoder.encode(JSON.stringify({ instance, lost, prev }));
const collect = (globalThis as { gc?: () => void }).gc;

function heapAfterGc(): number {
  collect?.();
  return process.memoryUsage().heapUsed;
}

const before = heapAfterGc();
const ledger = new LossLedger(slots);
for (let i = 0; i < slots; i++)
  ledger.add('lab-capture-01', `run-${i}`, report(`run-${i}`, 1, 0), 0);
const heldBytes = heapAfterGc() - before;

const tracked = Array.from({ length: n }, (_, k) => ({
  instance: `run-${k % slots}`,
  data: report(`run-${k % slots}`, 2 + k, 1 + k),
}));
const untracked = Array.from({ length: n }, (_, k) => ({
  instance: `new-${k}`,
  data: report(`new-${k}`, 1, 0),
}));

function cpuPerReport(reports: readonly { instance: string; data: Uint8Array }[]): number {
  const start = process.cpuUsage();
  for (const r of reports) ledger.add('lab-capture-01', r.instance, r.data, 1);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / reports.length;
}

const ours: number[] = [];
const anchor: number[] = [];
for (let round = 0; round < rounds; round++) {
  anchor.push(cpuPerReport(tracked));
  ours.push(cpuPerReport(untracked));
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1] ?? 0;
const o = median(ours);
const a = median(anchor);
console.log(
  `${slots} slots, ${n} reports × ${rounds} rounds: untracked ${o.toFixed(2)} µs/report, ` +
    `tracked (anchor) ${a.toFixed(2)} µs/report, ours/anchor ${(o / a).toFixed(2)}x; ` +
    `a full ledger holds ${(heldBytes / 1024).toFixed(0)} KiB (${(heldBytes / slots).toFixed(0)} B/run)` +
    (collect === undefined ? ' (no --expose-gc: heap not collected)' : ''),
);
