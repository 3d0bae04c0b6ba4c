/**
 * The authentication half of bench/cluster (issue 16): EAP-MD5 and
 * EAP-MSCHAPv2 authentications per second through two netrx RADIUS servers
 * on loopback, each its own process (bench/support/eap-server.ts, the options
 * of `netrx radius serve`): one keeping conversation state in memory (no
 * NATS), one keeping it sealed in the cluster's JetStream KV bucket on the
 * bench's `nats-server -js` (as `--nats URL --state-key HEX`: every round
 * waits for its compare-and-set write before it is answered). Both are
 * driven by bench/eap's own generator (eap-load.ts, the netrx peer): closed
 * loop with PARALLEL lanes (auths/s), and paced at a fixed rate (latency at
 * a load both sustain, counted from each conversation's scheduled start).
 * The same again through a UDP round-robin relay (udp-round-robin.ts): the
 * in-memory server alone behind it (the relay's own cost), against three
 * KV servers of one cluster taking turns round by round, so every later
 * round is read from the bucket by a server that did not write it.
 * Runs interleave the setups, reversing the order every round; the
 * summary is the median of the rounds: auths/s, the ratio KV / in-memory,
 * p50/p99, the RADIUS server's CPU per authentication (its own
 * `process.cpuUsage()`), nats-server's CPU per authentication (procfs: the
 * KV's cost lands there too), memory, and the load average with every line.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createMd5Method, createMschapV2Method } from '../../src/eap/index.js';
import { nodeCrypto } from '../../src/node/runtime/index.js';
import type { SharedConversationStats } from '../../src/radius/index.js';
import { startRoundRobinRelay, type RoundRobinRelay } from './udp-round-robin.js';
import { closedLoop, paced, percentile, type Generated, type LoadSettings } from './eap-load.js';

export interface AuthBenchOptions {
  readonly natsUrl: string;
  /** nats-server's PID, for its CPU time (procfs). */
  readonly natsPid: number;
  /** Authentications per closed-loop run. */
  readonly auths: number;
  readonly parallel: number;
  /** The paced run's rate (auths/s) and length (s). */
  readonly rate: number;
  readonly pacedSeconds: number;
  readonly rounds: number;
}

const SECRET = 'bench-cluster-secret';
const USER = { name: 'bob', password: 'hello' };
const TICK_MS =
  1000 / Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout || 100);

interface ServerStats {
  readonly cpuMicros: number;
  readonly rss: number;
  readonly heapUsed: number;
  readonly received: number;
  readonly cluster?: {
    readonly forwarded: number;
    readonly restored: number;
    readonly shared?: SharedConversationStats;
  };
}

interface BenchServer {
  readonly name: string;
  readonly port: number;
  stats(): Promise<ServerStats>;
  /** As stats(), after a GC. */
  memory(): Promise<ServerStats>;
  stop(): Promise<void>;
}

/** A server: in memory, or server `kv.serverId` of cluster `bench` with its state in KV. */
async function startServer(
  name: string,
  natsUrl: string,
  kv?: { readonly serverId: string; readonly stateKeyHex: string },
): Promise<BenchServer> {
  const env =
    kv === undefined
      ? process.env
      : {
          ...process.env,
          NETRX_BENCH_NATS: natsUrl,
          NETRX_BENCH_STATE_KEY: kv.stateKeyHex,
          NETRX_BENCH_SERVER_ID: kv.serverId,
        };
  const child: ChildProcess = spawn(
    process.execPath,
    [
      ...(process.env['NETRX_BENCH_SERVER_NODE_ARGS']?.split(' ').filter(Boolean) ?? []),
      '--expose-gc',
      join(import.meta.dirname, 'eap-server.js'),
      SECRET,
      'bob:hello',
      '1',
    ],
    { stdio: ['pipe', 'pipe', 'inherit'], env },
  );
  if (child.stdin === null || child.stdout === null) throw new Error('no pipes to the server');
  const stdin = child.stdin;
  const queue: ((line: string) => void)[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => queue.shift()?.(line));
  const next = (ms: number) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} server: no answer`)), ms);
      queue.push((line) => {
        clearTimeout(timer);
        resolve(line);
      });
    });
  const ready = /^ready (\d+)$/.exec(await next(15_000));
  if (ready === null) {
    child.kill('SIGKILL'); // by PID
    throw new Error(`${name} server did not start`);
  }
  const ask = async (command: 'stats' | 'mem') => {
    stdin.write(`${command}\n`);
    return JSON.parse(await next(5_000)) as ServerStats;
  };
  return {
    name,
    port: Number(ready[1]),
    stats: () => ask('stats'),
    memory: () => ask('mem'),
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('close', resolve));
      stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** utime + stime of `pid` so far, in ms (procfs, fields 14 and 15). */
function procCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

function procRss(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0) * 1024;
}

interface Run extends Generated {
  readonly auths: number;
  readonly seconds: number;
  /** Summed over the setup's servers. */
  readonly serverCpuUsPerAuth: number;
  readonly natsCpuUsPerAuth: number;
  readonly kvStored: number;
  readonly kvLoaded: number;
  readonly kvFailed: number;
  readonly forwarded: number;
  readonly load: number;
}

/** What the generator talks to: a server, or the relay in front of some. */
interface Setup {
  readonly name: string;
  readonly port: number;
  readonly servers: readonly BenchServer[];
}

interface Case {
  readonly name: string;
  readonly count: number;
  generate(target: Setup, count: number): Promise<Generated>;
}

/** The setup's servers' counters, summed. */
async function summed(setup: Setup) {
  const all = await Promise.all(setup.servers.map((s) => s.stats()));
  const sum = (f: (s: ServerStats) => number | undefined) =>
    all.reduce((n, s) => n + (f(s) ?? 0), 0);
  const shared = (key: keyof SharedConversationStats) => sum((s) => s.cluster?.shared?.[key]);
  return {
    cpuMicros: sum((s) => s.cpuMicros),
    forwarded: sum((s) => s.cluster?.forwarded),
    stored: shared('stored'),
    loaded: shared('loaded'),
    failed: shared('writeFailed') + shared('readFailed') + shared('conflicts') + shared('refused'),
  };
}

async function measured(
  setup: Setup,
  natsPid: number,
  count: number,
  generate: () => Promise<Generated>,
): Promise<Run> {
  const before = await summed(setup);
  const natsBefore = procCpuMs(natsPid);
  const start = process.hrtime.bigint();
  const generated = await generate();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const natsMs = procCpuMs(natsPid) - natsBefore;
  const after = await summed(setup);
  return {
    ...generated,
    auths: count,
    seconds,
    serverCpuUsPerAuth: (after.cpuMicros - before.cpuMicros) / count,
    natsCpuUsPerAuth: (natsMs * 1000) / count,
    kvStored: after.stored - before.stored,
    kvLoaded: after.loaded - before.loaded,
    kvFailed: after.failed - before.failed,
    forwarded: after.forwarded - before.forwarded,
    load: loadavg()[0] ?? 0,
  };
}

function runLine(c: Case, server: Setup, run: Run): string {
  return (
    `  ${c.name} / ${server.name}: ${run.ok}/${run.auths} ok in ${run.seconds.toFixed(2)} s ` +
    `(${(run.ok / run.seconds).toFixed(0)}/s), p50 ${(run.p50Ms ?? 0).toFixed(1)} ms, ` +
    `p99 ${(run.p99Ms ?? 0).toFixed(1)} ms, server CPU ${run.serverCpuUsPerAuth.toFixed(0)} µs/auth, ` +
    `nats-server CPU ${run.natsCpuUsPerAuth.toFixed(0)} µs/auth, generator CPU ` +
    `${((100 * run.generatorCpuMs) / 1000 / run.seconds).toFixed(0)} % of wall, ` +
    `retransmissions ${run.retransmissions ?? '-'}, KV writes ${run.kvStored}, reads ` +
    `${run.kvLoaded} (refused or failed ${run.kvFailed}), forwarded ${run.forwarded}, load ${run.load.toFixed(2)}` +
    (run.firstFailure === undefined ? '' : ` (first failure: ${run.firstFailure})`)
  );
}

const loadText = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

/** Runs the authentication bench; false when an authentication failed. */
export async function authBench(options: AuthBenchOptions): Promise<boolean> {
  const settings = (methods: LoadSettings['methods']): LoadSettings => ({
    secret: SECRET,
    user: USER,
    methods,
  });
  const md5 = settings([createMd5Method({ crypto: nodeCrypto })]);
  const mschapv2 = settings([createMschapV2Method({ crypto: nodeCrypto })]);
  const cases: Case[] = [
    {
      name: 'EAP-MD5 closed loop',
      count: options.auths,
      generate: (s, n) => closedLoop(s, md5, n, options.parallel),
    },
    {
      name: 'EAP-MSCHAPv2 closed loop',
      count: options.auths,
      generate: (s, n) => closedLoop(s, mschapv2, n, options.parallel),
    },
    {
      name: `EAP-MSCHAPv2 paced ${options.rate}/s`,
      count: options.rate * options.pacedSeconds,
      generate: (s, n) => paced(s, mschapv2, n, options.rate),
    },
  ];
  const stateKeyHex = randomBytes(32).toString('hex'); // one key for the whole cluster
  const servers: BenchServer[] = [];
  const relays: RoundRobinRelay[] = [];
  let allOk = true;
  try {
    servers.push(await startServer('in-memory', options.natsUrl));
    for (const serverId of ['s1', 's2', 's3'])
      servers.push(await startServer(`KV ${serverId}`, options.natsUrl, { serverId, stateKeyHex }));
    const [memory, kv1, kv2, kv3] = servers as [BenchServer, BenchServer, BenchServer, BenchServer];
    const alone = await startRoundRobinRelay([memory.port]);
    relays.push(alone);
    const spread = await startRoundRobinRelay([kv1.port, kv2.port, kv3.port]);
    relays.push(spread);
    // Pairs: [in-memory, KV] direct, then [in-memory, KV] through the relay.
    const setups: Setup[] = [
      { name: 'in-memory', port: memory.port, servers: [memory] },
      { name: 'KV', port: kv1.port, servers: [kv1] },
      { name: 'in-memory via relay', port: alone.port, servers: [memory] },
      { name: 'KV round robin ×3', port: spread.port, servers: [kv1, kv2, kv3] },
    ];
    console.log(
      `auth: ${options.auths} auths per closed-loop run (${options.parallel} in parallel), paced ` +
        `${options.rate}/s for ${options.pacedSeconds} s, ${options.rounds} rounds alternating ` +
        `the four setups, load average ${loadText()}`,
    );
    const rssBefore: number[] = [];
    for (const s of servers) rssBefore.push((await s.memory()).rss);
    const natsRssBefore = procRss(options.natsPid);
    // Warm-up (JIT, the bucket's first writes): a tenth of each case on each server.
    for (const c of cases)
      for (const s of setups)
        await measured(s, options.natsPid, Math.ceil(c.count / 10), () =>
          c.generate(s, Math.ceil(c.count / 10)),
        );
    const results = cases.map(() => setups.map(() => [] as Run[]));
    for (let round = 0; round < options.rounds; round++) {
      for (const [i, c] of cases.entries()) {
        const order = setups.map((_, j) => j);
        if (round % 2 === 1) order.reverse();
        for (const j of order) {
          const server = setups[j] as Setup;
          const run = await measured(server, options.natsPid, c.count, () =>
            c.generate(server, c.count),
          );
          console.log(runLine(c, server, run));
          if (run.ok !== run.auths) {
            allOk = false;
            console.log(`  FAIL: ${c.name} / ${server.name}: ${run.auths - run.ok} failed`);
          }
          results[i]?.[j]?.push(run);
        }
      }
    }
    const median = (runs: Run[], key: (r: Run) => number) => percentile(runs.map(key), 0.5);
    console.log('  medians (in-memory → KV, ratio KV / in-memory):');
    for (const [i, c] of cases.entries())
      for (const pair of [0, 2]) {
        const mem = results[i]?.[pair] ?? [];
        const kv = results[i]?.[pair + 1] ?? [];
        const both = (key: (r: Run) => number, digits: number, unit: string) => {
          const a = median(mem, key);
          const b = median(kv, key);
          return `${a.toFixed(digits)} → ${b.toFixed(digits)} ${unit} (${(b / a).toFixed(2)}x)`;
        };
        console.log(
          `  ${c.name}, ${setups[pair]?.name} → ${setups[pair + 1]?.name}: auths/s ${both((r) => r.ok / r.seconds, 0, '/s')}; ` +
            `p50 ${both((r) => r.p50Ms ?? 0, 1, 'ms')}; p99 ${both((r) => r.p99Ms ?? 0, 1, 'ms')}; ` +
            `server CPU ${both((r) => r.serverCpuUsPerAuth, 0, 'µs/auth')}; ` +
            `nats-server CPU ${median(mem, (r) => r.natsCpuUsPerAuth).toFixed(0)} → ` +
            `${median(kv, (r) => r.natsCpuUsPerAuth).toFixed(0)} µs/auth`,
        );
      }
    for (const [j, s] of servers.entries()) {
      const after = await s.memory();
      console.log(
        `  ${s.name} server: RSS ${mib(rssBefore[j] ?? 0)} before, ${mib(after.rss)} after; ` +
          `heap after GC ${mib(after.heapUsed)}`,
      );
    }
    console.log(
      `  nats-server RSS ${mib(natsRssBefore)} before, ${mib(procRss(options.natsPid))} after; ` +
        `load average after ${loadText()}`,
    );
  } finally {
    for (const r of relays) await r.close();
    for (const s of servers) await s.stop();
  }
  return allOk;
}
