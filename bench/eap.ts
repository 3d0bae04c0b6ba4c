/**
 * EAP over RADIUS on loopback (issue 10, "bench/eap"): authentications per
 * second of the netrx RADIUS server against FreeRADIUS 3.2 on the same
 * machine, each its own process, driven by the same load generators:
 *
 * 1. `radeapclient -p 64` (freeradius-utils) doing EAP-MD5;
 * 2. netrx's own generator (the netrx EAP peer in `RadiusEapClient`, one UDP
 *    socket per concurrent conversation) doing EAP-MD5 and EAP-MSCHAPv2.
 *
 * FreeRADIUS is the stock Debian configuration as a private unprivileged
 * instance on a random loopback port (test/interop/support/freeradius.ts),
 * run as `freeradius -f -l stdout` (no debug log). netrx is
 * bench/support/eap-server.ts (`netrx radius serve`'s options). Rounds
 * alternate the two servers; for each case the median of the rounds is
 * printed: auths/s, ours/theirs ratio, server CPU per authentication (procfs
 * utime+stime), p99 latency (own generator), and memory (RSS of both
 * servers before and after; netrx heap after a GC). Settings:
 * EAP_BENCH_AUTHS (20000), EAP_BENCH_ROUNDS (3), EAP_BENCH_PARALLEL (64),
 * EAP_BENCH_CPU_PROF=DIR (runs the netrx server under node --cpu-prof).
 * Nothing fails on speed; a missing FreeRADIUS fails at once, clearly.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createMd5Method, createMschapV2Method, type EapMethod } from '../src/eap/index.js';
import { nodeCrypto, systemClock } from '../src/node/runtime/index.js';
import { RadiusEapClient } from '../src/radius/index.js';
import {
  freeradiusVersion,
  hasStockFreeradiusConfig,
  startFreeradius,
} from '../test/interop/support/freeradius.js';
import { stopped, type Watched } from '../test/interop/support/processes.js';

const SECRET = 'bench-eap-secret';
const USER = { name: 'bob', password: 'hello' };
const AUTHS = Number(process.env['EAP_BENCH_AUTHS'] ?? 20_000);
const ROUNDS = Number(process.env['EAP_BENCH_ROUNDS'] ?? 3);
const PARALLEL = Number(process.env['EAP_BENCH_PARALLEL'] ?? 64);
const CPU_PROF = process.env['EAP_BENCH_CPU_PROF'];
const TICK_MS =
  1000 / Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout || 100);

function fail(message: string): never {
  process.stderr.write(`bench eap: ${message}\n`);
  process.exit(1);
}

function has(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

// ---- the servers -------------------------------------------------------------------------

interface Server {
  readonly name: string;
  readonly pid: number;
  readonly port: number;
  /** Heap after a GC, netrx only. */
  heap(): Promise<number | undefined>;
}

function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS; // utime, stime (fields 14, 15)
}

function rssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0) * 1024;
}

const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL'); // by PID
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));

async function startNetrx(): Promise<Server & { stop(): Promise<void> }> {
  const script = join(import.meta.dirname, 'support', 'eap-server.js');
  const args = ['--expose-gc', ...(CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', CPU_PROF] : [])];
  const child = spawn(
    process.execPath,
    [...args, script, SECRET, `${USER.name}:${USER.password}`],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  children.push(child);
  const lines = createInterface({ input: child.stdout });
  const queue: ((line: string) => void)[] = [];
  lines.on('line', (line) => queue.shift()?.(line));
  const next = (ms: number) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('netrx server: no answer')), ms);
      queue.push((line) => {
        clearTimeout(timer);
        resolve(line);
      });
    });
  const ready = /^ready (\d+)$/.exec(await next(15_000));
  if (ready === null || child.pid === undefined) throw new Error('netrx server did not start');
  return {
    name: 'netrx',
    pid: child.pid,
    port: Number(ready[1]),
    heap: async () => {
      child.stdin.write('mem\n');
      return (JSON.parse(await next(5_000)) as { heapUsed: number }).heapUsed;
    },
    stop: async () => {
      const exited = new Promise((resolve) => child.once('close', resolve));
      child.stdin.end(); // a clean exit, so --cpu-prof writes its profile
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function startTheirs(dir: string): Promise<Server & { watched: Watched }> {
  const started = await startFreeradius(dir, { secret: SECRET, users: [USER] }, [
    '-f',
    '-l',
    'stdout',
  ]);
  const pid = started.server.child.pid;
  if (pid === undefined) throw new Error('FreeRADIUS has no PID');
  children.push(started.server.child);
  return {
    name: 'FreeRADIUS',
    pid,
    port: started.port,
    watched: started.server,
    heap: () => Promise.resolve(undefined),
  };
}

// ---- the load generators -----------------------------------------------------------------

interface Run {
  readonly auths: number;
  readonly ok: number;
  readonly seconds: number;
  readonly serverCpuMs: number;
  readonly p99Ms: number | undefined;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

const radeapInputs = new Map<number, string>();
function radeapFile(dir: string, count: number): string {
  const known = radeapInputs.get(count);
  if (known !== undefined) return known;
  const block =
    `User-Name = "${USER.name}", Cleartext-Password = "${USER.password}", EAP-Code = Response, ` +
    `EAP-Id = 210, EAP-Type-Identity = "${USER.name}", Message-Authenticator = 0x00\n\n`;
  const file = join(dir, `radeapclient-${count}.txt`);
  writeFileSync(file, block.repeat(count));
  radeapInputs.set(count, file);
  return file;
}

/** `radeapclient -p PARALLEL -s -f FILE 127.0.0.1:PORT auth SECRET`, timed around the process. */
async function radeapclient(server: Server, dir: string, count: number): Promise<Run> {
  const args = [
    ...[
      '-4',
      '-p',
      String(PARALLEL),
      '-r',
      '3',
      '-t',
      '2',
      '-s',
      '-q',
      '-f',
      radeapFile(dir, count),
    ],
    ...[`127.0.0.1:${server.port}`, 'auth', SECRET],
  ];
  const cpu = cpuMs(server.pid);
  const start = process.hrtime.bigint();
  const child = spawn('radeapclient', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let text = '';
  child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const code = await new Promise((resolve) => child.once('close', (c, s) => resolve(c ?? s)));
  clearTimeout(timer);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const serverCpuMs = cpuMs(server.pid) - cpu;
  const ok = Number(
    /accepted\s*:\s*(\d+)/i.exec(text)?.[1] ?? /approved[^\d]*(\d+)/i.exec(text)?.[1] ?? NaN,
  );
  if (code !== 0 || !(ok >= 0))
    throw new Error(`radeapclient against ${server.name} (exit ${String(code)}):\n${text}`);
  return { auths: count, ok, seconds, serverCpuMs, p99Ms: undefined };
}

/** PARALLEL lanes, each a UDP socket running one `RadiusEapClient` conversation after another. */
async function ownGenerator(
  server: Server,
  methods: readonly EapMethod[],
  count: number,
): Promise<Run> {
  const sockets: Socket[] = [];
  for (let i = 0; i < PARALLEL; i++) {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    socket.on('error', () => {});
    sockets.push(socket);
  }
  const to = { address: '127.0.0.1', port: server.port, secret: SECRET };
  const latencies: number[] = [];
  let started = 0;
  let ok = 0;
  let finished = 0;
  const cpu = cpuMs(server.pid);
  const start = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) => {
    let last = finished;
    const watchdog = setInterval(() => {
      if (finished === last) {
        clearInterval(watchdog);
        reject(new Error(`own generator against ${server.name}: no progress in 10 s`));
      }
      last = finished;
    }, 10_000);
    const lane = (socket: Socket) => {
      if (started >= count) return;
      started++;
      const t0 = performance.now();
      const client = new RadiusEapClient({
        clock: systemClock,
        crypto: nodeCrypto,
        servers: [to],
        methods,
        identity: USER.name,
        password: USER.password,
        send: (datagram, peer) => socket.send(datagram, peer.port, peer.address),
        onResult: (result) => {
          latencies.push(performance.now() - t0);
          if (result.outcome === 'success') ok++;
          finished++;
          if (finished === count) {
            clearInterval(watchdog);
            resolve();
          } else setImmediate(() => lane(socket));
        },
      });
      socket.removeAllListeners('message');
      socket.on('message', (message: Buffer, rinfo) =>
        client.receive(new Uint8Array(message.buffer, message.byteOffset, message.byteLength), {
          address: rinfo.address,
          port: rinfo.port,
        }),
      );
      client.start();
    };
    for (const socket of sockets) lane(socket);
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const serverCpuMs = cpuMs(server.pid) - cpu;
  await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return { auths: count, ok, seconds, serverCpuMs, p99Ms: percentile(latencies, 0.99) };
}

// ---- the run -----------------------------------------------------------------------------

const missing = [
  ['freeradius', has('freeradius'), 'apt-get install freeradius'],
  ['radeapclient', has('radeapclient'), 'apt-get install freeradius-utils'],
  [
    '/etc/freeradius/3.0/radiusd.conf',
    hasStockFreeradiusConfig(),
    'apt-get install freeradius (and run as root)',
  ],
] as const;
const absent = missing.filter(([, ok]) => !ok).map(([name, , hint]) => `${name} (${hint})`);
if (absent.length > 0) fail(`FreeRADIUS anchor missing: ${absent.join(', ')}`);

const dir = mkdtempSync(join(tmpdir(), 'netrx-bench-eap-')); // 0700
let ours: Awaited<ReturnType<typeof startNetrx>> | undefined;
let theirs: Awaited<ReturnType<typeof startTheirs>> | undefined;
try {
  ours = await startNetrx();
  theirs = await startTheirs(dir);
  const servers = [ours, theirs] as const;
  const version = /FreeRADIUS Version [^\s,]+/.exec(
    spawnSync('freeradius', ['-v'], { encoding: 'utf8' }).stdout,
  )?.[0];
  process.stdout.write(
    `netrx (Node ${process.version}) vs ${version ?? 'FreeRADIUS'} (Debian ${freeradiusVersion()}), ` +
      `${AUTHS} auths per run, ${PARALLEL} in parallel, ${ROUNDS} rounds, load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}\n`,
  );
  const rssBefore = servers.map((s) => rssBytes(s.pid));
  const heapBefore = await ours.heap();

  const md5 = [createMd5Method({ crypto: nodeCrypto })];
  const mschapv2 = [createMschapV2Method({ crypto: nodeCrypto })];
  const cases: { name: string; run: (server: Server, count: number) => Promise<Run> }[] = [
    { name: 'EAP-MD5, radeapclient -p N', run: (s, n) => radeapclient(s, dir, n) },
    { name: 'EAP-MD5, netrx generator', run: (s, n) => ownGenerator(s, md5, n) },
    { name: 'EAP-MSCHAPv2, netrx generator', run: (s, n) => ownGenerator(s, mschapv2, n) },
  ];
  // Warm-up: one short pass of each case on each server (JIT, FreeRADIUS thread pool).
  for (const c of cases) for (const s of servers) await c.run(s, Math.ceil(AUTHS / 10));

  const results = cases.map(() => servers.map(() => [] as Run[]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, c] of cases.entries()) {
      const order = round % 2 === 0 ? [0, 1] : [1, 0];
      for (const j of order) {
        const server = servers[j] as Server;
        const run = await c.run(server, AUTHS);
        if (run.ok !== run.auths)
          process.stderr.write(`  ${c.name} / ${server.name}: ${run.auths - run.ok} failed\n`);
        results[i]?.[j]?.push(run);
      }
    }
  }
  const median = (runs: Run[], key: (r: Run) => number) => percentile(runs.map(key), 0.5);
  process.stdout.write(
    `${'case'.padEnd(32)} ${'netrx'.padStart(10)} ${'FreeRADIUS'.padStart(10)}  ratio  ` +
      `server CPU/auth netrx vs FR   p99 netrx vs FR\n`,
  );
  for (const [i, c] of cases.entries()) {
    const [a = [], b = []] = results[i] ?? [];
    const rate = (runs: Run[]) => median(runs, (r) => r.ok / r.seconds);
    const cpu = (runs: Run[]) => median(runs, (r) => (r.serverCpuMs * 1000) / r.auths);
    const p99 = (runs: Run[]) =>
      runs[0]?.p99Ms === undefined ? '   -' : `${median(runs, (r) => r.p99Ms ?? 0).toFixed(1)} ms`;
    process.stdout.write(
      `${c.name.padEnd(32)} ${`${rate(a).toFixed(0)}/s`.padStart(10)} ${`${rate(b).toFixed(0)}/s`.padStart(10)}  ` +
        `${(rate(a) / rate(b)).toFixed(2)}x  ${cpu(a).toFixed(0).padStart(6)} vs ${cpu(b).toFixed(0)} µs` +
        `          ${p99(a)} vs ${p99(b)}\n`,
    );
  }
  const rssAfter = servers.map((s) => rssBytes(s.pid));
  const heapAfter = await ours.heap();
  const mib = (n: number | undefined) =>
    n === undefined ? '-' : `${(n / 1048576).toFixed(1)} MiB`;
  for (const [j, s] of servers.entries())
    process.stdout.write(`${s.name} RSS ${mib(rssBefore[j])} before, ${mib(rssAfter[j])} after\n`);
  process.stdout.write(
    `netrx server heap (after GC) ${mib(heapBefore)} before, ${mib(heapAfter)} after\n`,
  );
  process.stdout.write(
    `load average after ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n`,
  );
} catch (error) {
  process.stderr.write(`bench eap: ${(error as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await ours?.stop();
  await stopped(theirs?.watched);
  rmSync(dir, { recursive: true, force: true });
}
