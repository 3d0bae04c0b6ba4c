/**
 * Helpers of the extcap interop suites: the peers (tshark, capinfos), a
 * temporary HOME whose extcap folders hold the launcher `netrx capture
 * extcap --install` writes, running tshark there (as nobody when root:
 * TShark 4.0 ignores WIRESHARK_EXTCAP_DIR with special privileges), and
 * tshark's own reading of a capture file for byte comparisons.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect } from 'vitest';
import { runCli } from '../../../src/cli/index.js';
import { io, sleep } from '../../support/cli-io.js';
import { lines, run, toolVersion } from '../pcap-tools.js';
import { commandExists, isRoot, requirePeers } from './peers.js';

export { io, sleep, until } from '../../support/cli-io.js';

export const RECORDED_TSHARK =
  'TShark (Wireshark) 4.0.17 (Git v4.0.17 packaged as 4.0.17-0+deb12u3).';
export const TRUNCATION = 128;
export const main = resolve(import.meta.dirname, '..', '..', '..', 'dist', 'cli', 'main.js');
const tshark = toolVersion('tshark', ['--version']);

/** The extcap suites' peers (plus `more`), with tshark's version printed and checked against the record. */
export function extcapPeers(
  suite: string,
  more: Parameters<typeof requirePeers>[1] = [],
): ReturnType<typeof requirePeers> {
  const peers = requirePeers(suite, [
    { name: 'tshark', ok: () => tshark !== undefined, hint: 'apt-get install -y tshark' },
    { name: 'capinfos', ok: () => commandExists('capinfos'), hint: 'apt-get install -y tshark' },
    {
      name: 'setpriv (as root)',
      ok: () => !isRoot() || commandExists('setpriv'),
      hint: 'util-linux',
    },
    { name: 'dist/cli/main.js', ok: () => existsSync(main), hint: 'npm run build' },
    ...more,
  ]);
  console.info(`peers: ${tshark ?? 'tshark missing'}`);
  if (tshark !== undefined && tshark !== RECORDED_TSHARK) {
    console.warn(`[netrx interop] tshark is ${tshark}; checked with ${RECORDED_TSHARK}`);
  }
  return peers;
}

/**
 * How long tshark may take to reach the session, measured at the load of the
 * moment: before the extcap's capture run opens it, tshark starts the
 * launcher three times more (`--extcap-interfaces`, `--extcap-config` twice:
 * counted with strace), each a node start, which takes 0.3 s on a quiet
 * machine and seconds at load 20 (a fixed 20 s ran out there). So: one
 * launcher run timed now, times the four, plus as much again for tshark and
 * dumpcap themselves; never less than the 20 s a quiet machine needs.
 */
export function extcapTiming(home: { personal: string; env: NodeJS.ProcessEnv }): {
  readonly openBudget: number;
  /** `-a duration:` for a capture that must outlast `seconds` after the session opens. */
  readonly duration: (seconds: number) => string;
} {
  const started = performance.now();
  const probe = spawnSync(join(home.personal, 'netrx-extcap'), ['--extcap-interfaces'], {
    env: home.env,
    encoding: 'utf8',
  });
  expect(probe.status, probe.stderr).toBe(0);
  const oneStart = performance.now() - started;
  return {
    openBudget: Math.max(20_000, Math.ceil(8 * oneStart)),
    // dumpcap's clock starts when the extcap opens the fifo, before it connects and
    // opens the session: as long again as one node start, at this load.
    duration: (seconds) => `duration:${seconds + Math.ceil(oneStart / 1000)}`,
  };
}

/** A bound for a test that waits for tshark to reach the session: for a hung run only. */
export const EXTCAP_TEST_TIMEOUT_MS = 240_000;

/** A temporary HOME with the launcher in both extcap folders, and how to run tshark there. */
export async function extcapHome() {
  const home = mkdtempSync(join(tmpdir(), 'ce-extcap-'));
  const personal = join(home, '.local', 'lib', 'wireshark', 'extcap');
  mkdirSync(personal, { recursive: true });
  const session = io();
  expect(await runCli(['capture', 'extcap', '--install', personal], session.cli)).toBe(0);
  for (const dir of [
    home,
    join(home, '.local'),
    join(home, '.local', 'lib'),
    join(home, '.local', 'lib', 'wireshark'),
    personal,
  ]) {
    chmodSync(dir, dir === home ? 0o777 : 0o755);
  }
  const env = { ...process.env, HOME: home, WIRESHARK_EXTCAP_DIR: personal };
  const command = (args: readonly string[]): [string, string[]] =>
    isRoot()
      ? ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'tshark', ...args]]
      : ['tshark', [...args]];
  return { home, personal, env, command };
}

export type ExtcapHome = Awaited<ReturnType<typeof extcapHome>>;

/** tshark's arguments for a capture on the netrx interface from `server`'s `session`, then `more`. */
export function netrxCapture(server: string, session: string, more: readonly string[]): string[] {
  return [
    '-i',
    'netrx',
    '-o',
    `extcap.netrx.server:${server}`,
    '-o',
    `extcap.netrx.session:${session}`,
    ...more,
  ];
}

/** A tshark run: its stderr so far, whether it has closed, and its exit code. */
export interface TsharkRun {
  readonly child: ChildProcess;
  readonly stderr: string;
  readonly finished: boolean;
  readonly exited: Promise<number | null>;
  /** SIGINT unless it has closed: tshark stops its dumpcap and extcap. */
  interrupt(): void;
}

/**
 * Starts tshark with `args` as `home.command` runs it, in `home.home`, with
 * `env` (default `home.env`); with `netns`, inside that network namespace
 * (nsenter), where a capture server there listens on loopback.
 */
export function spawnTshark(
  home: ExtcapHome,
  args: readonly string[],
  options: { readonly env?: NodeJS.ProcessEnv; readonly netns?: string } = {},
): TsharkRun {
  const [command, commandArgs] = home.command(args);
  const [file, argv] =
    options.netns === undefined
      ? [command, commandArgs]
      : ['nsenter', [`--net=/run/netns/${options.netns}`, command, ...commandArgs]];
  const child = spawn(file, argv, { env: options.env ?? home.env, cwd: home.home });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let finished = false;
  const exited = new Promise<number | null>((done) =>
    child.once('close', (code) => {
      finished = true;
      done(code);
    }),
  );
  return {
    child,
    get stderr() {
      return stderr;
    },
    get finished() {
      return finished;
    },
    exited,
    interrupt: () => {
      if (!finished) child.kill('SIGINT');
    },
  };
}

/** Calls `traffic` every 25 ms (at most 400 times) until tshark closes: frames as a live link brings them. */
export async function feedUntilClosed(run: TsharkRun, traffic: () => void): Promise<void> {
  for (let i = 0; i < 400 && !run.finished; i++) {
    traffic();
    await sleep(25);
  }
}

export interface TsharkFrame {
  readonly raw: string;
  readonly len: number;
  readonly capLen: number;
  readonly direction: string;
}

/** tshark's own reading of a capture file: each frame's bytes, lengths and direction flag. */
export function tsharkFrames(file: string): TsharkFrame[] {
  const result = run('tshark', ['-r', file, '-T', 'json', '-x']);
  expect(result.status, result.stderr).toBe(0);
  const packets = JSON.parse(result.stdout) as {
    _source: { layers: Record<string, unknown> };
  }[];
  return packets.map(({ _source: { layers } }) => {
    const frame = layers['frame'] as Record<string, string> & {
      'frame.packet_flags_tree'?: Record<string, string>;
    };
    return {
      raw: (layers['frame_raw'] as string[])[0] ?? '',
      len: Number(frame['frame.len']),
      capLen: Number(frame['frame.cap_len']),
      direction: frame['frame.packet_flags_tree']?.['frame.packet_flags_direction'] ?? '',
    };
  });
}

export const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** Every frame `seen` as tshark should show it: truncated, with its wire length and direction. */
export function expected(seen: readonly { data: Uint8Array; direction: 'in' | 'out' }[]) {
  return seen.map((f) => ({
    raw: hex(f.data.subarray(0, TRUNCATION)),
    len: f.data.length,
    capLen: Math.min(f.data.length, TRUNCATION),
    direction: f.direction === 'in' ? '0x00000001' : '0x00000002',
  }));
}

/** Frames tshark flags as malformed, or with a warning or error. */
export function problems(file: string): string[] {
  const result = run('tshark', [
    '-r',
    file,
    '-Y',
    '_ws.malformed || _ws.expert.severity >= "warning"',
  ]);
  expect(result.status, result.stderr).toBe(0);
  return lines(result.stdout);
}
