/**
 * Experiment (issue 16 part 4): what the NATS client's async stack traces
 * cost a RADIUS server's KV round. One private `nats-server -js` on
 * loopback; two connections, one with `noAsyncTraces: true` (what netrx's
 * connections use now) and one without (the client's default); each runs
 * ROUNDS times a KV create + update + delete (one MSCHAPv2 conversation's
 * worth of writes, 160-byte values), the two alternating in blocks of 200,
 * and the client CPU of each (`process.cpuUsage` around its own blocks) is
 * printed per round with the ratio.
 *
 *   ROUNDS=3000 node bench/experiments/nats-async-traces.mjs
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';

const ROUNDS = Number(process.env.ROUNDS ?? 3000);
const BLOCK = 200;
const port = await new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
const store = mkdtempSync(join(tmpdir(), 'cluster-cache-nats-traces-'));
const server = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', store], {
  stdio: 'ignore',
});
try {
  let nc;
  for (let i = 0; i < 50 && nc === undefined; i++) {
    try {
      nc = await connect({ servers: `127.0.0.1:${port}` });
    } catch {
      await sleep(100);
    }
  }
  await nc.close();
  const open = async (noAsyncTraces) => {
    const c = await connect({ servers: `127.0.0.1:${port}`, noAsyncTraces });
    const kv = await new Kvm(jetstream(c, { timeout: 2000 })).create('traces', { history: 1 });
    return { c, kv, cpu: 0 };
  };
  const lean = await open(true);
  const traced = await open(false);
  const value = new Uint8Array(160).fill(7);
  let key = 0;
  const block = async (side) => {
    const start = process.cpuUsage();
    for (let i = 0; i < BLOCK; i++) {
      const k = `k${key++}`;
      const r1 = await side.kv.create(k, value);
      const r2 = await side.kv.update(k, value, r1);
      await side.kv.delete(k, { previousSeq: r2 });
    }
    const used = process.cpuUsage(start);
    side.cpu += used.user + used.system;
  };
  for (let done = 0; done < ROUNDS; done += BLOCK) {
    await block(lean);
    await block(traced);
  }
  const perLean = lean.cpu / ROUNDS;
  const perTraced = traced.cpu / ROUNDS;
  console.log(
    `create+update+delete, ${ROUNDS} each, load ${loadavg()[0].toFixed(2)}: ` +
      `noAsyncTraces ${perLean.toFixed(0)} µs client CPU, default ${perTraced.toFixed(0)} µs ` +
      `(ratio lean/default ${(perLean / perTraced).toFixed(2)}x); rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`,
  );
  await lean.c.close();
  await traced.c.close();
} finally {
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  rmSync(store, { recursive: true, force: true });
}
