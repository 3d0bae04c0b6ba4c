/**
 * Starting the Deno and Bun builds of runtimes/<runtime>/echo.ts for the
 * interop tests (runtimes.test.ts, runtimes-hostile.test.ts): the command
 * line per runtime, a quiet environment whose DENO_DIR sits in the test's
 * temp dir, and an echo server whose port is its first stdout line. Every
 * process started is tracked so the suite can kill it by PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { runtimeBinary } from '../../../bench/support/runtime-bundles.js';

export const RUNTIMES = ['deno', 'bun'] as const;
export type Runtime = (typeof RUNTIMES)[number];

export class RuntimeProcesses {
  readonly env: NodeJS.ProcessEnv;
  private readonly children = new Set<ChildProcess>();

  constructor(outdir: string) {
    this.env = {
      ...process.env,
      NO_COLOR: '1',
      DENO_NO_UPDATE_CHECK: '1',
      DENO_DIR: join(outdir, 'deno-dir'),
    };
  }

  /** The command line that runs a bundled script on `runtime`. */
  command(runtime: Runtime, script: string, args: readonly string[]): [string, string[]] {
    const binary = runtimeBinary(runtime) as string;
    return runtime === 'deno'
      ? [binary, ['run', '--allow-net', '--quiet', script, ...args]]
      : [binary, [script, ...args]];
  }

  spawn(runtime: Runtime, script: string, args: readonly string[]): ChildProcess {
    const [cmd, argv] = this.command(runtime, script, args);
    const child = spawn(cmd, argv, { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** Starts the bundled echo `script` as a server and waits for its announced port. */
  async startServer(
    runtime: Runtime,
    script: string,
    args: readonly string[],
  ): Promise<{ port: number; runtime: string; child: ChildProcess }> {
    const child = this.spawn(runtime, script, ['server', ...args]);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', resolve);
      child.once('exit', (code) =>
        reject(new Error(`${runtime} server exited ${code}: ${stderr}`)),
      );
    });
    const announced = JSON.parse(line) as { port: number; runtime: string };
    return { ...announced, child };
  }

  stop(child: ChildProcess): void {
    if (child.exitCode === null && child.pid !== undefined) child.kill('SIGKILL');
    this.children.delete(child);
  }

  stopAll(): void {
    for (const child of [...this.children]) this.stop(child);
  }
}
