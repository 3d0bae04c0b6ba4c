/**
 * The core's own test files, ready for Deno, Bun and Chromium (issue 15
 * part 3, review F5). `findNodeFreeTests` computes which test files under
 * the given folders are Node-free: esbuild walks each file's import graph
 * (its metafile), and a file is excluded, with the import chain as reason,
 * when the graph reaches a Node built-in, or when it asks vitest for
 * something the shim (vitest-shim.ts) does not provide. `bundleCoreTests`
 * then bundles the included files into one script that runs them all with
 * `vitest` aliased to the shim and prints one `NETRX_CORE_TESTS {json}` line
 * (and sets `globalThis.netrxCoreTests` for a page).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { build, type Metafile, type Plugin } from 'esbuild';
import { ROOT, refuseNodeBuiltins } from '../../bench/support/runtime-bundles.js';

/** The folders whose test files issue 15 wants on every runtime. */
export const CORE_TEST_DIRS = ['src/websocket', 'src/wire/websocket'] as const;

/** What the shim exports to test files (vitest-shim.ts); any other vitest import excludes the file. */
export const SHIM_EXPORTS = new Set([
  'describe',
  'it',
  'test',
  'expect',
  'beforeAll',
  'afterAll',
  'beforeEach',
  'afterEach',
]);

const SHIM = join(ROOT, 'test/portable/vitest-shim.ts');
const NODE_BUILTINS = new Set(builtinModules);
const isNodeBuiltin = (path: string): boolean =>
  path.startsWith('node:') || NODE_BUILTINS.has(path) || NODE_BUILTINS.has(path.split('/')[0]!);

export interface NodeFreeTests {
  /** Repo-relative paths, sorted. */
  readonly included: readonly string[];
  readonly excluded: readonly { readonly file: string; readonly reason: string }[];
}

/** Every `*.test.ts` directly in `dirs` (the core keeps tests beside the code, not in subfolders). */
export function listTestFiles(dirs: readonly string[]): string[] {
  return dirs
    .flatMap((dir) =>
      readdirSync(join(ROOT, dir))
        .filter((name) => name.endsWith('.test.ts'))
        .map((name) => `${dir}/${name}`),
    )
    .sort();
}

/** The names a file imports from 'vitest' (type-only imports excluded). */
export function vitestImports(source: string): string[] {
  const names: string[] = [];
  for (const match of source.matchAll(/import\s+(type\s+)?\{([^}]*)\}\s+from\s+'vitest'/g)) {
    if (match[1] !== undefined) continue;
    for (const part of (match[2] ?? '').split(',')) {
      const name = part.trim();
      if (name !== '' && !name.startsWith('type ')) names.push(name.split(/\s+as\s+/)[0]!);
    }
  }
  return names;
}

/** Marks Node built-ins and vitest external, so the metafile shows who imports them. */
const markExternal: Plugin = {
  name: 'mark-node-external',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /.*/ }, (args) =>
      args.path === 'vitest' || isNodeBuiltin(args.path)
        ? { path: args.path, external: true }
        : undefined,
    );
  },
};

/** Node's globals, used without an import (a page has none of them; Deno and Bun have some). */
const NODE_GLOBAL = /(?<![.\w$])(Buffer\.|process\.|require\(|__dirname\b|__filename\b)/;
const withoutComments = (source: string): string =>
  source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');

/**
 * The first import chain from `entry` to a Node built-in, or to a file of
 * ours (not node_modules) that uses a Node global; undefined when neither.
 */
function nodeChain(metafile: Metafile, entry: string): string[] | undefined {
  const seen = new Set<string>();
  const queue: string[][] = [[entry]];
  for (let chain = queue.shift(); chain !== undefined; chain = queue.shift()) {
    const at = chain.at(-1)!;
    if (seen.has(at)) continue;
    seen.add(at);
    if (!at.includes('node_modules/')) {
      const used = NODE_GLOBAL.exec(withoutComments(readFileSync(join(ROOT, at), 'utf8')));
      if (used !== null) return [...chain, `the Node global ${used[1]!.replace(/[.(]$/, '')}`];
    }
    for (const imported of metafile.inputs[at]?.imports ?? []) {
      if (imported.external) {
        if (isNodeBuiltin(imported.path)) return [...chain, imported.path];
      } else queue.push([...chain, imported.path]);
    }
  }
  return undefined;
}

export async function findNodeFreeTests(dirs: readonly string[] = CORE_TEST_DIRS) {
  const files = listTestFiles(dirs);
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: files,
    outdir: join(ROOT, '.ws-portable-unused'),
    bundle: true,
    write: false,
    metafile: true,
    platform: 'neutral',
    format: 'esm',
    mainFields: ['module', 'main'],
    plugins: [markExternal],
    logLevel: 'silent',
  });
  const included: string[] = [];
  const excluded: { file: string; reason: string }[] = [];
  for (const file of files) {
    const chain = nodeChain(result.metafile, file);
    const missing = vitestImports(readFileSync(join(ROOT, file), 'utf8')).filter(
      (name) => !SHIM_EXPORTS.has(name),
    );
    if (chain !== undefined) excluded.push({ file, reason: `reaches ${chain.join(' → ')}` });
    else if (missing.length > 0) {
      excluded.push({
        file,
        reason: `imports ${missing.join(', ')} from vitest (not in the shim)`,
      });
    } else included.push(file);
  }
  return { included, excluded } satisfies NodeFreeTests;
}

/** `vitest` → the shim; everything else resolves as usual. */
const aliasVitest: Plugin = {
  name: 'alias-vitest-to-shim',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^vitest$/ }, () => ({ path: SHIM }));
  },
};

/** The entry's source: load each file in turn under the shim, report, and publish the report. */
export function coreTestsEntry(files: readonly string[]): string {
  const loaders = files
    .map((file) => `  [${JSON.stringify(file)}, () => import(${JSON.stringify(`./${file}`)})],`)
    .join('\n');
  return `import { runFiles } from './test/portable/vitest-shim.ts';
import { runtimeName } from './test/portable/runtime-name.ts';
const files = [
${loaders}
];
runFiles(files).then(
  (files) => {
    const report = { runtime: runtimeName(), files };
    globalThis.netrxCoreTests = report;
    console.log('NETRX_CORE_TESTS ' + JSON.stringify(report));
  },
  (error) => {
    globalThis.netrxCoreTests = { runtime: runtimeName(), error: String(error) };
    console.log('NETRX_CORE_TESTS ' + JSON.stringify(globalThis.netrxCoreTests));
  },
);
`;
}

export interface CoreTestsBundleOptions {
  readonly files: readonly string[];
  /** The output file. */
  readonly outfile: string;
  readonly platform: 'neutral' | 'browser';
  /** Extra plugins that run first (a mutant, in the test that proves the suite can fail). */
  readonly plugins?: readonly Plugin[];
}

/** Bundles the files; resolves to esbuild's error texts (empty on success). */
export async function bundleCoreTests(options: CoreTestsBundleOptions): Promise<string[]> {
  try {
    const result = await build({
      absWorkingDir: ROOT,
      stdin: {
        contents: coreTestsEntry(options.files),
        resolveDir: ROOT,
        sourcefile: 'core-tests-entry.ts',
        loader: 'ts',
      },
      outfile: options.outfile,
      bundle: true,
      format: options.platform === 'browser' ? 'iife' : 'esm',
      platform: options.platform,
      target: 'es2022',
      mainFields: ['module', 'main'],
      plugins: [...(options.plugins ?? []), aliasVitest, refuseNodeBuiltins],
      logLevel: 'silent',
      write: true,
    });
    return result.errors.map((e) => e.text);
  } catch (error) {
    const failure = error as { errors?: { text: string }[] };
    return failure.errors?.map((e) => e.text) ?? [String(error)];
  }
}

/** A repo-relative path for messages. */
export const fromRoot = (path: string): string => relative(ROOT, path);
