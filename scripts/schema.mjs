// `npm run schema`: writes docs/netrx-up.schema.json from the configuration's
// schema combinators (src/node/host/json-schema.ts), from the built dist/
// (built first if stale). src/node/host/json-schema.test.ts fails until the
// committed file matches.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureBuild, root } from './lib/setup.mjs';

const code = await ensureBuild();
if (code !== 0) process.exit(code);
const { hostConfigJsonSchemaText } = await import(
  pathToFileURL(join(root, 'dist/node/host/json-schema.js')).href
);
const out = join(root, 'docs/netrx-up.schema.json');
writeFileSync(out, hostConfigJsonSchemaText());
process.stdout.write(`wrote ${out}\n`);
