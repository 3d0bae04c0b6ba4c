// `node scripts/lib/vitest-collect.mjs OUT.json FILE…`: what vitest on Node
// collects for the given test files, skipped tests included, without running
// them. `vitest list --json` leaves skipped tests out, so it cannot tell a
// test Node skips from one it never had; the portable runner's test
// (test/interop/runtimes-core-tests.test.ts) needs both, to prove that a
// runtime skips exactly what Node skips (verify15 NEW-1). Writes
// [{ file, name, skipped }] with `file` relative to the working directory
// and `name` the test's full name, as `vitest list` prints it.
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { createVitest } from 'vitest/node';

const [out, ...files] = process.argv.slice(2);
if (out === undefined || files.length === 0) {
  console.error('usage: vitest-collect.mjs OUT.json FILE…');
  process.exit(2);
}
const vitest = await createVitest('test', { watch: false, reporters: [] });
try {
  const { testModules } = await vitest.collect(files);
  const collected = [];
  for (const testModule of testModules) {
    const errors = testModule.errors();
    if (errors.length > 0) {
      throw new Error(`${testModule.moduleId}: ${errors.map((e) => e.message).join('; ')}`);
    }
    for (const test of testModule.children.allTests()) {
      collected.push({
        file: relative(process.cwd(), testModule.moduleId),
        name: test.fullName,
        // Skipped at collection: `it.skip`, `it.skipIf(true)`, `it.todo`, a skipped suite.
        skipped: test.result().state === 'skipped',
      });
    }
  }
  writeFileSync(out, JSON.stringify(collected));
} finally {
  await vitest.close();
}
