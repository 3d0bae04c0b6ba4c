import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { join } from 'node:path';

export interface ChatRun {
  readonly exitCode: number;
  /** stderr as bytes, one per char code. */
  readonly stderr: string;
  readonly ms: number;
}

const CLI = join(import.meta.dirname, '..', '..', '..', 'dist', 'cli', 'main.js');

/**
 * A signal sent to the program mid-script (a hang-up): `afterMs` after its
 * stderr first shows `after` (a fixed delay from the start would race the
 * program's own start-up on a loaded machine: node takes seconds there).
 */
export interface ChatKill {
  readonly signal: NodeJS.Signals;
  readonly after: string;
  readonly afterMs: number;
}

function collect(
  child: ReturnType<typeof spawn>,
  started: number,
  kill?: ChatKill,
): Promise<ChatRun> {
  const chunks: Buffer[] = [];
  let timer: NodeJS.Timeout | undefined;
  child.stderr?.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    if (kill === undefined || timer !== undefined) return;
    if (Buffer.concat(chunks).toString('latin1').includes(kill.after)) {
      timer = setTimeout(() => child.kill(kill.signal), kill.afterMs);
    }
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        exitCode: code ?? (signal === null ? -1 : 128),
        stderr: Buffer.concat(chunks).toString('latin1'),
        ms: Date.now() - started,
      });
    });
  });
}

async function waitFor(path: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`socat did not make ${path}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

let serial = 0;

/**
 * The real chat (Debian ppp), with its stdin/stdout on a pty that socat
 * bridges to the fixture's TCP port (chat needs a tty, and must be the
 * parent of nothing: it is run directly with the pty as fd 0 and 1).
 */
export function runRealChat(
  tcpPort: number,
  args: readonly string[],
  workdir: string,
  env: NodeJS.ProcessEnv = {},
  kill?: ChatKill,
): Promise<ChatRun> {
  return runOnPty('chat', args, tcpPort, workdir, env, true, kill);
}

/**
 * `netrx chat` with no --port, on the same kind of pty as chat: its stdin
 * and stdout are the tty (what pppd's `connect` option gives chat).
 */
export function runNetrxChatOnPty(
  tcpPort: number,
  args: readonly string[],
  workdir: string,
  env: NodeJS.ProcessEnv = {},
): Promise<ChatRun> {
  return runOnPty(process.execPath, [CLI, 'chat', ...args], tcpPort, workdir, env);
}

/**
 * `netrx chat --port serial:LINK`, where LINK is the same socat pty chat
 * gets: netrx opens the line itself (the serial transport, through stty).
 */
export function runNetrxChatOnSerial(
  tcpPort: number,
  args: readonly string[],
  workdir: string,
  env: NodeJS.ProcessEnv = {},
): Promise<ChatRun> {
  return runOnPty(
    process.execPath,
    (link) => [CLI, 'chat', '--port', `serial:${link}`, ...args],
    tcpPort,
    workdir,
    env,
    false,
  );
}

async function runOnPty(
  command: string,
  args: readonly string[] | ((link: string) => string[]),
  tcpPort: number,
  workdir: string,
  env: NodeJS.ProcessEnv,
  asStdio = true,
  kill?: ChatKill,
): Promise<ChatRun> {
  const link = join(workdir, `tty.${process.pid}.${serial++}`);
  const socat = spawn('socat', [`PTY,link=${link},rawer,echo=0`, `TCP:127.0.0.1:${tcpPort}`], {
    stdio: 'ignore',
  });
  try {
    // socat makes the link at once; the bound is for a socat that never starts (load 20: seconds).
    await waitFor(link, 30_000);
    const fd = openSync(link, 'r+');
    try {
      const started = Date.now();
      const child = spawn(command, typeof args === 'function' ? args(link) : args, {
        stdio: asStdio ? [fd, fd, 'pipe'] : ['ignore', 'ignore', 'pipe'],
        cwd: workdir,
        env: { PATH: process.env['PATH'], ...env },
      });
      return await collect(child, started, kill);
    } finally {
      closeSync(fd);
    }
  } finally {
    if (socat.exitCode === null && socat.pid !== undefined) socat.kill('SIGTERM');
  }
}

/** `netrx chat` (the built CLI) on a TCP port to the same fixture. */
export async function runNetrxChat(
  tcpPort: number,
  args: readonly string[],
  workdir: string,
  env: NodeJS.ProcessEnv = {},
  extra: readonly string[] = [],
  kill?: ChatKill,
): Promise<ChatRun> {
  const started = Date.now();
  const child = spawn(
    process.execPath,
    [CLI, 'chat', '--port', `tcp:127.0.0.1:${tcpPort}`, ...extra, ...args],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      cwd: workdir,
      env: { PATH: process.env['PATH'], ...env },
    },
  );
  return collect(child, started, kill);
}

/**
 * Transcripts compared line by line after dropping what only a tty gives
 * (restoring its settings after a hang-up) and REPORT timestamps.
 */
export function normalise(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((line) => !line.startsWith("Can't restore terminal parameters"))
    .map((line) => line.replace(/^chat: {2}\w{3} [ \d]\d \d\d:\d\d:\d\d /, 'chat:  TIME '))
    .map((line) => line.replace(/^ -- write failed: .*/, ' -- write failed'));
}
