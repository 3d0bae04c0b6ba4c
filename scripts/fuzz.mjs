// `npm run fuzz -- websocket [--runs N] [--batch B] [--seed S]`: runs a
// fuzz suite N times (default 1,000,000) as batches of B (default 100,000)
// sequences, one vitest process per batch so memory starts afresh and a
// failure names its batch. Batch i uses seed S + i (S defaults to the UTC
// date as yyyymmdd, as the suite's own default); a failing batch is
// replayed with the NETRX_FUZZ_SEED and NETRX_WS_FUZZ_RUNS it prints.
import { bin, root, run, step } from './lib/setup.mjs';

const SUITES = { websocket: 'src/websocket/handle-fuzz.test.ts' };

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  if (at === -1) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isSafeInteger(value) || value < 0) {
    console.error(`--${name} needs a whole number, got ${process.argv[at + 1]}`);
    process.exit(2);
  }
  return value;
}

const name = process.argv[2];
const file = SUITES[name ?? ''];
if (file === undefined) {
  console.error(
    `usage: npm run fuzz -- <${Object.keys(SUITES).join('|')}> [--runs N] [--batch B] [--seed S]`,
  );
  process.exit(2);
}
const runs = option('runs', 1_000_000);
const batch = Math.max(1, option('batch', 100_000));
const seed = option('seed', Number(new Date().toISOString().slice(0, 10).replaceAll('-', '')));
const started = process.hrtime.bigint();
let done = 0;
for (let i = 0; done < runs; i++) {
  const size = Math.min(batch, runs - done);
  step(`fuzz ${name}: batch ${i + 1}, ${size} runs, NETRX_FUZZ_SEED=${seed + i}`);
  const status = run(bin('vitest'), ['run', file], {
    cwd: root,
    env: { ...process.env, NETRX_WS_FUZZ_RUNS: String(size), NETRX_FUZZ_SEED: String(seed + i) },
  });
  if (status !== 0) {
    console.error(
      `fuzz ${name}: batch ${i + 1} failed; replay: NETRX_FUZZ_SEED=${seed + i} NETRX_WS_FUZZ_RUNS=${size} npx vitest run ${file}`,
    );
    process.exit(1);
  }
  done += size;
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
console.log(
  `fuzz ${name}: ${done} runs passed in ${seconds.toFixed(0)} s (seeds ${seed}..${seed + Math.ceil(runs / batch) - 1})`,
);
