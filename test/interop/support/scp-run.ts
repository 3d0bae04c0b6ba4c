import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface ScpRun {
  readonly exitCode: number;
  readonly stderr: string;
  readonly ms: number;
}

const CLI = join(import.meta.dirname, '..', '..', '..', 'dist', 'cli', 'main.js');

/** The built `netrx scp` with `args`, in `cwd`; stderr as bytes, one per char code. */
export function runNetrxScp(
  cwd: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<ScpRun> {
  const started = Date.now();
  const child = spawn(process.execPath, [CLI, 'scp', ...args], {
    cwd,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...env },
  });
  const chunks: Buffer[] = [];
  child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({
        exitCode: code ?? (signal === null ? -1 : 128),
        stderr: Buffer.concat(chunks).toString('latin1'),
        ms: Date.now() - started,
      }),
    );
  });
}

let serial = 0;

/**
 * `netrx scp --port serial:LINK`, where LINK is a socat pty bridged to the
 * fixture's TCP port: a real tty line (termios, stty) in front of the same
 * dialogue.
 */
export async function runNetrxScpOnSerial(
  cwd: string,
  tcpPort: number,
  args: readonly string[],
): Promise<ScpRun> {
  const link = join(cwd, `tty.scp.${process.pid}.${serial++}`);
  const socat = spawn('socat', [`PTY,link=${link},rawer,echo=0`, `TCP:127.0.0.1:${tcpPort}`], {
    stdio: 'ignore',
  });
  try {
    const deadline = Date.now() + 5000;
    while (!existsSync(link)) {
      if (Date.now() > deadline) throw new Error(`socat did not make ${link}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return await runNetrxScp(cwd, [...args, '--port', `serial:${link}`]);
  } finally {
    if (socat.exitCode === null && socat.pid !== undefined) socat.kill('SIGTERM');
  }
}
