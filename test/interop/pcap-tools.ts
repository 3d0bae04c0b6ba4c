/**
 * Reference tools for the pcap interop suites. A missing tool skips its suite
 * with a printed notice, except under CI (`CI=true`), where it fails: the
 * suites install nothing themselves (`apt-get install -y tshark tcpdump`).
 */
import { spawnSync } from 'node:child_process';

export const IN_CI = process.env['CI'] === 'true';

/** First line of `command --version`-style output, or undefined when the tool is missing. */
export function toolVersion(command: string, args: readonly string[]): string | undefined {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.error !== undefined || result.status !== 0) return undefined;
  const line = `${result.stdout}\n${result.stderr}`
    .split('\n')
    .find((l) => /version|TShark/i.test(l) && !l.startsWith('Running as user'));
  return line?.trim();
}

/** Prints why a tool suite is skipped (outside CI). */
export function noticeMissing(tool: string): void {
  if (!IN_CI) {
    console.warn(
      `[netrx interop] ${tool} not found: skipping its checks (install with: apt-get install -y ${tool})`,
    );
  }
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
