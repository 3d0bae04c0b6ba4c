// `npm start`: install if needed, build if stale (the quick oxc build, no
// type check: scripts/lib/transpile.mjs), then run `netrx up` on the
// embedded default configuration (extra arguments pass through:
// `npm start -- --config netrx.yaml`). Both setup steps only stat files when
// there is nothing to do.
//
// The host runs in this process, so SIGINT, SIGTERM and SIGHUP sent to this
// PID reach it directly: it stops in order and this process exits with the
// host's status. Signals sent to npm's PID reach it too: package.json runs
// this script with `exec`, so npm's shell is replaced by this process and
// npm forwards SIGINT and SIGTERM straight here. npm does not forward SIGHUP
// (and nothing is forwarded from a SIGKILLed npm): npm then dies, and the
// CLI's own watch of the npm that started it (src/cli/parent-watch.ts)
// stops the host as if signalled instead of serving on as an orphan. Run
// without npm (`nohup node scripts/start.mjs &`), nothing is watched: the
// host outlives the shell, as nohup asks.
//
// During the setup steps a signal is passed on to npm ci / tsc, so nothing
// goes on building after this process is gone.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { ensureDependencies, ensureStartBuild, root } from './lib/setup.mjs';

/** Taken before the setup steps: an npm that dies during a build (SIGHUP) is noticed too. */
const parent = process.ppid;
const startedByNpm = (() => {
  try {
    return /^npm( |$)/.test(readFileSync(`/proc/${parent}/comm`, 'utf8'));
  } catch {
    return false;
  }
})();

for (const step of [ensureDependencies, ensureStartBuild]) {
  const code = await step();
  if (code !== 0) process.exit(code);
}
if (startedByNpm && process.ppid !== parent) {
  process.stderr.write('npm start: npm is gone (it was stopped during the build): not starting\n');
  process.exit(1);
}

process.argv = [process.argv[0], join(root, 'dist/cli/main.js'), 'up', ...process.argv.slice(2)];
await import(pathToFileURL(join(root, 'dist/cli/main.js')).href);
