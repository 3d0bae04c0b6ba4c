// The quick build `npm start` runs on a fresh clone (review M1): every
// source file of src/ (tests left out) turned into JavaScript in dist/ one
// file at a time by oxc (rolldown's transformSync, which the dashboard's
// Vite already installs), without type checking or declarations. It is
// enough to run `netrx up` and every other command: the sources are
// written for it (`isolatedModules` and `verbatimModuleSyntax` in
// tsconfig.base.json: no file needs another's types to be emitted). The
// full `tsc -p tsconfig.build.json` (type check, .d.ts, what the package
// ships) stays `npm run build`'s and `npm test`'s job: this build writes
// dist/.start-stamp, never dist/.build-stamp, so they still run it.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The files tsc -p tsconfig.build.json emits from, as paths relative to `from`. */
export function sourceFiles(from) {
  return readdirSync(from, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(from, join(entry.parentPath, entry.name)))
    .filter((path) => /\.c?ts$/.test(path) && !/\.test\.ts$/.test(path) && !path.endsWith('.d.ts'))
    .sort();
}

/**
 * Writes `to/X.js` (and `X.js.map`) for every `from/X.ts`, `.cjs` for
 * `.cts`. Throws on the first file oxc cannot parse (the caller then runs
 * tsc, which says why in full).
 */
export async function transpileSources(from, to) {
  const { transformSync } = await import('rolldown/experimental');
  const files = sourceFiles(from);
  for (const path of files) {
    const source = readFileSync(join(from, path), 'utf8');
    const commonjs = path.endsWith('.cts');
    const out = transformSync(join(from, path), source, {
      lang: 'ts',
      sourceType: commonjs ? 'commonjs' : 'module',
      target: 'es2022',
      sourcemap: true,
    });
    if (out.errors.length > 0)
      throw new Error(`${path}: ${out.errors[0]?.message ?? 'cannot be transpiled'}`);
    const target = join(to, path.replace(/\.ts$/, '.js').replace(/\.cts$/, '.cjs'));
    mkdirSync(dirname(target), { recursive: true });
    const name = target.slice(dirname(target).length + 1);
    writeFileSync(target, `${out.code}\n//# sourceMappingURL=${name}.map\n`);
    if (out.map !== undefined && out.map !== null)
      writeFileSync(
        `${target}.map`,
        JSON.stringify({
          ...out.map,
          file: name,
          sources: [relative(dirname(target), join(from, path))],
        }),
      );
  }
  return files.length;
}

// Run as a script (`node transpile.mjs FROM TO`), so the process that then
// runs the host does not keep oxc's native binding (tens of MiB) mapped.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [from, to] = process.argv.slice(2);
  try {
    await transpileSources(from, to);
  } catch (error) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}
