// `npm test`: everything CI checks, in order, from a fresh clone: npm
// dependencies, the interop peers from Debian, the build, both type-checks
// (the whole repo with Node types, and the cores with none), lint, format,
// then every vitest suite (unit, property, interop). Stops at the first
// failure. Arguments pass to vitest (`npm test -- src/receive`).
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  bin,
  ensureBuild,
  ensureDebianPackages,
  ensureDependencies,
  root,
  run,
  step,
  tsc,
} from './lib/setup.mjs';

const stages = [
  ['npm dependencies', () => ensureDependencies()],
  ['Debian packages for interop tests', () => ensureDebianPackages()],
  ['build', () => ensureBuild()],
  ['type-check (tsconfig.json)', () => tsc('-p', 'tsconfig.json')],
  ['type-check the cores without Node (tsconfig.core.json)', () => tsc('-p', 'tsconfig.core.json')],
  ['type-check the dashboard (ui/tsconfig.json)', () => tsc('-p', 'ui/tsconfig.json')],
  [
    'type-check the Deno, Bun and page adapters (runtimes/tsconfig.json)',
    () => tsc('-p', 'runtimes/tsconfig.json'),
  ],
  ['lint (eslint, type-aware)', () => run(bin('eslint'), ['--max-warnings', '0', '.'])],
  [
    'format (prettier --check)',
    () => run(bin('prettier'), ['--check', '--log-level', 'warn', '.']),
  ],
];

for (const [title, action] of stages) {
  step(title);
  const code = await action();
  if (code !== 0) {
    process.stderr.write(`\nnpm test: stage "${title}" failed (exit ${code})\n`);
    process.exit(code);
  }
}

step('vitest (unit, property, interop)');
const results = join(root, '.vitest-results.json');
rmSync(results, { force: true });
const code = run(bin('vitest'), [
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${results}`,
  ...process.argv.slice(2),
]);
if (existsSync(results)) {
  const summary = JSON.parse(readFileSync(results, 'utf8'));
  const skipped = summary.numPendingTests + summary.numTodoTests;
  // The plain closing line CI reads.
  process.stdout.write(
    `\n${summary.numPassedTests} passed, ${summary.numFailedTests} failed, ${skipped} skipped\n`,
  );
  if (summary.numTotalTests === 0) {
    process.stderr.write('npm test: no test ran\n');
    process.exit(1);
  }
}
process.exit(code);
