// `node scripts/measure-start.mjs [RUNS]`: what docs/performance.md reports
// for `npm start` (issue 14): spawns scripts/start.mjs on the embedded
// default with ephemeral ports (so it runs beside another host), times spawn
// to the ready line, reads the child's CPU (utime + stime, /proc/PID/stat)
// at ready and after 20 s idle, and its VmRSS after 20 s idle; then SIGINT.
// One JSON line per run, with the load average at its start. Linux only.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { join } from 'node:path';
import { root } from './lib/setup.mjs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux
const IDLE_MS = 20_000;
const runs = Number(process.argv[2] ?? 3);
const dir = mkdtempSync(join(tmpdir(), 'netrx-measure-start-'));
const config = join(dir, 'netrx.yaml');
writeFileSync(config, 'http: { port: 0 }\nradius: { port: 0 }\ncapture: { rpc: { port: 0 } }\n');

function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND) * 1000;
}

try {
  for (let run = 0; run < runs; run++) {
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    const t0 = performance.now();
    const child = spawn(process.execPath, ['scripts/start.mjs', '--config', config], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    const readyMs = await new Promise((resolve, reject) => {
      const seen = (chunk) => {
        text += chunk.toString();
        if (text.includes('press Ctrl-C to stop')) resolve(performance.now() - t0);
      };
      child.stdout.on('data', seen);
      child.stderr.on('data', seen);
      child.once('exit', (code) => reject(new Error(`exited with ${code}: ${text.slice(-500)}`)));
    });
    const cpuToReadyMs = cpuMs(child.pid);
    await delay(IDLE_MS);
    const rssKiB = Number(
      /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1],
    );
    const cpuIdleMs = cpuMs(child.pid) - cpuToReadyMs;
    child.kill('SIGINT');
    await new Promise((resolve) => child.once('exit', resolve));
    console.log(
      JSON.stringify({
        run,
        load,
        readyMs: Math.round(readyMs),
        cpuToReadyMs: Math.round(cpuToReadyMs),
        idleRssMiB: Number((rssKiB / 1024).toFixed(1)),
        cpuIdle20sMs: Math.round(cpuIdleMs),
      }),
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
