/**
 * The redis inline-protocol fixture: a real redis-server (Debian
 * redis-server, a peer nobody here wrote), a private instance on a free
 * loopback port with no persistence, started here and killed by its PID.
 * Every script runs with pppd's `chat` (on a socat pty bridged to redis) and
 * with `netrx chat --port tcp:…`; both must give the same exit code and the
 * same normalised `-v -s -S` transcript.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandExists, requirePeers, versionOf } from './support/peers.js';
import { normalise, runNetrxChat, runRealChat } from './support/chat-run.js';
import { freePort } from './support/ports.js';

/** The peer versions these expectations were checked with. */
const RECORDED = { redis: '5:7.0.15-1~deb12u10', ppp: '2.4.9-1+1.1+b1', socat: '1.7.4.4' };

const peers = requirePeers('port-chat-redis.test.ts', [
  { name: 'chat', ok: () => commandExists('chat'), hint: 'apt-get install -y ppp' },
  { name: 'socat', ok: () => commandExists('socat'), hint: 'apt-get install -y socat' },
  {
    name: 'redis-server',
    ok: () => commandExists('redis-server'),
    hint: 'apt-get install -y redis-server',
  },
]);
if (!peers.skip) {
  const redis = spawnSync('dpkg-query', ['-W', '-f=${Version}', 'redis-server'], {
    encoding: 'utf8',
  }).stdout;
  console.info(`peers: ${versionOf('redis-server')} (Debian ${redis})`);
  if (redis !== RECORDED.redis)
    console.warn(`[netrx interop] checked with redis ${RECORDED.redis}`);
}

const workdir = mkdtempSync(join(tmpdir(), `netrx-chat-redis-${process.pid}-`));
let redis: ChildProcess | undefined;
let redisPort = 0;

/**
 * Resolves once redis answers PING on its port. The bound is for a redis that
 * never starts: a count of tries (100, 50 ms apart) ran out in about 5 s of
 * wall time whatever the load; a start-up at load 20 gets 30 s.
 */
const REDIS_START_BUDGET_MS = 30_000;
async function untilReady(port: number): Promise<void> {
  const deadline = performance.now() + REDIS_START_BUDGET_MS;
  while (performance.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => socket.write('PING\r\n'));
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data.toString('latin1').startsWith('+PONG'));
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`redis-server did not answer on 127.0.0.1:${port}`);
}

beforeAll(async () => {
  if (peers.skip) return;
  redisPort = await freePort();
  redis = spawn(
    'redis-server',
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { cwd: workdir, stdio: 'ignore' },
  );
  redis.once('error', () => undefined);
  await untilReady(redisPort);
}, REDIS_START_BUDGET_MS + 10_000);

afterAll(() => {
  if (redis?.pid !== undefined && redis.exitCode === null) process.kill(redis.pid, 'SIGKILL');
  rmSync(workdir, { recursive: true, force: true });
});

interface Case {
  readonly name: string;
  readonly script: readonly string[];
  readonly exit: number;
}

/** `\r\n\c`: redis's inline protocol ends a command at LF; `\c` drops chat's own CR. */
const cases: readonly Case[] = [
  {
    name: 'redis: PING/PONG three times',
    script: ['', 'PING\\r\\n\\c', '+PONG', 'PING\\r\\n\\c', '+PONG', 'PING\\r\\n\\c', '+PONG'],
    exit: 0,
  },
  {
    name: 'redis: SET then GET sees the value',
    script: ['', 'SET netrx:chat:a hello\\r\\n\\c', '+OK', 'GET netrx:chat:a\\r\\n\\c', 'hello'],
    exit: 0,
  },
  {
    name: 'redis: an unknown command hits ABORT -ERR (exit 4)',
    script: ['ABORT', '-ERR', 'TIMEOUT', '5', '', 'NOSUCHCOMMAND\\r\\n\\c', '+OK'],
    exit: 4,
  },
  {
    name: 'redis: a missing key answers $-1, second ABORT (exit 5)',
    script: ['ABORT', '-ERR', 'ABORT', '$-1', '', 'GET netrx:chat:missing\\r\\n\\c', 'never'],
    exit: 5,
  },
  {
    name: 'redis: waiting for a reply it never sends times out (exit 3)',
    script: ['TIMEOUT', '1', '', 'PING\\r\\n\\c', '+PONG', '', 'nothingcomes'],
    exit: 3,
  },
  {
    // redis answers +OK and closes while chat waits: the hang-up mid-expect; chat exits 2.
    name: 'redis: QUIT hangs up mid-script (exit 2)',
    script: ['', 'QUIT\\r\\n\\c', 'nothingcomes'],
    exit: 2,
  },
];

describe.skipIf(peers.skip)('netrx chat and pppd chat against redis-server', () => {
  it.each(cases)('$name', { timeout: 30_000 }, async (c) => {
    const dir = mkdtempSync(join(workdir, 'case-'));
    const args = ['-v', '-s', '-S', '--', ...c.script];
    const real = await runRealChat(redisPort, args, dir);
    const ours = await runNetrxChat(redisPort, args, dir);
    expect(real.exitCode, `chat's exit code; its transcript:\n${real.stderr}`).toBe(c.exit);
    expect(normalise(ours.stderr)).toEqual(normalise(real.stderr));
    expect(ours.exitCode).toBe(real.exitCode);
  });
});
