/**
 * The hop a multi-core RADIUS server pays (docs/radius.md "Workers"): CPU
 * per round trip of a 100-byte datagram, WINDOW (default 64) in flight.
 * `thread`: worker_threads postMessage, batched per event-loop turn both
 * ways, buffers transferred (what the netrx worker pool does); `udp`: a UDP
 * loopback datagram to another process and back (what cluster's shared
 * handle would need to forward a datagram that reached the wrong worker).
 * Not part of `npm run bench` (no anchor); after `npm run bench` compiled it:
 * `node dist-bench/bench/support/worker-hop.js thread|udp`.
 */
import { fork } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { Worker, isMainThread, parentPort } from 'node:worker_threads';

const N = 50_000;
const WINDOW = Number(process.env['WINDOW'] ?? 64);
const mode = process.argv[2];

function childCpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10_000; // clock ticks of 10 ms
}

function report(name: string, micros: number, ms: number): void {
  process.stdout.write(
    `${name} hop, window ${WINDOW}: ${(micros / N).toFixed(1)} µs CPU per round trip, ${(N / (ms / 1000)).toFixed(0)}/s\n`,
  );
}

if (mode === 'udp-child') {
  const socket = createSocket('udp4');
  socket.on('message', (m, r) => socket.send(m, r.port, r.address));
  socket.bind(0, '127.0.0.1', () => process.send?.(socket.address().port));
} else if (!isMainThread) {
  const port = parentPort;
  let out: Uint8Array[] = [];
  let scheduled = false;
  port?.on('message', (message: { d: Uint8Array[] }) => {
    out.push(...message.d);
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      const batch = out;
      out = [];
      port.postMessage(
        { d: batch },
        batch.map((d) => d.buffer as ArrayBuffer),
      );
    });
  });
} else if (mode === 'thread') {
  const worker = new Worker(new URL(import.meta.url));
  let sent = 0;
  let got = 0;
  let pending: Uint8Array[] = [];
  let scheduled = false;
  const push = () => {
    pending.push(new Uint8Array(100));
    sent++;
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      const batch = pending;
      pending = [];
      worker.postMessage(
        { d: batch },
        batch.map((d) => d.buffer as ArrayBuffer),
      );
    });
  };
  const cpu = process.cpuUsage();
  const started = performance.now();
  await new Promise<void>((resolve) => {
    worker.on('message', (message: { d: Uint8Array[] }) => {
      got += message.d.length;
      for (let i = 0; i < message.d.length && sent < N; i++) push();
      if (got >= N) resolve();
    });
    for (let i = 0; i < WINDOW; i++) push();
  });
  const used = process.cpuUsage(cpu); // the process: both threads
  report('thread', used.user + used.system, performance.now() - started);
  await worker.terminate();
} else if (mode === 'udp') {
  const child = fork(new URL(import.meta.url).pathname, ['udp-child']);
  const port = await new Promise<number>((resolve) =>
    child.once('message', (p) => resolve(p as number)),
  );
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const datagram = new Uint8Array(100);
  let sent = 0;
  let got = 0;
  const cpu = process.cpuUsage();
  const childBefore = childCpuMicros(child.pid ?? 0);
  const started = performance.now();
  await new Promise<void>((resolve) => {
    socket.on('message', () => {
      got++;
      if (sent < N) {
        sent++;
        socket.send(datagram, port, '127.0.0.1');
      }
      if (got >= N) resolve();
    });
    for (let i = 0; i < WINDOW; i++, sent++) socket.send(datagram, port, '127.0.0.1');
  });
  const used = process.cpuUsage(cpu);
  const childUsed = childCpuMicros(child.pid ?? 0) - childBefore;
  report('udp', used.user + used.system + childUsed, performance.now() - started);
  child.kill(); // by PID: the child we forked
  socket.close();
} else {
  process.stderr.write('usage: worker-hop.js thread|udp\n');
  process.exitCode = 2;
}
