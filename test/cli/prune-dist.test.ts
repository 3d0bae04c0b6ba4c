// `npm run build` and the quick build prune dist/ of outputs whose source is
// gone (scripts/lib/prune-dist.mjs). Before, a renamed source's old .js and
// .d.ts stayed in dist/ and were still imported from there (session 32:
// frame.ts split, readme.test.ts failed on a dev machine only).
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error: a script module (JavaScript, no declarations)
import { pruneDist as pruneDistUntyped } from '../../scripts/lib/prune-dist.mjs';

const pruneDist = pruneDistUntyped as (src: string, dist: string) => string[];

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tree(files: readonly string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'netrx-prune-'));
  made.push(dir);
  for (const file of files) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), '');
  }
  return dir;
}

function listing(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .map(
      (entry) =>
        relative(dir, join(entry.parentPath, entry.name)) + (entry.isDirectory() ? '/' : ''),
    )
    .sort();
}

describe('pruneDist', () => {
  it('removes the outputs of a deleted source and the directory it leaves empty, nothing else', () => {
    const src = tree(['a.ts', 'wire/frame-codec.ts', 'esm-only.cts', 'a.test.ts']);
    const dist = tree([
      '.build-stamp',
      'a.js',
      'a.js.map',
      'a.d.ts',
      'a.d.ts.map',
      'wire/frame-codec.js',
      'wire/frame.js',
      'wire/frame.js.map',
      'wire/frame.d.ts',
      'wire/frame.d.ts.map',
      'gone/old.js',
      'gone/old.d.ts',
      'esm-only.cjs',
      'esm-only.cjs.map',
      'esm-only.d.cts',
      'esm-only.d.cts.map',
      'a.test.js',
      'notes.txt',
    ]);
    const removed = pruneDist(src, dist);
    expect(removed).toEqual([
      'a.test.js',
      'gone/old.d.ts',
      'gone/old.js',
      'wire/frame.d.ts',
      'wire/frame.d.ts.map',
      'wire/frame.js',
      'wire/frame.js.map',
    ]);
    expect(listing(dist)).toEqual([
      '.build-stamp',
      'a.d.ts',
      'a.d.ts.map',
      'a.js',
      'a.js.map',
      'esm-only.cjs',
      'esm-only.cjs.map',
      'esm-only.d.cts',
      'esm-only.d.cts.map',
      'notes.txt',
      'wire/',
      'wire/frame-codec.js',
    ]);
  });

  it('is a no-op without dist/', () => {
    const src = tree(['a.ts']);
    expect(pruneDist(src, join(src, 'no-such-dist'))).toEqual([]);
  });
});
