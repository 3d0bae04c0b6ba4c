/**
 * Broadcast benchmark: netrx's frame-once `WebSocketServer.broadcast`
 * against the `ws` README's loop (`wss.clients.forEach(c => c.send(data))`),
 * in the same run.
 *
 *   npm run bench -- websocket-broadcast
 *
 * Method. For each receiver count (1,000 and 10,000) and deflate setting
 * (off; on with `server_no_context_takeover`, which the receivers offer and
 * both servers accept), one netrx server and one ws server run as child
 * processes at once, and two reader children connect that many raw sockets
 * to each. A reader does the upgrade handshake by hand and then only walks
 * frame headers to count messages (no decoding, no inflating), so it costs
 * the servers nothing. The parent then alternates the two servers,
 * BCAST_REPS times (default 3): each broadcasts N messages of 64 B and of
 * 16 KiB (JSON-like text, compressible; N chosen to keep one round near
 * BCAST_ROUND_MIB, default 32 MiB, of frames, BCAST_MIN_ROUNDS (8) to 200), yielding a turn between broadcasts, and
 * waits until every connection's `bufferedAmount` is 0; the parent then
 * waits until the reader has counted every message. A server reports its
 * own CPU time (user + system, `process.cpuUsage`, which includes zlib's
 * thread pool) for the round and its peak RSS growth over the round.
 *
 * Reported: CPU µs per broadcast for each stack (median), the ratio
 * netrx / ws (below 1: netrx spends less), and the RSS peak.
 *
 * 10,000 sockets need as many file descriptors in each child: children are
 * started through `sh -c 'ulimit -n <hard>'`, and a child whose limit is
 * still too low says so and uses fewer receivers.
 *
 * This file is also the children: `websocket-broadcast.js server STACK
 * DEFLATE` and `websocket-broadcast.js reader PORT COUNT DEFLATE`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { WebSocketServer as WsServer, type WebSocket as WsSocket } from 'ws';
import { WebSocketServer as NetrxServer } from '../src/node/websocket/index.js';

type Stack = 'netrx' | 'ws';
const HOST = '127.0.0.1';
const SIZES = [64, 16 * 1024];
/** Frames per round, in bytes (BCAST_ROUND_MIB, default 32): the machine is shared, keep rounds short. */
const ROUND_BYTES = Number(process.env.BCAST_ROUND_MIB ?? 32) * 1024 * 1024;

const env = process.env;
const REPS = Number(env.BCAST_REPS ?? 3);
const RECEIVERS = (env.BCAST_RECEIVERS ?? '1000,10000').split(',').map(Number);
/** Which deflate settings to run (BCAST_DEFLATE, default both: `false,true`). */
const DEFLATES = (env.BCAST_DEFLATE ?? 'false,true').split(',').map((d) => d === 'true');
/**
 * The fewest broadcasts per round (BCAST_MIN_ROUNDS, default 8): a 16 KiB
 * round of 10,000 receivers is 160 MiB per broadcast, so ROUND_BYTES alone
 * would give one or two, nearly single samples.
 */
const MIN_ROUNDS = Number(env.BCAST_MIN_ROUNDS ?? 8);

/** `size` bytes of JSON-like ASCII text. */
function jsonText(size: number, seed: number): Buffer {
  let x = seed | 1;
  let out = '';
  while (out.length < size) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out += `{"id":${x % 100000},"event":"tick","price":${(x % 10000) / 100}},`;
  }
  return Buffer.from(out.slice(0, size), 'latin1');
}

function roundsFor(size: number, receivers: number): number {
  return Math.max(MIN_ROUNDS, Math.min(200, Math.floor(ROUND_BYTES / ((size + 4) * receivers))));
}

/**
 * The kernel's RSS high-water mark (VmHWM) since `resetPeakRss`: it sees
 * the peak wherever it happens, in the middle of a broadcast's loop too,
 * not only where the bench could sample. Undefined where procfs has none.
 */
function peakRss(): number | undefined {
  const line = readFileSync('/proc/self/status', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmHWM:'));
  return line === undefined ? undefined : Number(line.split(/\s+/)[1]) * 1024;
}

/** Resets VmHWM to the current RSS (Linux: `5` to clear_refs); false where that is refused. */
function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/** The soft limit on open files, from procfs. */
function openFileLimit(): number {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  const soft = line?.split(/\s+/)[3];
  return soft === undefined || soft === 'unlimited' ? Infinity : Number(soft);
}

function say(message: unknown): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

// ---------------------------------------------------------------------------
// Child: a broadcasting server

async function serverChild(stack: Stack, deflate: boolean): Promise<void> {
  // Exit (rather than die) on the parent's kill, so `--cpu-prof` writes its profile.
  process.once('SIGTERM', () => process.exit(0));
  const perMessageDeflate = deflate ? { serverNoContextTakeover: true } : false;
  let clients: () => Iterable<{ bufferedAmount: number }>;
  let broadcast: (data: Buffer) => void;
  let port: number;
  if (stack === 'netrx') {
    const wss = new NetrxServer({ port: 0, host: HOST, perMessageDeflate });
    await new Promise((r) => wss.once('listening', r));
    port = (wss.address() as AddressInfo).port;
    clients = () => wss.clients;
    broadcast = (data) => void wss.broadcast(data, { binary: false });
  } else {
    const wss = new WsServer({ port: 0, host: HOST, perMessageDeflate });
    await new Promise((r) => wss.once('listening', r));
    port = (wss.address() as AddressInfo).port;
    clients = () => wss.clients;
    // The ws README's broadcast loop.
    broadcast = (data) =>
      wss.clients.forEach((client: WsSocket) => {
        if (client.readyState === 1) client.send(data, { binary: false });
      });
  }
  say({ port });
  for await (const line of createInterface({ input: process.stdin })) {
    const [command, sizeText, roundsText] = line.split(' ');
    if (command !== 'go') continue;
    const size = Number(sizeText);
    const rounds = Number(roundsText);
    const payloads = [jsonText(size, 1), jsonText(size, 2), jsonText(size, 3)];
    globalThis.gc?.();
    const rssBefore = process.memoryUsage.rss();
    const kernelPeak = resetPeakRss();
    let rssPeak = rssBefore;
    const cpuBefore = process.cpuUsage();
    for (let i = 0; i < rounds; i++) {
      broadcast(payloads[i % 3] as Buffer);
      rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
      await nextTurn();
    }
    for (;;) {
      let waiting = 0;
      for (const c of clients()) waiting += c.bufferedAmount;
      if (waiting === 0) break;
      rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
      await new Promise((r) => setTimeout(r, 2));
    }
    const cpu = process.cpuUsage(cpuBefore);
    const highWater = kernelPeak ? peakRss() : undefined;
    if (highWater !== undefined) rssPeak = Math.max(rssPeak, highWater);
    say({
      cpuMicros: cpu.user + cpu.system,
      systemMicros: cpu.system,
      rssPeakGrowth: rssPeak - rssBefore,
    });
  }
}

// ---------------------------------------------------------------------------
// Child: raw readers that count messages by their frame headers

function readerChild(port: number, wanted: number, deflate: boolean): void {
  const limit = openFileLimit();
  const count = Math.min(wanted, limit - 100);
  if (count < wanted) {
    process.stderr.write(`reader: open-file limit ${limit}: ${count} receivers, not ${wanted}\n`);
  }
  let messages = 0;
  let open = 0;
  let waitFor = Infinity;
  const offer = deflate
    ? 'Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n'
    : '';
  const request = Buffer.from(
    `GET / HTTP/1.1\r\nHost: ${HOST}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${offer}\r\n`,
  );
  const check = (): void => {
    if (messages >= waitFor) {
      say({ messages });
      waitFor = Infinity;
    }
  };
  const openOne = (): Socket => {
    const socket = connect(port, HOST);
    socket.write(request);
    let head = true;
    let skip = 0;
    let pending: Buffer | undefined;
    socket.on('data', (chunk: Buffer) => {
      let data = pending === undefined ? chunk : Buffer.concat([pending, chunk]);
      pending = undefined;
      if (head) {
        const end = data.indexOf('\r\n\r\n');
        if (end === -1) {
          pending = data;
          return;
        }
        head = false;
        open++;
        if (open === count) say({ open });
        data = data.subarray(end + 4);
      }
      let at = Math.min(skip, data.length);
      skip -= at;
      while (at < data.length) {
        if (data.length - at < 2) break;
        const b1 = (data[at + 1] as number) & 0x7f;
        const headerLength = b1 < 126 ? 2 : b1 === 126 ? 4 : 10;
        if (data.length - at < headerLength) break;
        const length =
          b1 < 126
            ? b1
            : b1 === 126
              ? data.readUInt16BE(at + 2)
              : Number(data.readBigUInt64BE(at + 2));
        if (((data[at] as number) & 0x80) !== 0) messages++;
        const next = at + headerLength + length;
        if (next > data.length) {
          skip = next - data.length;
          at = data.length;
          break;
        }
        at = next;
      }
      if (at < data.length) pending = data.subarray(at);
      check();
    });
    socket.on('error', (error) => {
      process.stderr.write(`reader: ${error.message}\n`);
      process.exit(1);
    });
    return socket;
  };
  // In batches, so the server's accept queue is not overrun.
  let started = 0;
  const batch = (): void => {
    for (let i = 0; i < 500 && started < count; i++, started++) openOne();
    if (started < count) setTimeout(batch, 20);
  };
  batch();
  say({ receivers: count });
  createInterface({ input: process.stdin }).on('line', (line) => {
    const [command, n] = line.split(' ');
    if (command === 'wait') {
      waitFor = Number(n);
      check();
    }
  });
}

// ---------------------------------------------------------------------------
// Parent

/** BCAST_CPU_PROF=DIR: the server children write V8 CPU profiles there (`--cpu-prof`). */
function profileFlags(role: string | undefined): string[] {
  const dir = env.BCAST_CPU_PROF;
  return dir === undefined || role !== 'server' ? [] : ['--cpu-prof', `--cpu-prof-dir=${dir}`];
}

class Child {
  private readonly lines: AsyncIterator<string>;
  readonly process: ChildProcess;

  constructor(args: string[]) {
    const script = fileURLToPath(import.meta.url);
    // Raise the soft open-file limit to the hard one for the child.
    this.process = spawn(
      'sh',
      [
        '-c',
        'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"',
        process.execPath,
        '--expose-gc',
        ...profileFlags(args[0]),
        script,
        ...args,
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    this.lines = createInterface({ input: this.process.stdout as NodeJS.ReadableStream })[
      Symbol.asyncIterator
    ]();
  }

  async next<T>(): Promise<T> {
    const line: IteratorResult<string> = await this.lines.next();
    if (line.done === true) throw new Error('child ended');
    return JSON.parse(line.value) as T;
  }

  tell(line: string): void {
    this.process.stdin?.write(`${line}\n`);
  }

  stop(): void {
    this.process.kill();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

interface Side {
  readonly server: Child;
  readonly reader: Child;
  readonly receivers: number;
  messages: number;
}

async function startSide(stack: Stack, deflate: boolean, receivers: number): Promise<Side> {
  const server = new Child(['server', stack, String(deflate)]);
  const { port } = await server.next<{ port: number }>();
  const reader = new Child(['reader', String(port), String(receivers), String(deflate)]);
  const { receivers: count } = await reader.next<{ receivers: number }>();
  await reader.next<{ open: number }>();
  return { server, reader, receivers: count, messages: 0 };
}

interface RoundReport {
  /** CPU µs per broadcast (user + system). */
  readonly cpu: number;
  /** Of which system (the kernel's TCP send path, mostly). */
  readonly system: number;
  readonly rss: number;
}

async function round(side: Side, size: number, rounds: number): Promise<RoundReport> {
  side.server.tell(`go ${size} ${rounds}`);
  const report = await side.server.next<{
    cpuMicros: number;
    systemMicros: number;
    rssPeakGrowth: number;
  }>();
  side.messages += rounds * side.receivers;
  side.reader.tell(`wait ${side.messages}`);
  await side.reader.next<{ messages: number }>();
  return {
    cpu: report.cpuMicros / rounds,
    system: report.systemMicros / rounds,
    rss: report.rssPeakGrowth,
  };
}

/** One table row: medians, the system share, and the spread of the per-rep ratios. */
function row(
  receivers: number,
  deflate: boolean,
  size: number,
  rounds: number,
  ours: RoundReport[],
  theirs: RoundReport[],
): string {
  const a = median(ours.map((r) => r.cpu));
  const b = median(theirs.map((r) => r.cpu));
  const sys = (reports: RoundReport[]): string =>
    `${((100 * median(reports.map((r) => r.system))) / median(reports.map((r) => r.cpu))).toFixed(0)}%`;
  const ratios = ours.map((r, i) => r.cpu / (theirs[i]?.cpu ?? NaN));
  const spread = `${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}`;
  const mib = (n: number): string => `${(n / 1048576).toFixed(1)} MiB`;
  return (
    `${String(receivers).padStart(9)} ${String(deflate).padEnd(7)} ${String(size).padEnd(7)} | ` +
    `${a.toFixed(0).padStart(9)} ${sys(ours).padStart(4)} | ${b.toFixed(0).padStart(9)} ${sys(theirs).padStart(4)} | ` +
    `${(a / b).toFixed(2)} ${spread} | ` +
    `${mib(median(ours.map((r) => r.rss))).padStart(9)} | ${mib(median(theirs.map((r) => r.rss))).padStart(9)}` +
    ` | N=${rounds}\n`
  );
}

async function parent(): Promise<void> {
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  process.stdout.write(
    `websocket-broadcast: load average ${load}, ${REPS} reps, node ${process.version}\n`,
  );
  process.stdout.write(
    'receivers deflate size    | netrx µs  sys | ws µs     sys | ratio per-rep | netrx RSS |    ws RSS | rounds\n',
  );
  for (const receivers of RECEIVERS) {
    for (const deflate of DEFLATES) {
      const netrx = await startSide('netrx', deflate, receivers);
      const ws = await startSide('ws', deflate, receivers);
      for (const size of SIZES) {
        const rounds = roundsFor(size, Math.min(netrx.receivers, ws.receivers));
        const ours: RoundReport[] = [];
        const theirs: RoundReport[] = [];
        for (let rep = 0; rep < REPS; rep++) {
          ours.push(await round(netrx, size, rounds));
          theirs.push(await round(ws, size, rounds));
        }
        process.stdout.write(row(netrx.receivers, deflate, size, rounds, ours, theirs));
      }
      for (const side of [netrx, ws]) {
        side.reader.stop();
        side.server.stop();
      }
    }
  }
}

const [role, ...args] = process.argv.slice(2);
if (role === 'server') {
  await serverChild(args[0] as Stack, args[1] === 'true');
} else if (role === 'reader') {
  readerChild(Number(args[0]), Number(args[1]), args[2] === 'true');
} else {
  await parent();
}
