// `npm start`: install if needed, build if stale, then run `netrx up` on the
// embedded default configuration (extra arguments pass through:
// `npm start -- --config netrx.yaml`). Both setup steps only stat files when
// there is nothing to do.
//
// The host runs in this process, so SIGINT, SIGTERM and SIGHUP sent to this
// PID reach it directly: it stops in order and this process exits with the
// host's status. Signals sent to npm's PID reach it too: package.json runs
// this script with `exec`, so npm's shell is replaced by this process and
// npm forwards SIGINT and SIGTERM straight here. npm does not forward SIGHUP
// (and nothing is forwarded from a SIGKILLed npm): npm then dies and this
// process is re-parented, which the watch below notices, so the host stops
// as if signalled instead of serving on as an orphan.
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { clearInterval, setInterval } from 'node:timers';
import { ensureBuild, ensureDependencies, root } from './lib/setup.mjs';

// Taken before the setup steps, so a parent that dies during a build is noticed too.
const parent = process.ppid;

for (const code of [ensureDependencies(), ensureBuild()]) {
  if (code !== 0) process.exit(code);
}

/** How often to look whether the parent (npm, a shell, a supervisor) is still there. */
const PARENT_WATCH_MS = 200;
const parentWatch = setInterval(() => {
  if (process.ppid === parent) return;
  clearInterval(parentWatch);
  process.kill(process.pid, 'SIGTERM');
}, PARENT_WATCH_MS);
parentWatch.unref();

process.argv = [process.argv[0], join(root, 'dist/cli/main.js'), 'up', ...process.argv.slice(2)];
await import(pathToFileURL(join(root, 'dist/cli/main.js')).href);
