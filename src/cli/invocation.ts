/**
 * How a person at the host's terminal runs this CLI again (review L4): the
 * dashboard's Wireshark instructions print it, and in a clone `netrx` is not
 * on PATH (README: `npm link`, or `node dist/cli/main.js`).
 */
import { basename, isAbsolute, relative } from 'node:path';

/**
 * `netrx` when the CLI was started through its `netrx` bin (npm link, a
 * global install, npx), else `node` with the script's path: relative to
 * `cwd` where it lies below it (`node dist/cli/main.js` from a clone), absolute otherwise.
 */
export function cliInvocation(scriptPath: string | undefined, cwd: string): string {
  if (scriptPath === undefined || scriptPath === '' || basename(scriptPath) === 'netrx')
    return 'netrx';
  const below = relative(cwd, scriptPath);
  const path = below !== '' && !below.startsWith('..') && !isAbsolute(below) ? below : scriptPath;
  return `node ${/^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replaceAll("'", "'\\''")}'`}`;
}
