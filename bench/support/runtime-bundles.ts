/**
 * Builds what Deno, Bun and Chromium run, with esbuild (pinned in
 * package.json): the Deno and Bun echo adapters, the portable suite for
 * those runtimes and for a page, and the neutral-platform check that the
 * core and its portable entry import nothing from Node. Shared by
 * test/interop/runtimes*.test.ts and bench/runtimes.ts.
 */
import { builtinModules, createRequire } from 'node:module';
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const up = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The repository root, also when this file runs compiled from dist-bench/. */
export const ROOT = basename(up) === 'dist-bench' ? dirname(up) : up;

/** Exact runtime versions the tests were written against (pinned devDependencies). */
export const RUNTIME_VERSIONS = { deno: '2.9.6', bun: '1.4.4' } as const;

const require = createRequire(import.meta.url);

/**
 * The runtime binary from its npm package, or undefined when the optional
 * platform package did not install (then the caller skips, or fails under
 * CI). The packages' postinstall links the platform binary into place
 * (local, no download); with install scripts off, the binary is taken from
 * the platform package itself. A placeholder (a few KiB) is no binary.
 */
export function runtimeBinary(runtime: 'deno' | 'bun'): string | undefined {
  const platform = `${process.platform}-${process.arch === 'x64' ? 'x64' : process.arch}`;
  const candidates =
    runtime === 'deno'
      ? [
          ['deno', 'deno'],
          [`@deno/${platform}-glibc`, 'deno'],
        ]
      : [
          ['bun', 'bin/bun.exe'],
          [`@oven/bun-${platform}`, 'bin/bun'],
        ];
  for (const [pkg, file] of candidates as [string, string][]) {
    try {
      const binary = join(dirname(require.resolve(`${pkg}/package.json`)), file);
      if (existsSync(binary) && statSync(binary).size > 1024 * 1024) return binary;
    } catch {
      // Not installed (an optional platform package): try the next.
    }
  }
  return undefined;
}

const NODE_BUILTINS = new Set(builtinModules);

/** Fails the build on any import of a Node built-in, naming the importer. */
export const refuseNodeBuiltins: Plugin = {
  name: 'refuse-node-builtins',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /.*/ }, (args) => {
      const bare = args.path.replace(/^node:/, '').split('/')[0] ?? '';
      if (
        args.path.startsWith('node:') ||
        NODE_BUILTINS.has(bare) ||
        NODE_BUILTINS.has(args.path)
      ) {
        return {
          errors: [{ text: `Node built-in "${args.path}" imported by ${args.importer}` }],
        };
      }
      return undefined;
    });
  },
};

export interface BundleResult {
  readonly errors: readonly string[];
  readonly outputs: readonly string[];
}

/**
 * Bundles `entries` (paths from the repo root) for `platform` into `outdir`.
 * `neutral` is the no-Node check: no built-ins may be reached at all.
 */
export async function bundle(
  entries: readonly string[],
  outdir: string,
  platform: 'neutral' | 'browser',
): Promise<BundleResult> {
  try {
    const result = await build({
      absWorkingDir: ROOT,
      entryPoints: [...entries],
      outdir,
      outbase: ROOT,
      bundle: true,
      format: platform === 'browser' ? 'iife' : 'esm',
      platform,
      target: 'es2022',
      // Neutral resolves no package fields by default; pako and fast-check ship ESM under `module`/exports.
      mainFields: ['module', 'main'],
      plugins: [refuseNodeBuiltins],
      logLevel: 'silent',
      write: true,
    });
    return {
      errors: result.errors.map((e) => e.text),
      outputs: entries.map((e) => outFile(outdir, e)),
    };
  } catch (error) {
    const failure = error as { errors?: { text: string }[] };
    return { errors: failure.errors?.map((e) => e.text) ?? [String(error)], outputs: [] };
  }
}

/** Where esbuild writes `entry` (its path under outdir, .ts → .js). */
export function outFile(outdir: string, entry: string): string {
  return join(outdir, entry.replace(/\.ts$/, '.js'));
}
