// Removes from dist/ what no source emits any more. tsc and the quick
// build only ever write files, so an output whose source was renamed or
// deleted (src/wire/websocket/frame.ts split into five files, session 32)
// stayed in dist/ and was still imported and type-checked from there: a
// dev machine's readme test failed on it until `rm -rf dist`, while a fresh
// clone passed. Emptying dist/ before a build instead would break a
// `netrx up` running from it for the whole build; pruning after a build
// that succeeded removes only the orphans.
import { readdirSync, rmSync, rmdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { sourceFiles } from './transpile.mjs';

/** What tsc or oxc emit for a source: its extension → the emitted files' suffixes. */
const EMITTED = [
  { source: '.ts', outputs: ['.js', '.js.map', '.d.ts', '.d.ts.map'] },
  { source: '.cts', outputs: ['.cjs', '.cjs.map', '.d.cts', '.d.cts.map'] },
];

/** The source (relative path) an emitted file comes from, or undefined if it is not an emitted kind. */
function sourceOf(output) {
  for (const { source, outputs } of EMITTED) {
    // Longest suffix first: `x.d.ts.map` must not be read as `x.d.ts` + `.map`.
    const suffix = [...outputs].sort((a, b) => b.length - a.length).find((s) => output.endsWith(s));
    if (suffix !== undefined) return output.slice(0, -suffix.length) + source;
  }
  return undefined;
}

/**
 * Deletes every emitted file under `dist` whose source under `src` is gone,
 * then the directories that leaves empty. Other files (build stamps) stay.
 * Returns the relative paths removed.
 */
export function pruneDist(src, dist) {
  const sources = new Set(sourceFiles(src));
  const removed = [];
  let entries;
  try {
    entries = readdirSync(dist, { recursive: true, withFileTypes: true });
  } catch {
    return removed;
  }
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = relative(dist, join(entry.parentPath, entry.name));
    const source = sourceOf(path);
    if (source === undefined || sources.has(source)) continue;
    rmSync(join(dist, path));
    removed.push(path);
  }
  removeEmptyDirectories(dist, true);
  return removed.sort();
}

function removeEmptyDirectories(dir, isRoot) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) removeEmptyDirectories(join(dir, entry.name), false);
  }
  if (!isRoot && readdirSync(dir).length === 0) rmdirSync(dir);
}
