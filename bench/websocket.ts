/**
 * WebSocket benchmarks: netrx's Node WebSocket (src/node/websocket) against
 * the `ws` package with bufferutil, in the same run.
 *
 *   npm run bench -- websocket
 *
 * Method (docs/performance.md, research brief section 5): every run starts
 * a fresh echo server process and a fresh client process, pinned to CPU 0
 * and CPU 1 when `taskset` exists (this parent only orchestrates). The
 * client keeps a fixed number of messages in flight (a new one for every
 * echo), warms up for 1 s, then counts the echoes it receives for
 * WS_BENCH_SECONDS (default 2). Stacks alternate run by run, WS_BENCH_REPS
 * (default 3) times; the table shows medians.
 *
 * Each throughput case runs three pairings:
 * - netrx server + netrx client against ws server + ws client (the stacks);
 * - netrx server + ws client against the same ws/ws runs (the server alone).
 *
 * Cases:
 * 1. echo of 16 B and 1 KiB binary messages, 256 in flight (msg/s);
 * 2. 1 MiB binary ping-pong (MB/s of echoes received, one way);
 * 3. permessage-deflate on both sides: 1 KiB JSON-like text, 256 in flight,
 *    and 1 MiB of the same text, ping-pong;
 * 3b. 1 MiB binary echo with the lean client (bench/support/lean-ws-client.ts:
 *    pre-built masked frames written in batches, echoes counted by header
 *    only), 1 connection x 2 in flight and 4 connections x 2 in flight,
 *    netrx server against ws server: the servers' cost with a client that
 *    costs almost nothing (the ws client hides it);
 * 4. memory per idle connection: WS_BENCH_CONNS (default 10,000) ws-client
 *    connections, held by two other processes, to a fresh server process per
 *    stack; the growth of the server's RSS and heapUsed after gc, divided by
 *    the connections (200 connections are opened first and stay open, so
 *    one-time costs are not counted); then every one of those connections
 *    echoes one 16 KiB message and goes idle again, and the growth is taken
 *    once more (what an idle connection keeps after traffic).
 *
 * 5. `WS_BENCH_MODE=server-cpu`: instead of the cases above, the server's
 *    user and system CPU time per MiB echoed to the lean client (1 and 4
 *    connections x 2 in flight of 1 MiB), for netrx, netrx as a ws-style
 *    app, ws, and three floor servers that echo without framing
 *    (bench/support/floor-echo-server.ts), interleaved, 7 repetitions,
 *    medians and ranges: a figure that depends far less on the machine's
 *    load than throughput does. Its knobs are in
 *    bench/support/websocket-server-cpu.ts.
 *
 * Other knobs: WS_BENCH_ONLY=text runs the cases whose name contains it
 * ("memory" for case 4); WS_BENCH_CPU_PROF=dir runs every server and client
 * with --cpu-prof, writing the profiles there.
 *
 * The numbers are for docs/performance.md; nothing fails on speed. The
 * targets from the issue are printed next to them.
 *
 * This file is also the child processes: `websocket.js server KIND DEFLATE`,
 * `websocket.js client …` (STACK `lean` for the lean client) and
 * `websocket.js hold PORT COUNT`.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { canPin, Child, fail, type Command, type Report } from './support/websocket-child.js';
import {
  clientMain,
  holdMain,
  serverMain,
  WARMUP_MS,
  type ClientKind,
  type ServerKind,
  type Stack,
} from './support/websocket-roles.js';
import { serverCpuMode } from './support/websocket-server-cpu.js';

const SERVER_CPU = 0;
const CLIENT_CPU = 1;

const env = process.env;
function numberFromEnv(name: string, fallback: number): number {
  const value = Number(env[name]);
  return env[name] !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------
// Parent: throughput cases

interface Case {
  readonly name: string;
  readonly size: number;
  readonly inflight: number;
  readonly text: boolean;
  readonly deflate: boolean;
  readonly unit: 'msg/s' | 'MB/s';
  readonly target: number;
  /** Run with the lean client only (netrx server vs ws server), on this many connections. */
  readonly leanConnections?: number;
}

interface Pairing {
  readonly server: Stack;
  readonly client: ClientKind;
}

interface Run {
  readonly rate: number;
  readonly serverCpu: number;
  readonly clientCpu: number;
  readonly serverRss: number;
}

const SECONDS = numberFromEnv('WS_BENCH_SECONDS', 2);
const REPS = Math.round(numberFromEnv('WS_BENCH_REPS', 3));
const CONNS = Math.round(numberFromEnv('WS_BENCH_CONNS', 10_000));
const ONLY = env['WS_BENCH_ONLY'];
const PROFILE_DIR = env['WS_BENCH_CPU_PROF'];

const KiB = 1024;
const MiB = 1024 * 1024;
const cases: Case[] = [
  { name: 'echo 16 B binary, 256 in flight', size: 16, inflight: 256, text: false, deflate: false, unit: 'msg/s', target: 1.5 },
  { name: 'echo 1 KiB binary, 256 in flight', size: KiB, inflight: 256, text: false, deflate: false, unit: 'msg/s', target: 1.5 },
  { name: 'echo 1 MiB binary, ping-pong', size: MiB, inflight: 1, text: false, deflate: false, unit: 'MB/s', target: 1.2 },
  { name: 'deflate: echo 1 KiB JSON text, 256 in flight', size: KiB, inflight: 256, text: true, deflate: true, unit: 'msg/s', target: 1.5 },
  { name: 'deflate: echo 1 MiB JSON text, ping-pong', size: MiB, inflight: 1, text: true, deflate: true, unit: 'MB/s', target: 1.2 },
  { name: 'lean client: echo 1 MiB binary, 1 connection x 2 in flight', size: MiB, inflight: 2, text: false, deflate: false, unit: 'MB/s', target: 1.2, leanConnections: 1 },
  { name: 'lean client: echo 1 MiB binary, 4 connections x 2 in flight', size: MiB, inflight: 2, text: false, deflate: false, unit: 'MB/s', target: 1.2, leanConnections: 4 },
]; // prettier-ignore

const NN: Pairing = { server: 'netrx', client: 'netrx' };
const WW: Pairing = { server: 'ws', client: 'ws' };
const NW: Pairing = { server: 'netrx', client: 'ws' };
const NL: Pairing = { server: 'netrx', client: 'lean' };
const WL: Pairing = { server: 'ws', client: 'lean' };
const pairingName = (p: Pairing) => `${p.server} server + ${p.client} client`;

let runCounter = 0;
function profileArgs(role: string, stack: ClientKind, c: Case): string[] {
  if (PROFILE_DIR === undefined) return [];
  const tag = c.name.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '');
  return [
    '--cpu-prof',
    `--cpu-prof-dir=${PROFILE_DIR}`,
    `--cpu-prof-name=${String(++runCounter).padStart(3, '0')}-${tag}-${role}-${stack}.cpuprofile`,
  ];
}

async function runOnce(c: Case, pairing: Pairing): Promise<Run> {
  const server = new Child(
    ['server', pairing.server, c.deflate ? '1' : '0'],
    SERVER_CPU,
    profileArgs('server', pairing.server, c),
  );
  const client = new Child(
    [
      'client',
      pairing.client,
      String(c.size),
      String(c.inflight),
      c.text ? '1' : '0',
      c.deflate ? '1' : '0',
      String(SECONDS * 1000),
      String(c.leanConnections ?? 1),
    ],
    CLIENT_CPU,
    profileArgs('client', pairing.client, c),
  );
  try {
    const { port } = await server.next('ready');
    client.send({ type: 'connect', port });
    await client.next('window-start');
    const u0 = await server.usage();
    await client.next('window-end');
    const u1 = await server.usage();
    const result = await client.next('result');
    if (result.wrongSize > 0) {
      throw new Error(`${result.wrongSize} echoes came back with the wrong size`);
    }
    if (result.received === 0) throw new Error('no echoes in the counting window');
    const perSecond = result.received / result.seconds;
    return {
      rate: c.unit === 'MB/s' ? (perSecond * c.size) / 1e6 : perSecond,
      serverCpu: (u1.cpu - u0.cpu) / 1000 / (u1.at - u0.at),
      clientCpu: result.cpu,
      serverRss: u1.rss,
    };
  } finally {
    await Promise.all([client.stop(), server.stop()]);
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function formatRate(rate: number, unit: Case['unit']): string {
  if (!Number.isFinite(rate)) return 'failed';
  if (unit === 'MB/s') return `${rate.toFixed(0)} MB/s`;
  return rate >= 1e6 ? `${(rate / 1e6).toFixed(2)}M msg/s` : `${(rate / 1e3).toFixed(1)}k msg/s`;
}

/** Server CPU time per message (µs) or per MB (ms): the server's cost even when the client is the bottleneck. */
function cpuPerUnit(cpu: number, rate: number, unit: Case['unit']): string {
  return unit === 'MB/s'
    ? `${((cpu / rate) * 1e3).toFixed(1)} ms/MB`
    : `${((cpu / rate) * 1e6).toFixed(1)} µs/msg`;
}

const percent = (x: number) => `${(x * 100).toFixed(0)}%`;
const mib = (bytes: number) => `${(bytes / MiB).toFixed(0)} MiB`;

interface Row {
  readonly name: string;
  readonly ours: string;
  readonly theirs: string;
  readonly ratio: number;
  readonly target: string;
  readonly memory: string;
  readonly notes: string;
}

const rows: Row[] = [];
let errors = 0;

async function throughput(c: Case): Promise<void> {
  const lean = c.leanConnections !== undefined;
  const order = lean ? [NL, WL] : [NN, WW, NW];
  const runs = new Map<Pairing, Run[]>(order.map((p) => [p, []]));
  for (let rep = 0; rep < REPS; rep++) {
    // Rotate the order each repetition, so that no pairing always runs first.
    const turn = rep % order.length;
    const rotated = [...order.slice(turn), ...order.slice(0, turn)];
    for (const pairing of rotated) {
      try {
        const run = await runOnce(c, pairing);
        runs.get(pairing)!.push(run);
        process.stdout.write(
          `  ${c.name} [${rep + 1}/${REPS}] ${pairingName(pairing).padEnd(28)} ` +
            `${formatRate(run.rate, c.unit).padStart(14)}  server CPU ${percent(run.serverCpu).padStart(4)}` +
            `  client CPU ${percent(run.clientCpu).padStart(4)}  server RSS ${mib(run.serverRss)}\n`,
        );
      } catch (error) {
        errors++;
        process.stdout.write(
          `  ${c.name} [${rep + 1}/${REPS}] ${pairingName(pairing)} FAILED: ${String(error)}\n`,
        );
      }
    }
  }
  const summary = (p: Pairing) => {
    const r = runs.get(p)!;
    return {
      rate: median(r.map((x) => x.rate)),
      min: Math.min(...r.map((x) => x.rate)),
      max: Math.max(...r.map((x) => x.rate)),
      serverCpu: median(r.map((x) => x.serverCpu)),
      clientCpu: median(r.map((x) => x.clientCpu)),
      rss: median(r.map((x) => x.serverRss)),
    };
  };
  const ws = summary(lean ? WL : WW);
  const compared: readonly (readonly [Pairing, string])[] = lean
    ? [[NL, 'servers alone']]
    : [
        [NN, 'own clients'],
        [NW, 'ws client (servers alone)'],
      ];
  for (const [pairing, label] of compared) {
    const ours = summary(pairing);
    rows.push({
      name: `${c.name}, ${label}`,
      ours: formatRate(ours.rate, c.unit),
      theirs: formatRate(ws.rate, c.unit),
      ratio: ours.rate / ws.rate,
      target: `≥ ${c.target}x`,
      memory: `${mib(ours.rss)} / ${mib(ws.rss)}`,
      notes:
        `range ${formatRate(ours.min, c.unit)}–${formatRate(ours.max, c.unit)} vs ` +
        `${formatRate(ws.min, c.unit)}–${formatRate(ws.max, c.unit)}; server CPU ` +
        `${percent(ours.serverCpu)} vs ${percent(ws.serverCpu)} ` +
        `(${cpuPerUnit(ours.serverCpu, ours.rate, c.unit)} vs ${cpuPerUnit(ws.serverCpu, ws.rate, c.unit)}), ` +
        `client CPU ${percent(ours.clientCpu)} vs ${percent(ws.clientCpu)}`,
    });
  }
}

// ---------------------------------------------------------------------------
// Parent: memory per idle connection

/** Growth per connection, bytes. */
interface Growth {
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
}

interface MemoryResult {
  readonly connections: number;
  /** Fresh idle connections (handshake only). */
  readonly idle: Growth;
  /** The same connections, idle again after each echoed one message of ECHO_ONCE bytes. */
  readonly afterEcho: Growth;
}

const ECHO_ONCE = 16 * KiB;

type Usage = Extract<Report, { type: 'usage' }>;
function growth(before: Usage, after: Usage, connections: number): Growth {
  return {
    rss: (after.rss - before.rss) / connections,
    heapUsed: (after.heapUsed - before.heapUsed) / connections,
    external: (after.external - before.external) / connections,
  };
}

async function memoryOnce(stack: Stack): Promise<MemoryResult> {
  const server = new Child(['server', stack, '0'], SERVER_CPU);
  const holders: Child[] = [];
  try {
    const { port } = await server.next('ready');
    const hold = async (count: number): Promise<Child> => {
      const holder = new Child(['hold', String(port), String(count)], CLIENT_CPU);
      holders.push(holder);
      const held = await holder.next('held');
      if (held.failed > 0) {
        throw new Error(`${held.failed} of ${count} connections failed: ${held.firstError}`);
      }
      return holder;
    };
    await hold(200);
    const before = await server.usage('gc-usage');
    // Two holding processes, so that neither needs more than half the descriptors.
    const half = Math.ceil(CONNS / 2);
    const measured = await Promise.all([hold(half), hold(CONNS - half)]);
    // The server may still be finishing handshakes the clients already saw.
    let after = await server.usage('gc-usage');
    for (let i = 0; i < 20 && after.connections < before.connections + CONNS; i++) {
      await sleep(100);
      after = await server.usage('gc-usage');
    }
    const connections = after.connections - before.connections;
    // Then one echo on each of those connections, and idle again: what stays held?
    for (const holder of measured) holder.send({ type: 'echo-once', size: ECHO_ONCE });
    await Promise.all(measured.map((holder) => holder.next('echoed')));
    const afterEcho = await server.usage('gc-usage');
    return {
      connections,
      idle: growth(before, after, connections),
      afterEcho: growth(before, afterEcho, connections),
    };
  } finally {
    await Promise.all([...holders.map((h) => h.stop()), server.stop()]);
  }
}

async function memory(): Promise<void> {
  const results = new Map<Stack, MemoryResult>();
  const line = (g: Growth) =>
    `RSS +${g.rss.toFixed(0)}, heapUsed +${g.heapUsed.toFixed(0)}, external +${g.external.toFixed(0)} B/conn`;
  for (const stack of ['netrx', 'ws'] as const) {
    try {
      const result = await memoryOnce(stack);
      results.set(stack, result);
      process.stdout.write(
        `  memory ${stack.padEnd(5)} ${result.connections} idle connections: ${line(result.idle)}\n` +
          `  memory ${stack.padEnd(5)} the same after one ${ECHO_ONCE / KiB} KiB echo each: ${line(result.afterEcho)}\n`,
      );
    } catch (error) {
      errors++;
      process.stdout.write(`  memory ${stack} FAILED: ${String(error)}\n`);
    }
  }
  const ours = results.get('netrx');
  const theirs = results.get('ws');
  const n = (ours?.connections ?? theirs?.connections ?? CONNS).toLocaleString('en-US');
  const rowsFor = (state: string, pick: (r: MemoryResult) => Growth): void => {
    for (const [what, value] of [
      ['server RSS', (g: Growth) => g.rss],
      ['server heapUsed + external', (g: Growth) => g.heapUsed + g.external],
    ] as const) {
      const a = ours === undefined ? undefined : value(pick(ours));
      const b = theirs === undefined ? undefined : value(pick(theirs));
      const bytes = (x: number | undefined) =>
        x === undefined ? 'failed' : `${(x / KiB).toFixed(2)} KiB/conn`;
      rows.push({
        name: `${state} (${n} connections), ${what} growth`,
        ours: bytes(a),
        theirs: bytes(b),
        ratio: a !== undefined && b !== undefined ? a / b : NaN,
        target: '≤ 1x',
        memory: '',
        notes: '',
      });
    }
  };
  rowsFor('idle connection', (r) => r.idle);
  rowsFor(`idle again after one ${ECHO_ONCE / KiB} KiB echo each`, (r) => r.afterEcho);
}

// ---------------------------------------------------------------------------
// Parent: main

async function main(): Promise<void> {
  if (env['WS_BENCH_MODE'] === 'server-cpu') {
    const failed = await serverCpuMode({
      serverCpu: SERVER_CPU,
      clientCpu: CLIENT_CPU,
      env,
      profileDir: PROFILE_DIR,
    });
    if (failed > 0) process.exitCode = 1;
    return;
  }
  const require = createRequire(import.meta.url);
  const wsVersion = (require('ws/package.json') as { version: string }).version;
  let bufferutil = 'not loaded';
  try {
    require('bufferutil');
    bufferutil = `${(require('bufferutil/package.json') as { version: string }).version}`;
  } catch {
    // ws falls back to JS masking; say so below.
  }
  if (env['WS_NO_BUFFER_UTIL'] !== undefined) bufferutil += ' (disabled by WS_NO_BUFFER_UTIL)';
  process.stdout.write(
    `WebSocket: netrx vs ws ${wsVersion} (bufferutil ${bufferutil}), Node ${process.version}\n` +
      `${canPin ? `server pinned to CPU ${SERVER_CPU}, client to CPU ${CLIENT_CPU}` : 'not pinned (no taskset or one CPU)'}; ` +
      `${WARMUP_MS / 1000} s warm-up + ${SECONDS} s counted per run, ${REPS} repetitions, medians\n`,
  );
  if (PROFILE_DIR !== undefined) process.stdout.write(`CPU profiles go to ${PROFILE_DIR}\n`);
  const started = performance.now();
  for (const c of cases) {
    if (ONLY !== undefined && !c.name.includes(ONLY)) continue;
    await throughput(c);
  }
  if (ONLY === undefined || 'memory'.includes(ONLY)) await memory();

  const header = ['case', 'netrx', 'ws', 'ratio', 'target', 'server RSS netrx / ws', 'notes'];
  const lines = rows.map((r) => [
    r.name,
    r.ours,
    r.theirs,
    Number.isFinite(r.ratio) ? `${r.ratio.toFixed(2)}x` : '—',
    r.target,
    r.memory || '—',
    r.notes,
  ]);
  process.stdout.write(
    `\n| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|\n` +
      lines.map((l) => `| ${l.join(' | ')} |\n`).join('') +
      `\nratio: ours / theirs (throughput: above 1 is faster; memory: below 1 is smaller). ` +
      `Total ${((performance.now() - started) / 1000).toFixed(0)} s.\n`,
  );
  if (errors > 0) {
    process.stdout.write(`${errors} run(s) failed (errors, not speed)\n`);
    process.exitCode = 1;
  }
}

// ---------------------------------------------------------------------------

const [role, ...rest] = process.argv.slice(2);
if (role !== undefined) {
  // Children exit normally (so that --cpu-prof writes its profile) when told, or when the parent goes.
  process.on('disconnect', () => process.exit(0));
  process.on('message', (command: Command) => {
    if (command.type === 'exit') process.exit(0);
  });
}
switch (role) {
  case 'server':
    await serverMain(rest[0] as ServerKind, rest[1] === '1').catch(fail);
    break;
  case 'client':
    await clientMain(rest).catch(fail);
    break;
  case 'hold':
    await holdMain(Number(rest[0]), Number(rest[1])).catch(fail);
    break;
  case undefined:
    await main();
    break;
  default:
    process.stderr.write(
      `unknown role ${role}\n${join('bench', 'websocket.ts')} takes no arguments\n`,
    );
    process.exit(2);
}
