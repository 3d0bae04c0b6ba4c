// `npm start`: install if needed, build if stale, then run `netrx up` on the
// embedded default configuration (extra arguments pass through:
// `npm start -- --config netrx.yaml`). The host runs in this process, so
// Ctrl-C reaches it directly and it stops cleanly.
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { ensureBuild, ensureDependencies, root } from './lib/setup.mjs';

for (const code of [ensureDependencies(), ensureBuild()]) {
  if (code !== 0) process.exit(code);
}
process.argv = [process.argv[0], join(root, 'dist/cli/main.js'), 'up', ...process.argv.slice(2)];
await import(pathToFileURL(join(root, 'dist/cli/main.js')).href);
