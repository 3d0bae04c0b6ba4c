/**
 * Running the reference tools of the pcap interop suites. Whether a missing
 * tool skips or fails (under CI=true) is decided by `requirePeers` in
 * support/peers.ts, as for every interop suite; `npm test` installs them.
 */
import { spawnSync } from 'node:child_process';

/** First line of `command --version`-style output, or undefined when the tool is missing. */
export function toolVersion(command: string, args: readonly string[]): string | undefined {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.error !== undefined || result.status !== 0) return undefined;
  const line = `${result.stdout}\n${result.stderr}`
    .split('\n')
    .find((l) => /version|TShark/i.test(l) && !l.startsWith('Running as user'));
  return line?.trim();
}

export interface ToolRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function run(command: string, args: readonly string[]): ToolRun {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Non-empty lines of `text`. */
export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}
