/**
 * bench/websocket.ts's server-CPU mode (`WS_BENCH_MODE=server-cpu`): what a
 * server spends, in CPU time, per MiB it echoes to the lean client, so that
 * the figure does not depend on how busy the machine is (throughput does:
 * `ws` alone moved by ±25 % between quiet runs of the normal mode).
 *
 * Each run is a fresh server process (pinned to CPU 0) and a fresh lean
 * client process (CPU 1, bench/support/lean-ws-client.ts). After the
 * client's warm-up, the parent reads the server's `process.resourceUsage()`
 * over IPC when the client's counting window opens and when it closes; the
 * server's user and system CPU time over that window, divided by the MiB
 * the client counted in its window (each side's rate, so the small offset
 * between the two windows cancels), is the run's figure.
 *
 * Servers, interleaved run by run (the order rotates each repetition):
 * - `netrx`: `WebSocketServer` + `echoConnection` (binaryType
 *   `'fragments'`: a message is echoed as the views of its reads);
 * - `netrx-buffer`: `WebSocketServer` with `ws.on('message', d =>
 *   ws.send(d))` as written for ws (each message gathered into one Buffer);
 * - `ws`: ws + bufferutil, `ws.on('message', d => ws.send(d))`;
 * - `floor`, `floor-js`, `floor-native`: bench/support/floor-echo-server.ts,
 *   plain `node:net` with no framing beyond the header, echoing the views
 *   of the reads in one write: masked bytes as they came, unmasked by a JS
 *   loop, or unmasked by bufferutil. Nothing can echo for less than
 *   `floor`; a WebSocket server must also unmask, so `floor-native` is the
 *   floor for a real one;
 * - `baseline` (or `baseline:KIND`) when WS_BENCH_BASELINE names another
 *   build's dist-bench/bench/websocket.js: that build's netrx (or KIND)
 *   server, for A/B runs.
 *
 * Knobs: WS_BENCH_REPS (default 7), WS_BENCH_SECONDS (default 3),
 * WS_BENCH_SERVERS (comma-separated subset), WS_BENCH_LEAN_CONNS (default
 * "1,4": connections, each with 2 messages of 1 MiB in flight),
 * WS_BENCH_SIZE (default 1 MiB), WS_BENCH_CPU_PROF=dir (profiles the
 * servers), WS_BENCH_SERVER_NODE_ARGS (more node flags for the servers, e.g.
 * `--perf-basic-prof` for `perf record -p PID`).
 */
import { readFileSync } from 'node:fs';
import { Child } from './websocket-child.js';

export interface ServerCpuOptions {
  readonly serverCpu: number;
  readonly clientCpu: number;
  readonly env: NodeJS.ProcessEnv;
  readonly profileDir: string | undefined;
}

interface Sample {
  readonly mbPerSecond: number;
  /** Server CPU time per MiB echoed, ms. */
  readonly user: number;
  readonly system: number;
  readonly total: number;
  readonly faults: number;
  /** Server CPU use over the window, 0-1 of a core. */
  readonly busy: number;
}

const MiB = 1024 * 1024;
const ALL = ['netrx', 'netrx-buffer', 'ws', 'floor', 'floor-js', 'floor-native'] as const;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const fixed = (x: number, digits = 3) => (Number.isFinite(x) ? x.toFixed(digits) : '—');
const spread = (values: readonly number[], digits = 3) =>
  values.length === 0
    ? 'failed'
    : `${fixed(median(values), digits)} (${fixed(Math.min(...values), digits)}–${fixed(Math.max(...values), digits)})`;

async function runOnce(
  server: string,
  connections: number,
  size: number,
  seconds: number,
  options: ServerCpuOptions,
  run: number,
): Promise<Sample> {
  const baseline = options.env['WS_BENCH_BASELINE'];
  const extra = options.env['WS_BENCH_SERVER_NODE_ARGS']?.split(' ').filter(Boolean) ?? [];
  const profile =
    options.profileDir === undefined
      ? extra
      : [
          ...extra,
          '--cpu-prof',
          `--cpu-prof-dir=${options.profileDir}`,
          `--cpu-prof-name=${String(run).padStart(3, '0')}-server-cpu-${connections}conn-${server}.cpuprofile`,
        ];
  // `baseline` or `baseline:KIND`: KIND (default netrx) from the other build.
  const fromBaseline = server === 'baseline' || server.startsWith('baseline:');
  if (fromBaseline && baseline === undefined) throw new Error(`${server} needs WS_BENCH_BASELINE`);
  const serverChild = fromBaseline
    ? new Child(
        ['server', server.split(':')[1] ?? 'netrx', '0'],
        options.serverCpu,
        profile,
        baseline,
      )
    : new Child(['server', server, '0'], options.serverCpu, profile);
  const client = new Child(
    ['client', 'lean', String(size), '2', '0', '0', String(seconds * 1000), String(connections)],
    options.clientCpu,
  );
  try {
    const { port } = await serverChild.next('ready');
    client.send({ type: 'connect', port });
    await client.next('window-start');
    const u0 = await serverChild.usage();
    await client.next('window-end');
    const u1 = await serverChild.usage();
    const result = await client.next('result');
    if (result.wrongSize > 0) throw new Error(`${result.wrongSize} echoes had the wrong size`);
    if (result.received === 0) throw new Error('no echoes in the counting window');
    const serverSeconds = (u1.at - u0.at) / 1000;
    const mibPerSecond = (result.received * size) / MiB / result.seconds;
    // CPU ms per second of the server's window, over MiB per second of the client's.
    const per = (delta: number) => delta / 1000 / serverSeconds / mibPerSecond;
    return {
      mbPerSecond: (mibPerSecond * MiB) / 1e6,
      user: per(u1.user - u0.user),
      system: per(u1.system - u0.system),
      total: per(u1.cpu - u0.cpu),
      faults: (u1.minorFaults - u0.minorFaults) / serverSeconds / mibPerSecond,
      busy: (u1.cpu - u0.cpu) / 1e6 / serverSeconds,
    };
  } finally {
    await Promise.all([client.stop(), serverChild.stop()]);
  }
}

/** Runs the mode; resolves with the number of failed runs. */
export async function serverCpuMode(options: ServerCpuOptions): Promise<number> {
  const env = options.env;
  const reps = Math.max(1, Math.round(Number(env['WS_BENCH_REPS'] ?? 7)) || 7);
  const seconds = Number(env['WS_BENCH_SECONDS'] ?? 3) || 3;
  const size = Math.round(Number(env['WS_BENCH_SIZE'] ?? MiB)) || MiB;
  const connectionCounts = (env['WS_BENCH_LEAN_CONNS'] ?? '1,4')
    .split(',')
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0);
  const servers: string[] = env['WS_BENCH_SERVERS']?.split(',').filter(Boolean) ?? [...ALL];
  if (env['WS_BENCH_BASELINE'] !== undefined && !servers.some((s) => s.startsWith('baseline'))) {
    servers.push('baseline');
  }
  process.stdout.write(
    `server-CPU mode: ${size} B messages, lean client, 2 in flight per connection, ` +
      `${reps} repetitions of ${servers.join(', ')} interleaved, ${seconds} s windows\n` +
      `load average at the start: ${loadAverage()}\n`,
  );
  let failures = 0;
  let run = 0;
  const tables: string[] = [];
  for (const connections of connectionCounts) {
    const samples = new Map<string, Sample[]>(servers.map((s) => [s, []]));
    for (let rep = 0; rep < reps; rep++) {
      const turn = rep % servers.length;
      for (const server of [...servers.slice(turn), ...servers.slice(0, turn)]) {
        try {
          const sample = await runOnce(server, connections, size, seconds, options, ++run);
          samples.get(server)!.push(sample);
          process.stdout.write(
            `  ${connections} conn [${rep + 1}/${reps}] ${server.padEnd(12)} ` +
              `${sample.mbPerSecond.toFixed(0).padStart(5)} MB/s  server CPU ${(sample.busy * 100).toFixed(0).padStart(3)}%  ` +
              `per MiB: user ${fixed(sample.user)} + sys ${fixed(sample.system)} = ${fixed(sample.total)} ms, ` +
              `${sample.faults.toFixed(1)} faults  (load ${loadAverage()})\n`,
          );
        } catch (error) {
          failures++;
          process.stdout.write(
            `  ${connections} conn [${rep + 1}/${reps}] ${server} FAILED: ${String(error)}\n`,
          );
        }
      }
    }
    tables.push(table(connections, servers, samples));
  }
  process.stdout.write(`\n${tables.join('\n')}\nload average at the end: ${loadAverage()}\n`);
  return failures;
}

function table(
  connections: number,
  servers: readonly string[],
  samples: Map<string, Sample[]>,
): string {
  const of = (server: string, pick: (s: Sample) => number) => (samples.get(server) ?? []).map(pick);
  const med = (server: string, pick: (s: Sample) => number) => median(of(server, pick));
  const lines = [
    `${connections} connection(s) x 2 in flight: server CPU per MiB echoed, ms, median (range)`,
    '',
    '| server | user | system | user + system | minor faults / MiB | MB/s |',
    '|---|---|---|---|---|---|',
    ...servers.map(
      (s) =>
        `| ${s} | ${spread(of(s, (x) => x.user))} | ${spread(of(s, (x) => x.system))} | ` +
        `${spread(of(s, (x) => x.total))} | ${spread(
          of(s, (x) => x.faults),
          1,
        )} | ` +
        `${spread(
          of(s, (x) => x.mbPerSecond),
          0,
        )} |`,
    ),
    '',
  ];
  const total = (s: string) => med(s, (x) => x.total);
  const user = (s: string) => med(s, (x) => x.user);
  for (const s of ['netrx', 'netrx-buffer']) {
    if (!servers.includes(s) || !servers.includes('ws')) continue;
    lines.push(
      `ws / ${s}, server CPU per MiB (the 1.2x target read as CPU): ${fixed(total('ws') / total(s), 2)}x ` +
        `(user alone ${fixed(user('ws') / user(s), 2)}x)`,
    );
  }
  for (const floor of ['floor', 'floor-native']) {
    if (!servers.includes(floor)) continue;
    for (const s of ['netrx', 'netrx-buffer', 'ws', 'baseline']) {
      if (!servers.includes(s)) continue;
      lines.push(
        `${s} above ${floor}: ${fixed(total(s) - total(floor))} ms/MiB ` +
          `(user ${fixed(user(s) - user(floor))} ms/MiB)`,
      );
    }
    if (servers.includes('ws')) {
      lines.push(
        `best possible ws / server at ${floor} (a server that cost no more than ${floor}): ` +
          `${fixed(total('ws') / total(floor), 2)}x`,
      );
    }
  }
  for (const s of servers) {
    if (!s.startsWith('baseline')) continue;
    const kind = s.split(':')[1] ?? 'netrx';
    if (!servers.includes(kind)) continue;
    lines.push(
      `${s} / ${kind} (the other build over this one): ${fixed(total(s) / total(kind), 2)}x ` +
        `(user alone ${fixed(user(s) / user(kind), 2)}x)`,
    );
  }
  return lines.join('\n') + '\n';
}

function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'latin1').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'unknown';
  }
}
