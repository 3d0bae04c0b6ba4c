/**
 * The netrx side of the RadSec interop tests (FreeRADIUS, radsecproxy):
 * demo certificates in `dir/certs`, then `netrx radius serve` on a RadSec
 * port of its choosing for `bob:hello`, taking the client `client` by the
 * CN `bob`. Resolves once it said `ready`, with the port it listens on.
 */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ran, watched, type Watched } from './processes.js';

const root = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
export const NETRX_MAIN = join(root, 'dist', 'cli', 'main.js');

export async function startRadsecNetrx(
  dir: string,
  client: string,
  extra: readonly string[] = [],
  listening: RegExp = /radsec tls 127\.0\.0\.1:(\d+)/,
): Promise<{ certs: string; netrx: Watched; netrxPort: number }> {
  const certs = join(dir, 'certs');
  const made = await ran(process.execPath, [NETRX_MAIN, 'certs', 'demo', '--out', certs]);
  if (made.code !== 0) throw new Error(`netrx certs demo failed:\n${made.text}`);
  const netrx = watched(process.execPath, [
    NETRX_MAIN,
    'radius',
    'serve',
    '--host',
    '127.0.0.1',
    '--radsec',
    '0',
    '--certs',
    certs,
    '--user',
    'bob:hello',
    '--radsec-client',
    `${client}=bob`,
    ...extra,
  ]);
  const netrxPort = Number((await netrx.until(listening))[1]);
  await netrx.until(/^ready$/m);
  return { certs, netrx, netrxPort };
}
