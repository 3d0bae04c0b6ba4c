// `npm run bench [-- NAME…]`: compiles bench/ and runs each benchmark (all of
// them by default) with --expose-gc so heap figures are comparable.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDependencies, root, run, step, tsc } from './lib/setup.mjs';

if ((await ensureDependencies()) !== 0) process.exit(1);
step('compiling bench/ (tsconfig.bench.json)');
if (tsc('-p', 'tsconfig.bench.json') !== 0) process.exit(1);
const wanted = process.argv.slice(2);
const all = readdirSync(join(root, 'bench'))
  .filter((f) => f.endsWith('.ts') && f !== 'harness.ts')
  .map((f) => f.replace(/\.ts$/, ''));
let failed = 0;
for (const name of wanted.length > 0 ? wanted : all) {
  step(`bench ${name}`);
  failed +=
    run(process.execPath, ['--expose-gc', join(root, 'dist-bench', 'bench', `${name}.js`)]) === 0
      ? 0
      : 1;
}
process.exit(failed === 0 ? 0 : 1);
