/**
 * The load generators of bench/eap.ts, each driving one server (netrx or
 * FreeRADIUS, same loopback port shape) and reporting its own side of a run:
 *
 * - `freeradiusTool`: `radeapclient`/`radclient -p N` (freeradius-utils);
 * - `closedLoop`: PARALLEL lanes, each a UDP socket running one netrx
 *   `RadiusEapClient` conversation after another (as fast as the server
 *   answers: the auths/s figure);
 * - `paced`: an open-loop generator starting conversations at a fixed rate
 *   (200/s for issue 13), one UDP socket per conversation in flight, latency
 *   counted from each conversation's scheduled start so a late generator
 *   cannot hide server delay (no coordinated omission).
 *
 * All of them take the EAP methods (the netrx peer) from the caller, so both
 * servers see the same client.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { EapMethod } from '../../src/eap/index.js';
import { nodeCrypto, systemClock } from '../../src/node/runtime/index.js';
import { RadiusEapClient, type RadiusEapResult } from '../../src/radius/index.js';

export interface Target {
  readonly name: string;
  readonly port: number;
}

export interface User {
  readonly name: string;
  readonly password: string;
}

/** What a generator reports about its own side of one run. */
export interface Generated {
  readonly ok: number;
  readonly p50Ms: number | undefined;
  readonly p99Ms: number | undefined;
  /** The generator's own CPU (user + system) during the run. */
  readonly generatorCpuMs: number;
  /** Datagrams sent beyond the requests (own generators only). */
  readonly retransmissions: number | undefined;
  /** Accepts whose MS-MPPE keys were not the peer's (own generators, methods with keys). */
  readonly keyMismatches: number | undefined;
  /** The first failure's reason, to say why a run failed. */
  readonly firstFailure: string | undefined;
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

const inputs = new Map<string, string>();

/** radeapclient/radclient input: `count` blocks of one EAP-MD5 Identity or PAP request. */
export function inputFile(dir: string, user: User, kind: 'eap-md5' | 'pap', count: number): string {
  const name = `${kind}-${count}`;
  const known = inputs.get(name);
  if (known !== undefined) return known;
  const block =
    kind === 'eap-md5'
      ? `User-Name = "${user.name}", Cleartext-Password = "${user.password}", EAP-Code = Response, ` +
        `EAP-Id = 210, EAP-Type-Identity = "${user.name}", Message-Authenticator = 0x00\n\n`
      : `User-Name = "${user.name}", User-Password = "${user.password}", Message-Authenticator = 0x00\n\n`;
  const file = join(dir, `${name}.txt`);
  writeFileSync(file, block.repeat(count));
  inputs.set(name, file);
  return file;
}

/**
 * `TOOL -4 -p PARALLEL -r 3 -t 2 -s -f FILE 127.0.0.1:PORT auth SECRET` under
 * bash, whose `times` reports the tool's CPU once it has exited.
 */
export async function freeradiusTool(
  tool: 'radeapclient' | 'radclient',
  server: Target,
  file: string,
  settings: { readonly parallel: number; readonly secret: string },
  track: (child: ChildProcess) => void,
): Promise<Generated> {
  const args = [
    ...['-4', '-p', String(settings.parallel), '-r', '3', '-t', '2', '-s', '-f', file],
    ...[`127.0.0.1:${server.port}`, 'auth', settings.secret],
  ];
  const script = `"$@" > "$OUT" 2>&1; rc=$?; times; exit $rc`;
  const out = join(dirname(file), `${tool}.out`);
  const child = spawn('bash', ['-c', script, 'bash', tool, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, OUT: out },
  });
  track(child);
  let times = '';
  child.stdout.on('data', (chunk: Buffer) => (times += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const code = await new Promise((resolve) => child.once('close', (c, s) => resolve(c ?? s)));
  clearTimeout(timer);
  const text = readFileSync(out, 'utf8');
  // `times`: the shell's user/system, then its children's: "0m0.391s 0m0.221s".
  const seconds = [...(times.trim().split('\n')[1] ?? '').matchAll(/(\d+)m([\d.]+)s/g)].map(
    (m) => Number(m[1]) * 60 + Number(m[2]),
  );
  const ok = Number(
    /accepted\s*:\s*(\d+)/i.exec(text)?.[1] ?? /approved[^\d]*(\d+)/i.exec(text)?.[1] ?? NaN,
  );
  if (code !== 0 || !(ok >= 0))
    throw new Error(`${tool} against ${server.name} (exit ${String(code)}):\n${text.slice(-2000)}`);
  return {
    ok,
    p50Ms: undefined,
    p99Ms: undefined,
    generatorCpuMs: ((seconds[0] ?? 0) + (seconds[1] ?? 0)) * 1000,
    retransmissions: undefined,
    keyMismatches: undefined,
    firstFailure: undefined,
  };
}

export interface LoadSettings {
  readonly secret: string;
  readonly user: User;
  /** The peer methods, shared by every conversation (each makes its own per-session state). */
  readonly methods: readonly EapMethod[];
}

/** Counts of one generator run, shared by the two netrx generators. */
class Tally {
  ok = 0;
  finished = 0;
  datagrams = 0;
  requests = 0;
  keyMismatches = 0;
  firstFailure: string | undefined;
  readonly latencies: number[] = [];
  private readonly cpu = process.cpuUsage();

  record(result: RadiusEapResult, latencyMs: number): void {
    this.latencies.push(latencyMs);
    if (result.outcome === 'success') this.ok++;
    else this.firstFailure ??= `${result.outcome}: ${result.reason}`;
    if (result.keysMatch === false) this.keyMismatches++;
    this.requests += result.requests;
    this.finished++;
  }

  generated(): Generated {
    const used = process.cpuUsage(this.cpu);
    return {
      ok: this.ok,
      p50Ms: percentile(this.latencies, 0.5),
      p99Ms: percentile(this.latencies, 0.99),
      generatorCpuMs: (used.user + used.system) / 1000,
      retransmissions: this.datagrams - this.requests,
      keyMismatches: this.keyMismatches,
      firstFailure: this.firstFailure,
    };
  }
}

async function boundSocket(): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  socket.on('error', () => {});
  return socket;
}

/** One conversation on `socket`; `done` gets the result once it ends. */
function converse(
  socket: Socket,
  server: Target,
  settings: LoadSettings,
  tally: Tally,
  done: (result: RadiusEapResult) => void,
): void {
  const client = new RadiusEapClient({
    clock: systemClock,
    crypto: nodeCrypto,
    servers: [{ address: '127.0.0.1', port: server.port, secret: settings.secret }],
    methods: settings.methods,
    identity: settings.user.name,
    password: settings.user.password,
    send: (datagram, peer) => {
      tally.datagrams++;
      socket.send(datagram, peer.port, peer.address);
    },
    onResult: done,
  });
  socket.removeAllListeners('message');
  socket.on('message', (message: Buffer, rinfo) =>
    client.receive(new Uint8Array(message.buffer, message.byteOffset, message.byteLength), {
      address: rinfo.address,
      port: rinfo.port,
    }),
  );
  client.start();
}

/** Rejects when `tally` has not moved for 10 s; `stop()` ends the watch. */
function watchdog(what: string, tally: Tally, reject: (error: Error) => void): () => void {
  let last = -1;
  const timer = setInterval(() => {
    if (tally.finished === last) {
      clearInterval(timer);
      reject(new Error(`${what}: no progress in 10 s`));
    }
    last = tally.finished;
  }, 10_000);
  return () => clearInterval(timer);
}

/** `parallel` lanes, each a UDP socket running one conversation after another. */
export async function closedLoop(
  server: Target,
  settings: LoadSettings,
  count: number,
  parallel: number,
): Promise<Generated> {
  const sockets = await Promise.all(Array.from({ length: parallel }, boundSocket));
  const tally = new Tally();
  let started = 0;
  await new Promise<void>((resolve, reject) => {
    const stop = watchdog(`closed loop against ${server.name}`, tally, reject);
    const lane = (socket: Socket) => {
      if (started >= count) return;
      started++;
      const t0 = performance.now();
      converse(socket, server, settings, tally, (result) => {
        tally.record(result, performance.now() - t0);
        if (tally.finished === count) {
          stop();
          resolve();
        } else setImmediate(() => lane(socket));
      });
    };
    for (const socket of sockets) lane(socket);
  });
  const generated = tally.generated();
  await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return generated;
}

/** Conversations in flight beyond which the paced generator stops opening sockets. */
const PACED_MAX_SOCKETS = 1024;

/**
 * `count` conversations started at `rate` per second (a 2 ms tick catching
 * up on the schedule), each on a socket of its own from a pool; latency from
 * the scheduled start. Starts beyond PACED_MAX_SOCKETS in flight wait (and
 * their wait counts in their latency).
 */
export async function paced(
  server: Target,
  settings: LoadSettings,
  count: number,
  rate: number,
): Promise<Generated & { readonly maxInFlight: number }> {
  const free: Socket[] = [];
  const all: Socket[] = [];
  const tally = new Tally();
  let started = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    // A stalled run stops its ticker and sockets too, so the bench can exit.
    const stop = watchdog(`paced load against ${server.name}`, tally, (error) => {
      clearInterval(ticker);
      for (const socket of all) socket.close();
      reject(error);
    });
    const startOne = (socket: Socket) => {
      const scheduled = t0 + (started * 1000) / rate;
      started++;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      converse(socket, server, settings, tally, (result) => {
        tally.record(result, performance.now() - scheduled);
        inFlight--;
        free.push(socket);
        if (tally.finished === count) {
          clearInterval(ticker);
          stop();
          resolve();
        }
      });
    };
    let opening = false;
    const tick = () => {
      const due = Math.min(count, Math.floor(((performance.now() - t0) * rate) / 1000) + 1);
      while (started < due) {
        const socket = free.pop();
        if (socket !== undefined) startOne(socket);
        else if (all.length < PACED_MAX_SOCKETS && !opening) {
          // Sockets open asynchronously: one at a time, then the schedule catches up.
          opening = true;
          void boundSocket().then((s) => {
            all.push(s);
            free.push(s);
            opening = false;
            tick();
          });
          return;
        } else return;
      }
    };
    const ticker = setInterval(tick, 2);
    tick();
  });
  const generated = tally.generated();
  await Promise.all(all.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return { ...generated, maxInFlight };
}
