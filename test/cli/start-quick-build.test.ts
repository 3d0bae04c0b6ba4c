// Review M1: `npm start` on a fresh clone spent 13–15 s of CPU in
// `tsc -p tsconfig.build.json` before the host could start. It now builds
// dist/ with the quick transpile (scripts/lib/transpile.mjs: oxc, no type
// check), which is what these tests hold it to: every file tsc would emit
// is written, the result runs `netrx up`, and it writes only the quick
// stamp, so `npm run build` / `npm test` still type-check and emit
// declarations. The timing is in docs/performance.md (never asserted here).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a script module (JavaScript, no declarations)
import { sourceFiles, transpileSources } from '../../scripts/lib/transpile.mjs';
import { root } from './support/processes.js';

// Inside the checkout, so the output resolves node_modules and ../../package.json as dist/ does.
const out = mkdtempSync(join(root, '.quick-build-test-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const source = sourceFiles as (from: string) => string[];
const transpile = transpileSources as (from: string, to: string) => Promise<number>;

describe('npm start: the quick build (review M1)', () => {
  // Built once for every test here, so each stands alone: 'runs the CLI'
  // failed when it ran first (--sequence.shuffle, or -t) on an empty `out`.
  let written = 0;
  beforeAll(async () => {
    written = await transpile(join(root, 'src'), out);
  });

  it('writes a .js (and map) for every source tsc emits, and nothing for tests', () => {
    const files = source(join(root, 'src'));
    expect(files).toContain('node/host/host.ts');
    expect(files).toContain('esm-only.cts');
    expect(files.some((f) => f.endsWith('.test.ts'))).toBe(false);
    expect(written).toBe(files.length);
    const missing = files
      .map((f) => f.replace(/\.ts$/, '.js').replace(/\.cts$/, '.cjs'))
      .filter((f) => !existsSync(join(out, f)) || !existsSync(join(out, `${f}.map`)));
    expect(missing).toEqual([]);
    // Types are gone, values stay: a type-only import leaves nothing behind.
    const reload = readFileSync(join(out, 'node/host/reload.js'), 'utf8');
    expect(reload).toContain('export function planReload(');
    expect(reload).not.toMatch(/^import type /m);
    expect(reload).not.toMatch(/: readonly HostService\[\]/);
  });

  it('runs the CLI: --version and up --print-config', () => {
    const main = join(out, 'cli', 'main.js');
    const version = spawnSync(process.execPath, [main, '--version'], { encoding: 'utf8' });
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    expect({ status: version.status, out: version.stdout.trim() }).toEqual({
      status: 0,
      out: expect.stringContaining(pkg.version) as string,
    });
    const printed = spawnSync(process.execPath, [main, 'up', '--print-config'], {
      encoding: 'utf8',
    });
    expect(printed.status).toBe(0);
    expect(printed.stdout).toMatch(/^http:/m);
  });

  it('is what npm start runs, writing the quick stamp only', () => {
    const setup = readFileSync(join(root, 'scripts', 'lib', 'setup.mjs'), 'utf8');
    const start = readFileSync(join(root, 'scripts', 'start.mjs'), 'utf8');
    expect(start).toMatch(/\[ensureDependencies, ensureStartBuild\]/);
    const quick = setup.slice(setup.indexOf('export async function ensureStartBuild'));
    expect(quick.slice(0, quick.indexOf('\n}\n'))).toMatch(/stamps\[1\]/);
  });
});
