/**
 * One core, four runtimes: what the netrx core costs on Deno and Bun, and
 * what pure-JS deflate costs against node:zlib.
 *
 * 1. Echo on Deno and Bun: the netrx core over `Deno.listen`/`Bun.listen`
 *    (runtimes/*\/echo.ts) against the runtime's own WebSocket server
 *    (`Deno.upgradeWebSocket`, `Bun.serve({ websocket })`), both driven by
 *    the same `ws` client from this process in the same run. Figure: the
 *    server process's CPU time (utime + stime from /proc/PID/stat) per
 *    round trip, as a ratio ours/theirs (below 1: netrx spends less), and
 *    its peak RSS (VmHWM). Wall-clock is too noisy on a shared machine.
 * 2. permessage-deflate codecs in this process: the pako codec against the
 *    node:zlib codec, deflate + inflate of the same messages with context
 *    takeover, CPU time from process.cpuUsage, ratio ours/theirs, at
 *    window bits 15, 10, 9 and 8 (8: the zlib codec deflates with 9, as
 *    zlib has no raw 8-bit deflate window, and inflates with 8).
 *
 * Run: `npm run bench -- runtimes`; RUNTIMES_BENCH_ONLY=deflate runs part 2
 * alone (no Deno or Bun needed, seconds instead of minutes).
 */
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { createZlibDeflateCodec } from '../src/node/websocket/zlib-codec.js';
import { createPakoDeflateCodec } from '../src/websocket/pako-codec.js';
import type { DeflateCodec } from '../src/websocket/index.js';
import { RUNTIME_VERSIONS, bundle, outFile, runtimeBinary } from './support/runtime-bundles.js';

const TICKS_PER_SECOND = 100; // getconf CLK_TCK on Linux x86-64

function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

function peakRssKiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmHWM:'));
  return Number(line?.split(/\s+/)[1] ?? 0);
}

async function startServer(
  runtime: 'deno' | 'bun',
  script: string,
  builtin: boolean,
): Promise<{ child: ChildProcess; port: number }> {
  const binary = runtimeBinary(runtime);
  if (binary === undefined) throw new Error(`${runtime} is not installed (npm ci)`);
  const args = ['server', ...(builtin ? ['--builtin'] : [])];
  const child =
    runtime === 'deno'
      ? spawn(binary, ['run', '--allow-net', '--quiet', script, ...args], {
          stdio: ['ignore', 'pipe', 'inherit'],
          env: { ...process.env, DENO_NO_UPDATE_CHECK: '1' },
        })
      : spawn(binary, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve) =>
    createInterface({ input: child.stdout }).once('line', resolve),
  );
  return { child, port: (JSON.parse(line) as { port: number }).port };
}

/** `count` round trips of `size`-byte binary messages, `window` in flight at a time. */
async function echoLoad(port: number, size: number, count: number, window = 16): Promise<void> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const payload = Buffer.alloc(size, 7);
  let sent = 0;
  let received = 0;
  await new Promise<void>((resolve) => {
    ws.on('message', () => {
      received++;
      if (received === count) resolve();
      else if (sent < count) {
        sent++;
        ws.send(payload);
      }
    });
    for (; sent < Math.min(window, count); sent++) ws.send(payload);
  });
  ws.close();
  await new Promise((resolve) => ws.once('close', resolve));
}

async function echoRows(outdir: string): Promise<void> {
  for (const runtime of ['deno', 'bun'] as const) {
    const script = outFile(outdir, `runtimes/${runtime}/echo.ts`);
    for (const [size, count] of [
      [64, 20_000],
      [16 * 1024, 5_000],
      [256 * 1024, 400],
    ] as const) {
      const cpu: Record<'netrx' | 'builtin', number> = { netrx: 0, builtin: 0 };
      const rss: Record<'netrx' | 'builtin', number> = { netrx: 0, builtin: 0 };
      // Alternate three rounds of each, fresh servers, sum the CPU.
      for (let round = 0; round < 3; round++) {
        for (const impl of ['netrx', 'builtin'] as const) {
          const server = await startServer(runtime, script, impl === 'builtin');
          const pid = server.child.pid as number;
          await echoLoad(server.port, size, Math.ceil(count / 10)); // warm-up (JIT)
          const before = processCpuSeconds(pid);
          await echoLoad(server.port, size, count);
          cpu[impl] += processCpuSeconds(pid) - before;
          rss[impl] = Math.max(rss[impl], peakRssKiB(pid));
          server.child.kill('SIGKILL');
        }
      }
      const perTrip = (impl: 'netrx' | 'builtin') => (cpu[impl] / (3 * count)) * 1e6;
      process.stdout.write(
        `${runtime} ${RUNTIME_VERSIONS[runtime]} echo ${String(size).padStart(6)} B x ${count}: ` +
          `netrx ${perTrip('netrx').toFixed(1)} us CPU/trip, built-in ${perTrip('builtin').toFixed(1)} us ` +
          `ratio ${(cpu.netrx / cpu.builtin).toFixed(2)}  peak RSS ${rss.netrx} vs ${rss.builtin} KiB\n`,
      );
    }
  }
}

function cpuSeconds(run: () => void): number {
  const start = process.cpuUsage();
  run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

function deflateRows(): void {
  const text = new TextEncoder();
  const messages = Array.from({ length: 400 }, (_, i) =>
    text.encode(
      JSON.stringify({
        id: i,
        items: Array.from({ length: 40 }, (_, k) => ({
          k,
          name: `item-${(i * k) % 97}`,
          on: k % 3 === 0,
        })),
      }),
    ),
  );
  const tail = Uint8Array.of(0, 0, 0xff, 0xff);
  const roundTrip = (codec: DeflateCodec, windowBits: number) => () => {
    const deflater = codec.createDeflater({ windowBits });
    const inflater = codec.createInflater({ windowBits });
    for (let r = 0; r < 5; r++) {
      for (const m of messages) {
        const body = deflater.deflate(m).subarray(0, -4);
        const framed = new Uint8Array(body.length + 4);
        framed.set(body);
        framed.set(tail, body.length);
        const result = inflater.inflate(framed, 1 << 20, true);
        if (!result.ok || result.length !== m.length) throw new Error('round trip failed');
      }
    }
    deflater.close();
    inflater.close();
  };
  const bytes = messages.reduce((n, m) => n + m.length, 0) * 5;
  for (const windowBits of [15, 10, 9, 8]) {
    const pako = createPakoDeflateCodec();
    const zlib = createZlibDeflateCodec();
    roundTrip(pako, windowBits)();
    roundTrip(zlib, windowBits)();
    let ours = 0;
    let theirs = 0;
    for (let round = 0; round < 5; round++) {
      ours += cpuSeconds(roundTrip(pako, windowBits));
      theirs += cpuSeconds(roundTrip(zlib, windowBits));
    }
    process.stdout.write(
      `deflate+inflate w${windowBits} ${(bytes / 1e6).toFixed(1)} MB JSON x5: pako ${((ours / 5) * 1e3).toFixed(0)} ms CPU, ` +
        `node:zlib ${((theirs / 5) * 1e3).toFixed(0)} ms, ratio ${(ours / theirs).toFixed(2)}\n`,
    );
  }
  globalThis.gc?.();
  // pako's window and hash tables are typed arrays: count arrayBuffers with the heap.
  const held = (): number => {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const heapBefore = held();
  const deflaters = Array.from({ length: 200 }, () =>
    createPakoDeflateCodec().createDeflater({ windowBits: 15 }),
  );
  deflaters.forEach((d) => d.deflate(messages[0] as Uint8Array));
  globalThis.gc?.();
  const perDeflater = (held() - heapBefore) / 200 / 1024;
  deflaters.forEach((d) => d.close());
  process.stdout.write(
    `pako deflater at window 15, memLevel 8: ${perDeflater.toFixed(0)} KiB (heap + array buffers) each\n`,
  );
}

const outdir = mkdtempSync(join(tmpdir(), 'netrx-bench-runtimes-'));
try {
  const built = await bundle(['runtimes/deno/echo.ts', 'runtimes/bun/echo.ts'], outdir, 'neutral');
  if (built.errors.length > 0) throw new Error(built.errors.join('\n'));
  process.stdout.write(
    `load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}\n`,
  );
  if (process.env['RUNTIMES_BENCH_ONLY'] !== 'deflate') await echoRows(outdir);
  deflateRows();
  process.stdout.write(
    `load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}\n`,
  );
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
