/**
 * python websockets (Debian python3-websockets) as a peer process for the
 * interop suites: finding the interpreter that has it, starting its echo
 * server, running its client modes. The peer script is
 * python_websockets_peer.py beside this file.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/** Versions the suites were checked with. */
export const PYTHON_RECORDED = { websockets: '10.4', python: '3.11.2' };
export const PEER_SCRIPT = join(import.meta.dirname, 'python_websockets_peer.py');

export interface PythonPeer {
  readonly python: string;
  readonly websockets: string;
  readonly version: string;
}

/**
 * The interpreter python3-websockets is installed for: Debian's
 * /usr/bin/python3 first (a pyenv or venv python3 earlier on PATH does not
 * see Debian's dist-packages), then whatever python3 is on PATH.
 */
export function findPython(): PythonPeer | undefined {
  for (const python of ['/usr/bin/python3', 'python3']) {
    const probe = spawnSync(
      python,
      ['-c', 'import sys, websockets; print(websockets.__version__, sys.version.split()[0])'],
      { encoding: 'utf8' },
    );
    if (probe.status === 0) {
      const [websockets = '', version = ''] = probe.stdout.trim().split(' ');
      return { python, websockets, version };
    }
  }
  return undefined;
}

export interface PythonServer {
  readonly url: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts the python echo server with `args` (after `server`); resolves once it listens. */
export function startPythonServer(
  peer: PythonPeer,
  args: readonly string[],
): Promise<PythonServer> {
  return new Promise((resolve, reject) => {
    const child = spawn(peer.python, [PEER_SCRIPT, 'server', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const timer = setTimeout(() => {
      void stopChild(child);
      reject(new Error(`python server not ready: ${output}`));
    }, 15_000);
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /^listening on (ws:\/\/127\.0\.0\.1:\d+\/)$/m.exec(output);
      if (match !== null) {
        clearTimeout(timer);
        resolve({ url: match[1]!, child, stop: () => stopChild(child) });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`python server exited ${code}: ${output}`));
    });
  });
}

/** Runs the peer script with `args`; resolves with the last line of its stdout parsed as JSON. */
export function runPythonJson<T>(
  peer: PythonPeer,
  args: readonly string[],
  timeoutMs = 60_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(peer.python, [PEER_SCRIPT, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    }, timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      const line = stdout.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || line === '') {
        reject(new Error(`python ${args[0]} exited ${code}:\n${stdout}\n${stderr}`));
        return;
      }
      resolve(JSON.parse(line) as T);
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve();
      return;
    }
    child.once('exit', () => resolve());
    process.kill(child.pid!, 'SIGTERM');
  });
}
