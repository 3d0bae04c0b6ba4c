import { spawnSync } from 'node:child_process';

/**
 * Interop tests need real peers (Debian packages that `npm test` installs).
 * Under CI=true a missing peer is a failure, never a silent skip; elsewhere
 * the suite skips with a notice saying how to get the peer.
 */
export function requirePeers(
  suite: string,
  checks: readonly { readonly name: string; readonly ok: () => boolean; readonly hint: string }[],
): { readonly skip: boolean; readonly missing: string[] } {
  const missing = checks
    .filter((check) => !check.ok())
    .map((check) => `${check.name} (${check.hint})`);
  if (missing.length === 0) return { skip: false, missing };
  if (process.env['CI'] === 'true') {
    throw new Error(`${suite}: missing interop peers under CI: ${missing.join(', ')}`);
  }
  console.warn(`${suite}: skipped, missing ${missing.join(', ')}`);
  return { skip: true, missing };
}

export function commandExists(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

export const isRoot = (): boolean => process.getuid?.() === 0;

/** The first line a command prints for its version, for the record in test output. */
export function versionOf(command: string, args: readonly string[] = ['--version']): string {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return (
    `${result.stdout}${result.stderr}`
      .split('\n')
      .find((line) => line.trim() !== '')
      ?.trim() ?? 'unknown'
  );
}
