/**
 * The core's own test files on Deno, Bun and Chromium (issue 15 part 3,
 * review F5). The Node-free test files of src/websocket and
 * src/wire/websocket are computed (core-tests-bundle.ts), bundled by esbuild
 * with `vitest` aliased to test/portable/vitest-shim.ts, and run by deno
 * 2.9.6 and bun 1.4.4 (their npm packages) and headless Chromium (Debian
 * `chromium`, 156.0.8078.129 when recorded; playwright-core 1.65.1), the
 * three at once. For each runtime this asserts the same files and the same
 * test names, per file, as vitest on Node collects for them
 * (scripts/lib/vitest-collect.mjs), each skipped exactly when Node skips it
 * (a skip is not a pass: verify15 NEW-1), and no failure. Two mutants, each
 * bundled for one runtime only with the mask tests, must be caught: a
 * broken masking loop (Bun), and a test skipped off Node (Deno). The count
 * of files and tests docs/websocket.md gives is checked against the run.
 * Under CI=true a missing runtime is a failure.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Plugin } from 'esbuild';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, RUNTIME_VERSIONS, runtimeBinary } from '../../bench/support/runtime-bundles.js';
import {
  bundleCoreTests,
  findNodeFreeTests,
  listTestFiles,
  CORE_TEST_DIRS,
  type NodeFreeTests,
} from '../portable/core-tests-bundle.js';
import { outcomeCounts, parityProblems, type NodeTest } from '../portable/node-parity.js';
import type { FileResult } from '../portable/vitest-shim.js';
import { requirePeers } from './support/peers.js';

const RECORDED = { chromium: '156.0.8078.129', playwrightCore: '1.65.1' };
const CHROMIUM = '/usr/bin/chromium';
const RUN_TIMEOUT_MS = 180_000;
type Target = 'deno' | 'bun' | 'chromium';

const peers = requirePeers('runtimes-core-tests.test.ts', [
  ...(['deno', 'bun'] as const).map((runtime) => ({
    name: `${runtime} ${RUNTIME_VERSIONS[runtime]}`,
    ok: () => runtimeBinary(runtime) !== undefined,
    hint: `npm ci installs it from the ${runtime} devDependency`,
  })),
  { name: 'chromium', ok: () => existsSync(CHROMIUM), hint: 'apt-get install -y chromium' },
]);

interface Report {
  readonly runtime: string;
  readonly files?: readonly FileResult[];
  readonly error?: string;
}

const outdir = mkdtempSync(join(tmpdir(), 'ws-portable-core-tests-'));
const env = {
  ...process.env,
  NO_COLOR: '1',
  DENO_NO_UPDATE_CHECK: '1',
  DENO_DIR: join(outdir, 'deno-dir'),
};

/** Runs a bundle on Deno or Bun and parses its report line. */
function runOnRuntime(runtime: 'deno' | 'bun', script: string): Promise<Report> {
  const binary = runtimeBinary(runtime) as string;
  const argv = runtime === 'deno' ? ['run', '--quiet', script] : [script];
  const child = spawn(binary, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  return new Promise((resolve) => {
    child.once('exit', (code) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith('NETRX_CORE_TESTS '));
      resolve(
        line === undefined
          ? { runtime, error: `exit ${code}, no report; stderr: ${stderr.slice(0, 2000)}` }
          : (JSON.parse(line.slice('NETRX_CORE_TESTS '.length)) as Report),
      );
    });
  });
}

async function runInChromium(script: string): Promise<Report & { version: string }> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox'],
    timeout: 90_000,
  });
  try {
    const page = await browser.newPage();
    await page.setContent('<!doctype html><title>netrx core tests</title>');
    await page.addScriptTag({ content: readFileSync(script, 'utf8') });
    await page.waitForFunction(
      () => (globalThis as { netrxCoreTests?: unknown }).netrxCoreTests !== undefined,
      undefined,
      { timeout: RUN_TIMEOUT_MS },
    );
    const report = (await page.evaluate(
      () => (globalThis as unknown as { netrxCoreTests: unknown }).netrxCoreTests,
    )) as Report;
    return { ...report, version: browser.version() };
  } finally {
    await browser.close();
  }
}

/**
 * What vitest on Node collects for `files`, skipped tests included (`vitest
 * list` leaves them out, so it cannot tell Node's skips from a runtime's).
 */
function vitestOnNode(files: readonly string[]): NodeTest[] {
  const out = join(outdir, 'vitest-collect.json');
  const childEnv = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('VITEST')),
  );
  const run = spawnSync(
    process.execPath,
    [join(ROOT, 'scripts/lib/vitest-collect.mjs'), out, ...files],
    { cwd: ROOT, env: childEnv, encoding: 'utf8', timeout: RUN_TIMEOUT_MS },
  );
  if (run.status !== 0) throw new Error(`vitest collect failed: ${run.stderr}`);
  return JSON.parse(readFileSync(out, 'utf8')) as NodeTest[];
}

/** Breaks the masking loop's phase (p cycles mod 3, not mod 4): only in the bundle it is given to. */
let maskMutantApplied = false;
const maskMutant: Plugin = {
  name: 'mask-phase-mutant',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /src\/wire\/websocket\/mask\.ts$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const mutated = source.replace('p = (p + 1) & 3;', 'p = (p + 1) % 3;');
      maskMutantApplied = mutated !== source;
      return { contents: mutated, loader: 'ts' };
    });
  },
};

/**
 * Skips one mask test on Deno, Bun and in a page only, as a port that
 * hides a failing test would; Node's collection (of the source) still runs it.
 */
const SKIPPED_OFF_NODE =
  'mask > masks into another buffer of any alignment, leaving the source alone';
let skipMutantApplied = false;
const skipMutant: Plugin = {
  name: 'skip-off-node-mutant',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /src\/wire\/websocket\/mask\.test\.ts$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const mutated = source.replace(
        "  it('masks into another buffer",
        "  ('Deno' in globalThis || 'Bun' in globalThis || 'window' in globalThis ? it.skip : it)('masks into another buffer",
      );
      skipMutantApplied = mutated !== source;
      return { contents: mutated, loader: 'ts' };
    });
  },
};

const failuresOf = (report: Report) =>
  (report.files ?? []).flatMap((f) => f.tests.filter((t) => t.status === 'failed'));

describe.skipIf(peers.skip)('the core’s own test files on Deno, Bun and Chromium', () => {
  let nodeFree: NodeFreeTests = { included: [], excluded: [] };
  let onNode: NodeTest[] = [];
  const reports = new Map<Target | 'mutant' | 'skip-mutant', Report>();
  const bundleErrors: string[] = [];
  let chromiumVersion = '';
  let wallMs = 0;

  beforeAll(async () => {
    nodeFree = await findNodeFreeTests();
    const files = nodeFree.included;
    const neutral = join(outdir, 'core-tests.mjs');
    const page = join(outdir, 'core-tests-page.js');
    const mutant = join(outdir, 'core-tests-mutant.mjs');
    const skipping = join(outdir, 'core-tests-skip-mutant.mjs');
    const maskTests = files.filter((file) => file.endsWith('/mask.test.ts'));
    for (const errors of await Promise.all([
      bundleCoreTests({ files, outfile: neutral, platform: 'neutral' }),
      bundleCoreTests({ files, outfile: page, platform: 'browser' }),
      // Only the mask tests: every property that fails would shrink, and under
      // load shrinking the handle suites' megabyte messages outlasts the timeout.
      bundleCoreTests({
        files: maskTests,
        outfile: mutant,
        platform: 'neutral',
        plugins: [maskMutant],
      }),
      bundleCoreTests({
        files: maskTests,
        outfile: skipping,
        platform: 'neutral',
        plugins: [skipMutant],
      }),
    ])) {
      bundleErrors.push(...errors);
    }
    if (bundleErrors.length > 0) return;
    const started = performance.now();
    const [deno, bun, page156, mutated, skipped] = await Promise.all([
      runOnRuntime('deno', neutral),
      runOnRuntime('bun', neutral),
      runInChromium(page),
      runOnRuntime('bun', mutant),
      runOnRuntime('deno', skipping),
    ]);
    wallMs = performance.now() - started;
    chromiumVersion = page156.version;
    reports.set('deno', deno).set('bun', bun).set('chromium', page156).set('mutant', mutated);
    reports.set('skip-mutant', skipped);
    onNode = vitestOnNode(files);
  }, 2 * RUN_TIMEOUT_MS);

  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('computes a non-empty Node-free set and gives a reason for every file left out', () => {
    expect(bundleErrors).toEqual([]);
    const all = listTestFiles(CORE_TEST_DIRS);
    expect(nodeFree.included.length).toBeGreaterThan(0);
    expect([...nodeFree.included, ...nodeFree.excluded.map((e) => e.file)].sort()).toEqual(all);
    for (const { reason } of nodeFree.excluded) expect(reason).toMatch(/^(reaches|imports) /);
    console.info(
      `core tests: ${nodeFree.included.length} of ${all.length} files are Node-free; excluded:\n` +
        nodeFree.excluded.map((e) => `  ${e.file}: ${e.reason}`).join('\n'),
    );
    console.info(
      `deno, bun, chromium ${chromiumVersion} (recorded ${RECORDED.chromium}, playwright-core ` +
        `${RECORDED.playwrightCore}) and the two mutants ran together in ${Math.round(wallMs)} ms wall`,
    );
  });

  for (const target of ['deno', 'bun', 'chromium'] as const) {
    it(`runs on ${target} the same files and tests vitest collects on Node, none failing`, () => {
      const report = reports.get(target);
      expect(report?.error).toBeUndefined();
      const runtime = report!.runtime;
      if (target === 'chromium') expect(runtime).toMatch(/^browser .*Chrome\//);
      else expect(runtime).toBe(`${target} ${RUNTIME_VERSIONS[target]}`);
      const files = report!.files ?? [];
      expect(files.map((f) => f.file)).toEqual(nodeFree.included);
      expect(parityProblems(files, onNode)).toEqual([]);
      expect(failuresOf(report!)).toEqual([]);
      const total = files.reduce((sum, f) => sum + f.tests.length, 0);
      expect(total).toBe(onNode.length);
      const { passed, skipped, failed } = outcomeCounts(files);
      const counts = files.map((f) => `${f.file} ${f.tests.length}`);
      console.info(
        `${runtime}: ${passed} passed, ${skipped} skipped (as on Node), ${failed} failed\n  ` +
          counts.join('\n  '),
      );
    });
  }

  it('catches a test skipped only off Node (a mutant in the Deno bundle)', () => {
    expect(skipMutantApplied).toBe(true);
    const mutant = reports.get('skip-mutant')!;
    expect(mutant.error).toBeUndefined();
    const maskOnNode = onNode.filter((t) => t.file.endsWith('/mask.test.ts'));
    expect(maskOnNode.find((t) => t.name === SKIPPED_OFF_NODE)?.skipped).toBe(false);
    // Nothing fails, and the names all match: only the skip gives it away.
    expect(failuresOf(mutant)).toEqual([]);
    expect(parityProblems(mutant.files ?? [], maskOnNode)).toEqual([
      `src/wire/websocket/mask.test.ts: skipped only on the runtime: ${SKIPPED_OFF_NODE}`,
    ]);
  });

  it('matches the count of files and tests docs/websocket.md gives', () => {
    const docs = readFileSync(join(ROOT, 'docs/websocket.md'), 'utf8').replace(/\s+/g, ' ');
    const stated = /Today (\d+) of (\d+) files run, (\d+) tests/.exec(docs);
    const all = listTestFiles(CORE_TEST_DIRS).length;
    expect(stated?.slice(1).map(Number)).toEqual([nodeFree.included.length, all, onNode.length]);
  });

  it('catches a masking mutant that exists only in the Bun bundle', () => {
    expect(maskMutantApplied).toBe(true);
    const mutant = reports.get('mutant')!;
    expect(mutant.error).toBeUndefined();
    const failed = failuresOf(mutant);
    expect(failed.length, JSON.stringify(mutant).slice(0, 2000)).toBeGreaterThan(0);
    expect(failed.map((t) => t.name)).toContain(
      'mask > matches the byte-wise reference for every length, offset and phase',
    );
  });
});
