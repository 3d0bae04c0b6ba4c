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
 * printed: auths/s, ours/theirs ratio, server CPU per authentication (netrx:
 * its own `process.cpuUsage()`; FreeRADIUS: procfs utime+stime), p99 latency
 * (own generator), and memory (RSS of both servers before and after; netrx
 * heap after a GC). Each run also prints what makes it trustworthy or not:
 * the generator's own CPU as a share of the wall time (near 100 % means the
 * generator, not the server, set the pace), retransmissions (own generator:
 * datagrams sent beyond the requests; radeapclient/radclient: netrx's
 * received count beyond 2 per EAP-MD5 auth, 1 per PAP), netrx's drops by
 * reason, the kernel's receive-buffer drops on the server's socket
 * (/proc/net/udp), how long the server's threads were runnable but waiting
 * for a CPU (/proc/PID/task/TID/schedstat, summed over threads) and the load
 * average. On a shared machine the server CPU
 * per authentication is the steadier comparison; auths/s depends on how
 * much CPU the scheduler gives each server. A fourth case is PAP
 * (Access-Request with User-Password, no EAP) driven by `radclient -p N`.
 *
 * Issue 13 adds the TLS methods, both servers on the same RSA-2048 `netrx
 * certs demo --key rsa` certificates (FreeRADIUS's eap module pointed at
 * them, its stock TLS settings: TLS 1.2 only, no session cache) and driven
 * by the same client, the netrx peer (TLS 1.2, every authentication a full
 * handshake): PEAPv0/EAP-MSCHAPv2 and EAP-TLS (client certificate), each
 * closed-loop (auths/s, server CPU per auth) and paced at EAP_BENCH_RATE
 * (200/s) for EAP_BENCH_PACED_SECONDS (5 s): p50/p99 latency from each
 * conversation's scheduled start and the rate reached. The CPU of both
 * servers is procfs utime+stime of the server process (all threads); the
 * summary prints netrx/FreeRADIUS (issue 13's target: at most 0.8x).
 * EAP-TLS 1.3 is a third TLS case (the peer offers TLS 1.3 only; FreeRADIUS's
 * eap module gets `tls_max_version = "1.3"`, EAP_BENCH_FR_TLS_MAX=1.2 keeps
 * the stock 1.2). After each TLS run the protocol, cipher suite and key
 * exchange group the peer negotiated with that server are printed, so the
 * two servers are seen to do the same OpenSSL work.
 * Settings:
 * EAP_BENCH_AUTHS (20000), EAP_BENCH_TLS_AUTHS (1000, the TLS methods' closed-loop
 * runs), EAP_BENCH_ROUNDS (3), EAP_BENCH_PARALLEL (64),
 * EAP_BENCH_CPU_PROF=DIR (runs the netrx server under node --cpu-prof),
 * EAP_BENCH_ONLY=TEXT (only the cases whose name contains TEXT),
 * EAP_BENCH_WORKERS (1,2): the netrx servers to run, by worker-thread count
 * (`netrx radius serve --workers N`; CPU and run-queue figures cover all
 * the process's threads; the heap figure is the receiving thread's).
 * EAP_BENCH_NO_TICKETS=1, EAP_BENCH_SEMI_SPACE=MiB, EAP_BENCH_BASELINE=DIR: more netrx servers in the
 * same rounds (bench/support/eap-variants.ts); EAP_BENCH_FLOOR=1: the crypto
 * floor (bench/eap-floor.ts) printed at the end of the run.
 * Nothing fails on speed; a missing FreeRADIUS fails at once, clearly.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createMd5Method, createMschapV2Method } from '../src/eap/index.js';
import { writeDemoCertificates } from '../src/node/certs/index.js';
import { nodeCrypto } from '../src/node/runtime/index.js';
import {
  freeradiusVersion,
  hasStockFreeradiusConfig,
  startFreeradius,
} from '../test/interop/support/freeradius.js';
import { stopped, type Watched } from '../test/interop/support/processes.js';
import {
  closedLoop,
  freeradiusTool,
  inputFile,
  paced,
  percentile,
  type Generated,
  type LoadSettings,
} from './support/eap-load.js';
import { cpuMs, kernelDrops, rssBytes, runQueueMs, waitedMs } from './support/procfs.js';
import { tlsPeerMethods, type Negotiated } from './support/eap-tls-peer.js';
import { netrxVariants, printFloor, type NetrxVariant } from './support/eap-variants.js';

const SECRET = 'bench-eap-secret';
const USER = { name: 'bob', password: 'hello' };
const AUTHS = Number(process.env['EAP_BENCH_AUTHS'] ?? 20_000);
const TLS_AUTHS = Number(process.env['EAP_BENCH_TLS_AUTHS'] ?? 1000);
const RATE = Number(process.env['EAP_BENCH_RATE'] ?? 200);
const PACED_SECONDS = Number(process.env['EAP_BENCH_PACED_SECONDS'] ?? 5);
const ROUNDS = Number(process.env['EAP_BENCH_ROUNDS'] ?? 3);
const PARALLEL = Number(process.env['EAP_BENCH_PARALLEL'] ?? 64);
const CPU_PROF = process.env['EAP_BENCH_CPU_PROF'];
const ONLY = process.env['EAP_BENCH_ONLY'];
/** FreeRADIUS's eap module `tls_max_version` ("1.3" for the EAP-TLS 1.3 case; stock "1.2"). */
const FR_TLS_MAX: '1.2' | '1.3' = process.env['EAP_BENCH_FR_TLS_MAX'] === '1.2' ? '1.2' : '1.3';
const WORKERS = (process.env['EAP_BENCH_WORKERS'] ?? '1,2')
  .split(',')
  .map((w) => Number(w.trim()))
  .filter((w) => Number.isInteger(w) && w >= 1);

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
  /** CPU so far and, for netrx, its own counters. */
  counters(): Promise<ServerCounters>;
}

interface ServerCounters {
  readonly cpuMs: number;
  /** netrx only: datagrams received, drops by reason. */
  readonly received?: number;
  readonly dropped?: Readonly<Record<string, number>>;
}

const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL'); // by PID
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));

const OWN_SERVER = join(import.meta.dirname, 'support', 'eap-server.js');

async function startNetrx(
  workers: number,
  certs: string,
  variant?: NetrxVariant,
): Promise<Server & { stop(): Promise<void> }> {
  const script = variant?.script ?? OWN_SERVER;
  const args = [
    '--expose-gc',
    ...(variant?.nodeArgs ?? []),
    ...(CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', CPU_PROF] : []),
  ];
  const child = spawn(
    process.execPath,
    [...args, script, SECRET, `${USER.name}:${USER.password}`, String(workers), certs],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, ...variant?.env },
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
    name: variant?.name ?? (workers === 1 ? 'netrx' : `netrx-w${workers}`),
    pid: child.pid,
    port: Number(ready[1]),
    heap: async () => {
      child.stdin.write('mem\n');
      return (JSON.parse(await next(5_000)) as { heapUsed: number }).heapUsed;
    },
    counters: async () => {
      child.stdin.write('stats\n');
      const stats = JSON.parse(await next(5_000)) as {
        received: number;
        drops: Record<string, number>;
      };
      // procfs, as for FreeRADIUS (the server's own cpuUsage() agrees; one method for both).
      return { cpuMs: cpuMs(child.pid as number), received: stats.received, dropped: stats.drops };
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

async function startTheirs(dir: string, certs: string): Promise<Server & { watched: Watched }> {
  const tls = {
    certificate: join(certs, 'server.pem'),
    privateKey: join(certs, 'server-key.pem'),
    ca: join(certs, 'ca.pem'),
    // TLS 1.3 for the EAP-TLS 1.3 case; the 1.2 cases' peer offers 1.2 only.
    maxVersion: FR_TLS_MAX,
  };
  const started = await startFreeradius(dir, { secret: SECRET, users: [USER], tls }, [
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
    counters: () => Promise.resolve({ cpuMs: cpuMs(pid) }),
  };
}

// ---- the load generators -----------------------------------------------------------------

interface Run extends Generated {
  readonly auths: number;
  readonly seconds: number;
  readonly serverCpuMs: number;
  /** netrx only: datagrams received beyond the requests the exchange needs (MD5, MSCHAPv2, PAP). */
  readonly extraReceived: number | undefined;
  readonly drops: Readonly<Record<string, number>>;
  readonly kernelDrops: number;
  /** The server's threads' time waiting for a CPU (runnable, not running). */
  readonly serverWaitMs: number;
  readonly load: number;
}

interface Case {
  readonly name: string;
  /** Authentications per measured run (a tenth of it for the warm-up). */
  readonly count: number;
  run(server: Server, count: number): Promise<Run>;
}

function dropsBetween(
  before: Readonly<Record<string, number>> | undefined,
  after: Readonly<Record<string, number>> | undefined,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [reason, n] of Object.entries(after ?? {})) {
    const d = n - (before?.[reason] ?? 0);
    if (d > 0) out[reason] = d;
  }
  return out;
}

/**
 * Runs one generator against `server` for `count` authentications of
 * `packetsPerAuth` Access-Requests each, with the server's CPU, counters and
 * kernel drops taken around it.
 */
async function measured(
  server: Server,
  count: number,
  packetsPerAuth: number | undefined,
  generate: () => Promise<Generated>,
): Promise<Run> {
  const before = await server.counters();
  const kernelBefore = kernelDrops(server.port);
  const waitBefore = runQueueMs(server.pid);
  const start = process.hrtime.bigint();
  const generated = await generate();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const after = await server.counters();
  return {
    ...generated,
    auths: count,
    seconds,
    serverCpuMs: after.cpuMs - before.cpuMs,
    extraReceived:
      after.received === undefined || before.received === undefined || packetsPerAuth === undefined
        ? undefined
        : after.received - before.received - count * packetsPerAuth,
    drops: dropsBetween(before.dropped, after.dropped),
    kernelDrops: kernelDrops(server.port) - kernelBefore,
    serverWaitMs: waitedMs(server.pid, waitBefore),
    load: loadavg()[0] ?? 0,
  };
}

function runLine(name: string, server: Server, run: Run): string {
  const drops = Object.entries(run.drops)
    .map(([reason, n]) => `${reason}=${n}`)
    .join(',');
  return (
    `  ${name} / ${server.name}: ${run.ok}/${run.auths} ok in ${run.seconds.toFixed(2)} s ` +
    `(${(run.ok / run.seconds).toFixed(0)}/s), server CPU ${((run.serverCpuMs * 1000) / run.auths).toFixed(0)} µs/auth ` +
    `(${((100 * run.serverCpuMs) / 1000 / run.seconds).toFixed(0)} % of wall; waiting for a CPU ` +
    `${((100 * run.serverWaitMs) / 1000 / run.seconds).toFixed(0)} % of wall), generator CPU ` +
    `${((100 * run.generatorCpuMs) / 1000 / run.seconds).toFixed(0)} % of wall, ` +
    `retransmissions ${run.retransmissions ?? '-'}, extra received ${run.extraReceived ?? '-'}, ` +
    `drops {${drops}}, kernel drops ${run.kernelDrops}, ` +
    (run.p99Ms === undefined
      ? ''
      : `p50 ${(run.p50Ms ?? 0).toFixed(1)} ms, p99 ${run.p99Ms.toFixed(1)} ms, `) +
    (run.keyMismatches === undefined ? '' : `MPPE key mismatches ${run.keyMismatches}, `) +
    `load ${run.load.toFixed(2)}` +
    (run.firstFailure === undefined ? '' : ` (first failure: ${run.firstFailure})`) +
    '\n'
  );
}

// ---- the run -----------------------------------------------------------------------------

const missing = [
  ['freeradius', has('freeradius'), 'apt-get install freeradius'],
  ['radeapclient', has('radeapclient'), 'apt-get install freeradius-utils'],
  ['radclient', has('radclient'), 'apt-get install freeradius-utils'],
  [
    '/etc/freeradius/3.0/radiusd.conf',
    hasStockFreeradiusConfig(),
    'apt-get install freeradius (and run as root)',
  ],
] as const;
const absent = missing.filter(([, ok]) => !ok).map(([name, , hint]) => `${name} (${hint})`);
if (absent.length > 0) fail(`FreeRADIUS anchor missing: ${absent.join(', ')}`);

const dir = mkdtempSync(join(tmpdir(), 'netrx-bench-eap-')); // 0700
const ourServers: Awaited<ReturnType<typeof startNetrx>>[] = [];
let theirs: Awaited<ReturnType<typeof startTheirs>> | undefined;
try {
  // RSA-2048 like the research figures (FreeRADIUS 5.2/6.1 ms: "RSA-2048 both ways").
  const certs = join(dir, 'certs');
  await writeDemoCertificates(certs, { keyAlgorithm: 'rsa' });
  for (const w of WORKERS.length === 0 ? [1] : WORKERS) ourServers.push(await startNetrx(w, certs));
  for (const variant of netrxVariants(dir, OWN_SERVER))
    ourServers.push(await startNetrx(1, certs, variant));
  theirs = await startTheirs(dir, certs);
  const servers: Server[] = [...ourServers, theirs];
  const theirsAt = servers.length - 1;
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
  const heapBefore = await Promise.all(ourServers.map((o) => o.heap()));

  const load = (methods: LoadSettings['methods']): LoadSettings => ({
    secret: SECRET,
    user: USER,
    methods,
  });
  const md5 = load([createMd5Method({ crypto: nodeCrypto })]);
  const mschapv2 = load([createMschapV2Method({ crypto: nodeCrypto })]);
  // What each TLS run negotiated (protocol, cipher suite, key exchange group), printed per run.
  const negotiated: Negotiated = new Map();
  const peer = tlsPeerMethods(certs, negotiated);
  const peap = load([peer.peap]);
  const tls = load([peer.tls]);
  const tls13 = load([peer.tls13]);
  const tool = (name: 'radeapclient' | 'radclient', s: Server, file: string) =>
    freeradiusTool(name, s, file, { parallel: PARALLEL, secret: SECRET }, (c) => children.push(c));
  const allCases: Case[] = [
    {
      name: 'EAP-MD5, radeapclient -p N',
      count: AUTHS,
      run: (s, n) =>
        measured(s, n, 2, () => tool('radeapclient', s, inputFile(dir, USER, 'eap-md5', n))),
    },
    {
      name: 'EAP-MD5, netrx generator',
      count: AUTHS,
      run: (s, n) => measured(s, n, 2, () => closedLoop(s, md5, n, PARALLEL)),
    },
    {
      name: 'EAP-MSCHAPv2, netrx generator',
      count: AUTHS,
      run: (s, n) => measured(s, n, 4, () => closedLoop(s, mschapv2, n, PARALLEL)),
    },
    {
      name: 'PAP, radclient -p N',
      count: AUTHS,
      run: (s, n) => measured(s, n, 1, () => tool('radclient', s, inputFile(dir, USER, 'pap', n))),
    },
    {
      name: 'PEAP/MSCHAPv2 TLS 1.2, netrx peer',
      count: TLS_AUTHS,
      run: (s, n) => measured(s, n, undefined, () => closedLoop(s, peap, n, PARALLEL)),
    },
    {
      name: 'EAP-TLS 1.2, netrx peer',
      count: TLS_AUTHS,
      run: (s, n) => measured(s, n, undefined, () => closedLoop(s, tls, n, PARALLEL)),
    },
    {
      name: 'EAP-TLS 1.3, netrx peer',
      count: TLS_AUTHS,
      run: (s, n) => measured(s, n, undefined, () => closedLoop(s, tls13, n, PARALLEL)),
    },
    {
      name: `PEAP/MSCHAPv2 paced ${RATE}/s`,
      count: RATE * PACED_SECONDS,
      run: (s, n) => measured(s, n, undefined, () => paced(s, peap, n, RATE)),
    },
    {
      name: `EAP-TLS 1.2 paced ${RATE}/s`,
      count: RATE * PACED_SECONDS,
      run: (s, n) => measured(s, n, undefined, () => paced(s, tls, n, RATE)),
    },
    {
      name: `EAP-TLS 1.3 paced ${RATE}/s`,
      count: RATE * PACED_SECONDS,
      run: (s, n) => measured(s, n, undefined, () => paced(s, tls13, n, RATE)),
    },
  ];
  const cases = allCases.filter((c) => ONLY === undefined || c.name.includes(ONLY));
  // Warm-up: one short pass of each case on each server (JIT, FreeRADIUS thread pool).
  for (const c of cases) for (const s of servers) await c.run(s, Math.ceil(c.count / 10));
  negotiated.clear();

  const results = cases.map(() => servers.map(() => [] as Run[]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, c] of cases.entries()) {
      const order = servers.map((_, j) => j);
      if (round % 2 === 1) order.reverse();
      for (const j of order) {
        const server = servers[j] as Server;
        const run = await c.run(server, c.count);
        process.stdout.write(runLine(c.name, server, run));
        if (negotiated.size > 0) {
          const each = [...negotiated].map(([what, n]) => `${what} ×${n}`).join(', ');
          process.stdout.write(`    negotiated with ${server.name}: ${each}\n`);
          negotiated.clear();
        }
        if (run.ok !== run.auths)
          process.stderr.write(`  ${c.name} / ${server.name}: ${run.auths - run.ok} failed\n`);
        results[i]?.[j]?.push(run);
      }
    }
  }
  const median = (runs: Run[], key: (r: Run) => number) => percentile(runs.map(key), 0.5);
  // CPU ratio FR/netrx as in earlier figures (above 1: netrx costs less); issue 13's target is
  // stated the other way round (netrx/FR at most 0.8), so both are printed.
  process.stdout.write(
    `${'case'.padEnd(36)} ${'server'.padEnd(9)} ${'netrx'.padStart(10)} ${'FreeRADIUS'.padStart(10)}  ratio  ` +
      `server CPU/auth netrx vs FR  FR/netrx  netrx/FR  p99 netrx vs FR\n`,
  );
  for (const [i, c] of cases.entries())
    for (const [k, o] of ourServers.entries()) {
      const a = results[i]?.[k] ?? [];
      const b = results[i]?.[theirsAt] ?? [];
      const rate = (runs: Run[]) => median(runs, (r) => r.ok / r.seconds);
      const cpu = (runs: Run[]) => median(runs, (r) => (r.serverCpuMs * 1000) / r.auths);
      const p99 = (runs: Run[]) =>
        runs[0]?.p99Ms === undefined
          ? '   -'
          : `${median(runs, (r) => r.p99Ms ?? 0).toFixed(1)} ms`;
      process.stdout.write(
        `${c.name.padEnd(36)} ${o.name.padEnd(9)} ${`${rate(a).toFixed(0)}/s`.padStart(10)} ${`${rate(b).toFixed(0)}/s`.padStart(10)}  ` +
          `${(rate(a) / rate(b)).toFixed(2)}x  ${cpu(a).toFixed(0).padStart(6)} vs ${cpu(b).toFixed(0)} µs` +
          `      ${(cpu(b) / cpu(a)).toFixed(2)}x     ${(cpu(a) / cpu(b)).toFixed(2)}x   ${p99(a)} vs ${p99(b)}\n`,
      );
    }
  const rssAfter = servers.map((s) => rssBytes(s.pid));
  const heapAfter = await Promise.all(ourServers.map((o) => o.heap()));
  const mib = (n: number | undefined) =>
    n === undefined ? '-' : `${(n / 1048576).toFixed(1)} MiB`;
  for (const [j, s] of servers.entries())
    process.stdout.write(`${s.name} RSS ${mib(rssBefore[j])} before, ${mib(rssAfter[j])} after\n`);
  for (const [k, o] of ourServers.entries())
    process.stdout.write(
      `${o.name} server heap (after GC, receiving thread) ${mib(heapBefore[k])} before, ${mib(heapAfter[k])} after\n`,
    );
  process.stdout.write(
    `load average after ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n`,
  );
  printFloor();
} catch (error) {
  process.stderr.write(`bench eap: ${(error as Error).message}\n`);
  process.exitCode = 1;
} finally {
  for (const o of ourServers) await o.stop();
  await stopped(theirs?.watched);
  rmSync(dir, { recursive: true, force: true });
}
