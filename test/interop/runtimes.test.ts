/**
 * One core, four runtimes (issue 15 part 3). Deno and Bun come from their
 * npm packages (deno 2.9.6, bun 1.4.4, pinned devDependencies that ship the
 * binaries in optional platform packages). For each runtime: the portable
 * WebSocket suite runs from an esbuild bundle and must report no failure;
 * the runtime's echo server (netrx core over Deno.listen / Bun.listen)
 * passes the probe of support/runtime-probe.ts from `ws` and from the netrx
 * Node client, deflate on and off; and the runtime's client (Deno.connect /
 * Bun.connect) talks to a `ws` echo server, deflate on and off. Under
 * CI=true a missing runtime binary is a failure.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import {
  RUNTIME_VERSIONS,
  bundle,
  outFile,
  runtimeBinary,
} from '../../bench/support/runtime-bundles.js';
import { requirePeers } from './support/peers.js';
import { probeEcho } from './support/runtime-probe.js';
import { RUNTIMES, RuntimeProcesses, type Runtime } from './support/runtime-process.js';

const ENTRIES = {
  deno: 'runtimes/deno/echo.ts',
  bun: 'runtimes/bun/echo.ts',
  suite: 'test/portable/run-suite.ts',
} as const;

const outdir = mkdtempSync(join(tmpdir(), 'netrx-ws-runtimes-'));
const processes = new RuntimeProcesses(outdir);
const env = processes.env;
const command = processes.command.bind(processes);
const stop = processes.stop.bind(processes);

function startServer(
  runtime: Runtime,
  args: readonly string[],
): ReturnType<RuntimeProcesses['startServer']> {
  return processes.startServer(runtime, outFile(outdir, ENTRIES[runtime]), args);
}

let built: string[] = [];

beforeAll(async () => {
  const result = await bundle(Object.values(ENTRIES), outdir, 'neutral');
  built = [...result.errors];
}, 60_000);

afterAll(() => {
  processes.stopAll();
  rmSync(outdir, { recursive: true, force: true });
});

for (const runtime of RUNTIMES) {
  const peers = requirePeers(`runtimes (${runtime})`, [
    {
      name: `${runtime} ${RUNTIME_VERSIONS[runtime]}`,
      ok: () => runtimeBinary(runtime) !== undefined,
      hint: `npm ci installs it from the ${runtime} devDependency`,
    },
  ]);

  describe.skipIf(peers.skip)(`netrx WebSocket core on ${runtime}`, () => {
    it('is the pinned version', () => {
      const [cmd] = command(runtime, '', []);
      const out = spawnSync(cmd, ['--version'], { encoding: 'utf8', env }).stdout;
      expect(out).toContain(RUNTIME_VERSIONS[runtime]);
    });

    it('bundles for the neutral platform with no Node built-in', () => {
      expect(built).toEqual([]);
    });

    it('passes the portable WebSocket suite', () => {
      const [cmd, argv] = command(runtime, outFile(outdir, ENTRIES.suite), []);
      const run = spawnSync(cmd, argv, { encoding: 'utf8', env, timeout: 60_000 });
      const line = run.stdout.split('\n').find((l) => l.startsWith('NETRX_SUITE '));
      expect(line, `no report; stderr: ${run.stderr}`).toBeDefined();
      const report = JSON.parse((line as string).slice('NETRX_SUITE '.length)) as {
        runtime: string;
        passed: number;
        failed: unknown[];
      };
      expect(report.runtime).toBe(`${runtime} ${RUNTIME_VERSIONS[runtime]}`);
      expect(report.failed).toEqual([]);
      expect(report.passed).toBe(9);
    }, 60_000);

    for (const deflate of [false, true]) {
      it(`echo server passes the probe from ws and the netrx client, deflate ${deflate ? 'on' : 'off'}`, async () => {
        const server = await startServer(runtime, deflate ? ['--deflate'] : []);
        try {
          expect(server.runtime).toBe(`${runtime} ${RUNTIME_VERSIONS[runtime]}`);
          for (const [i, client] of (['ws', 'netrx', 'ws'] as const).entries()) {
            const problems = await probeEcho(server.port, {
              client,
              deflate,
              seed: 1000 + i * 7 + (deflate ? 1 : 0),
            });
            expect(problems, `${client} client`).toEqual([]);
          }
        } finally {
          stop(server.child);
        }
      }, 60_000);

      it(`client runs the mix against a ws echo server, deflate ${deflate ? 'on' : 'off'}`, async () => {
        const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: deflate });
        let offered: boolean | undefined;
        wss.on('connection', (socket, request) => {
          offered = (request.headers['sec-websocket-extensions'] ?? '').includes(
            'permessage-deflate',
          );
          socket.on('message', (data, isBinary) =>
            socket.send(data as Buffer, { binary: isBinary }),
          );
        });
        await new Promise<void>((resolve) => wss.once('listening', resolve));
        const port = (wss.address() as { port: number }).port;
        try {
          const child = processes.spawn(runtime, outFile(outdir, ENTRIES[runtime]), [
            'client',
            String(port),
            ...(deflate ? ['--deflate'] : []),
          ]);
          let stdout = '';
          let stderr = '';
          child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
          child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
          const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
          expect(code, stderr).toBe(0);
          const verdict = JSON.parse(stdout.trim().split('\n').at(-1) as string) as {
            ok: boolean;
            problems: string[];
            sent: number;
          };
          expect(verdict.problems).toEqual([]);
          expect(verdict.sent).toBe(60);
          expect(offered).toBe(deflate);
        } finally {
          await new Promise((resolve) => wss.close(resolve));
        }
      }, 60_000);
    }
  });
}
