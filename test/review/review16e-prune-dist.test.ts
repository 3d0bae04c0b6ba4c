/**
 * review16e: can `pruneDist` (scripts/lib/prune-dist.mjs) delete what the
 * package ships or a user needs? Against the real src/ and package.json: a
 * dist/ holding every file package.json points into dist/ (bin, each
 * export's `types`, `import`, `require`), with the outputs tsc emits beside
 * them (maps, declaration maps), and files no build emits (a stamp, a
 * user's notes). Nothing of it may be removed. The dashboard is ui/dist/,
 * which pruneDist is never given (setup.mjs passes src/ and dist/ only).
 * Holds.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error: a script module (JavaScript, no declarations)
import { pruneDist as pruneDistUntyped } from '../../scripts/lib/prune-dist.mjs';

const pruneDist = pruneDistUntyped as (src: string, dist: string) => string[];
const root = join(import.meta.dirname, '..', '..');

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Every path under dist/ that package.json names (bin and exports). */
function shippedPaths(): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    bin?: Record<string, string>;
    exports?: Record<string, Record<string, string> | string>;
  };
  const paths = new Set<string>(Object.values(pkg.bin ?? {}));
  for (const target of Object.values(pkg.exports ?? {})) {
    for (const path of typeof target === 'string' ? [target] : Object.values(target)) {
      paths.add(path);
    }
  }
  return [...paths]
    .map((p) => p.replace(/^\.\//, ''))
    .filter((p) => p.startsWith('dist/'))
    .map((p) => p.slice('dist/'.length));
}

describe('review16e: pruneDist and what the package ships', () => {
  it('keeps every file package.json points into dist/, their maps, and files no build emits', () => {
    const shipped = shippedPaths();
    expect(shipped.length).toBeGreaterThan(30);
    const dist = mkdtempSync(join(tmpdir(), 'review16e-dist-'));
    made.push(dist);
    const files = [
      ...shipped,
      ...shipped.filter((p) => /\.(c?js|d\.c?ts)$/.test(p)).map((p) => `${p}.map`),
      '.build-stamp',
      '.start-stamp',
      'NOTES.md',
    ];
    for (const file of files) {
      mkdirSync(dirname(join(dist, file)), { recursive: true });
      writeFileSync(join(dist, file), '');
    }
    expect(pruneDist(join(root, 'src'), dist)).toEqual([]);
  });
});
