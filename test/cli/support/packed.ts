// The packed package, installed the way a dependent project gets it: `npm
// pack` of this clone, then a real `npm install ./netrx-VERSION.tgz` in a
// fresh project. `--prefer-offline`, not `--offline`: the tarballs come from
// npm's cache, which this clone's own `npm ci` filled, but `npm ci` caches
// no registry metadata, and installing a tarball resolves its dependencies'
// ranges (`yaml@^2`) from metadata; on a fresh machine `--offline` failed
// with ENOTCACHED.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from './processes.js';

export interface PackedProject {
  readonly dir: string;
  /** Paths inside the tarball, as `npm pack --json` lists them. */
  readonly files: string[];
}

/**
 * Packs the clone (built beforehand) and installs the tarball, and `also`
 * (exact versions npm has cached, such as `@types/node@20.19.43`), into a new
 * project with `packageJson`.
 */
export function installPacked(
  tag: string,
  packageJson: Record<string, unknown>,
  also: readonly string[] = [],
): PackedProject {
  const dir = mkdtempSync(join(tmpdir(), `netrx-${tag}-`));
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', dir], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }),
  ) as { filename: string; files: { path: string }[] }[];
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: `netrx-${tag}`, private: true, ...packageJson }),
  );
  execFileSync(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', `./${packed[0]!.filename}`, ...also],
    { cwd: dir, stdio: 'ignore', timeout: 90_000 },
  );
  return { dir, files: packed[0]!.files.map((f) => f.path) };
}
