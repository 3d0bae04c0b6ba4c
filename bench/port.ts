/**
 * Ports and login scripts (issue 12 targets):
 *
 * 1. Round trip to a match over loopback TCP: `port.send` + `port.expect`
 *    against the same exchange on a bare `node:net` socket (the anchor),
 *    p50/p99 of 2000 rounds each.
 * 2. 20 PING/PONG rounds of a chat script in fast mode (`runChat`), and the
 *    same script with the real `chat` on a socat pty when installed.
 * 3. 1000 ports logging in at once (chat script: login/password/prompt) to
 *    a server in a child process; wall time and heap per idle port.
 *
 * Numbers are for docs/performance.md; nothing fails on them.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTcp } from '../src/node/port/index.js';
import { systemClock } from '../src/node/runtime/index.js';
import { Port, parseChatArgs, runChat } from '../src/port/index.js';

const quiet = { log: () => {}, stderr: () => {}, report: () => {} };

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

/** Replies to each CR-terminated line: PING → +PONG, anything else → ok and a prompt. */
function lineServer(): Promise<Server> {
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => {});
    let buffer = '';
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      for (let at = buffer.indexOf('\r'); at >= 0; at = buffer.indexOf('\r')) {
        const line = buffer.slice(0, at).replace(/\n/g, '');
        buffer = buffer.slice(at + 1);
        socket.write(line === 'PING' ? '+PONG\r\n' : 'ok\r\n$ ');
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return address.port;
}

async function roundTrips(server: Server, rounds: number) {
  const port = new Port(await openTcp('127.0.0.1', portOf(server)), { clock: systemClock });
  const ours: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    port.send('x\r');
    await port.expect(['$ ']);
    ours.push((performance.now() - start) * 1000);
  }
  port.close();
  const socket: Socket = connect(portOf(server), '127.0.0.1');
  socket.setNoDelay(true);
  await new Promise((resolve) => socket.once('connect', resolve));
  const theirs: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    await new Promise<void>((resolve) => {
      let seen = '';
      const onData = (chunk: Buffer) => {
        seen += chunk.toString('latin1');
        if (seen.endsWith('$ ')) {
          socket.off('data', onData);
          resolve();
        }
      };
      socket.on('data', onData);
      socket.write('x\r');
    });
    theirs.push((performance.now() - start) * 1000);
  }
  socket.destroy();
  return { ours, theirs };
}

const PING_SCRIPT = (() => {
  const words = ['', 'PING\\r\\n\\c'];
  for (let i = 0; i < 19; i++) words.push('+PONG', 'PING\\r\\n\\c');
  return [...words, '+PONG', ''];
})();

async function pingPong(tcpPort: number): Promise<number[]> {
  const times: number[] = [];
  for (let run = 0; run < 15; run++) {
    const port = new Port(await openTcp('127.0.0.1', tcpPort), { clock: systemClock });
    const start = performance.now();
    const result = await runChat(port, parseChatArgs(PING_SCRIPT), {
      clock: systemClock,
      pacing: 'fast',
      timeoutSeconds: 3,
      output: quiet,
    });
    times.push(performance.now() - start);
    port.close();
    if (result.exitCode !== 0) throw new Error(`ping script exited ${result.exitCode}`);
  }
  return times;
}

async function realChatPingPong(tcpPort: number): Promise<number | undefined> {
  if (spawnSync('sh', ['-c', 'command -v chat && command -v socat']).status !== 0) return undefined;
  const dir = mkdtempSync(join(tmpdir(), `netrx-bench-port-${process.pid}-`));
  const link = join(dir, 'tty');
  const socat = spawn('socat', [`PTY,link=${link},rawer,echo=0`, `TCP:127.0.0.1:${tcpPort}`], {
    stdio: 'ignore',
  });
  try {
    while (!existsSync(link)) await new Promise((resolve) => setTimeout(resolve, 20));
    const fd = openSync(link, 'r+');
    const start = performance.now();
    const child = spawn('chat', ['-t', '3', ...PING_SCRIPT], { stdio: [fd, fd, 'ignore'] });
    const code = await new Promise((resolve) => child.on('close', resolve));
    const ms = performance.now() - start;
    closeSync(fd);
    return code === 0 ? ms : undefined;
  } finally {
    if (socat.pid !== undefined && socat.exitCode === null) socat.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A private redis-server (Debian redis-server) on a free loopback port, no
 * persistence, killed by its PID; undefined when it is not installed.
 */
async function privateRedis(): Promise<{ port: number; stop: () => void } | undefined> {
  if (spawnSync('sh', ['-c', 'command -v redis-server']).status !== 0) return undefined;
  const probe = await new Promise<Server>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
  const port = portOf(probe);
  await new Promise((resolve) => probe.close(resolve));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const child = spawn('redis-server', args, { cwd: tmpdir(), stdio: 'ignore' });
  const stop = () => {
    if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
  };
  for (let attempt = 0; attempt < 100; attempt++) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (up) return { port, stop };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  stop();
  return undefined;
}

/** A login server in a child process, so the 1000 clients do not share its event loop. */
async function loginServerProcess(): Promise<{ port: number; stop: () => void }> {
  const source = `
    const net = require('node:net');
    const server = net.createServer((s) => {
      s.on('error', () => {});
      let stage = 0, buf = '';
      s.write('login: ');
      s.on('data', (c) => {
        buf += c.toString('latin1');
        for (let at = buf.indexOf('\\r'); at >= 0; at = buf.indexOf('\\r')) {
          buf = buf.slice(at + 1);
          stage++;
          s.write(stage === 1 ? '\\r\\nPassword: ' : '\\r\\nWelcome\\r\\n$ ');
        }
      });
    });
    server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
  `;
  const child = spawn(process.execPath, ['-e', source], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) =>
    child.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))),
  );
  return { port, stop: () => child.kill('SIGTERM') };
}

async function thousandLogins(count: number) {
  const server = await loginServerProcess();
  try {
    globalThis.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const start = performance.now();
    const ports = await Promise.all(
      Array.from({ length: count }, async () => {
        const port = new Port(await openTcp('127.0.0.1', server.port), { clock: systemClock });
        const result = await runChat(
          port,
          parseChatArgs(['ogin:', 'ppp', 'ssword:', 'secret', '$ ', '']),
          {
            clock: systemClock,
            pacing: 'fast',
            timeoutSeconds: 10,
            output: quiet,
          },
        );
        if (result.exitCode !== 0) throw new Error(`login exited ${result.exitCode}`);
        return port;
      }),
    );
    const ms = performance.now() - start;
    globalThis.gc?.();
    const perPort = (process.memoryUsage().heapUsed - heapBefore) / count;
    for (const port of ports) port.close();
    return { ms, perPort };
  } finally {
    server.stop();
  }
}

const server = await lineServer();
try {
  const { ours, theirs } = await roundTrips(server, 2000);
  process.stdout.write(
    `round trip to a match, loopback: netrx send+expect p50 ${percentile(ours, 0.5).toFixed(0)} µs, ` +
      `p99 ${percentile(ours, 0.99).toFixed(0)} µs; node:net p50 ${percentile(theirs, 0.5).toFixed(0)} µs, ` +
      `p99 ${percentile(theirs, 0.99).toFixed(0)} µs\n`,
  );
  const redis = await privateRedis();
  const targets: [string, number][] = [['line server', portOf(server)]];
  if (redis !== undefined) targets.push(['redis-server', redis.port]);
  else process.stdout.write('redis-server not installed: PING/PONG against the line server only\n');
  try {
    for (const [name, tcpPort] of targets) {
      const pings = await pingPong(tcpPort);
      const chatMs = await realChatPingPong(tcpPort);
      process.stdout.write(
        `20 PING/PONG rounds (${name}): netrx chat --fast median ${percentile(pings, 0.5).toFixed(1)} ms ` +
          `(min ${percentile(pings, 0).toFixed(1)}); chat ${chatMs === undefined ? 'not installed' : `${chatMs.toFixed(0)} ms`}\n`,
      );
    }
  } finally {
    redis?.stop();
  }
} finally {
  server.close();
}
const logins = await thousandLogins(1000);
process.stdout.write(
  `1000 concurrent logins: ${logins.ms.toFixed(0)} ms, heap per logged-in port ${(logins.perPort / 1024).toFixed(1)} KiB\n`,
);
