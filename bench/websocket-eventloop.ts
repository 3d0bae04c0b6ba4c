/**
 * Event-loop delay of a WebSocket server while one client floods it with
 * compressed bombs (issue 8, defect 10): does one peer's inflating stall
 * everyone else?
 *
 *   npm run bench -- websocket-eventloop
 *
 * The server (netrx, then `ws` as the anchor) runs in a child process with
 * permessage-deflate on and `maxPayload` 128 MiB, and measures its own
 * event-loop delay with `perf_hooks.monitorEventLoopDelay` (a 1 ms timer;
 * the histogram holds the intervals between its ticks, so the delay shown
 * is an interval minus that 1 ms: how late the loop was). A lean raw-TCP client (a child
 * process of its own) writes pre-built masked frames, one after the other as the socket
 * drains: each a DEFLATE stream of zeros, ~4 KiB inflating to 4 MiB and
 * ~64 KiB inflating to 64 MiB (WS_BENCH_BOMB_MIB); a second
 * client (the `ws` package) pings every 10 ms and records round-trip
 * times. Each stack runs WS_BENCH_SECONDS (default 5) seconds.
 *
 * Target: server event-loop delay p99 < 10 ms. This file is also the child
 * process: `websocket-eventloop.js server STACK`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { constants, deflateRawSync } from 'node:zlib';
import { WebSocket as WsSocket, WebSocketServer as WsServer } from 'ws';
import { WebSocketServer as NetrxServer } from '../src/node/websocket/index.js';

type Stack = 'netrx' | 'ws';
const HOST = '127.0.0.1';
const SECONDS = Number(process.env.WS_BENCH_SECONDS ?? 5);
const RESOLUTION_MS = 1;

interface Delay {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly messages: number;
}

/** Inflated sizes of the bombs, MiB (WS_BENCH_BOMB_MIB, comma-separated; default 4 and 64). */
const BOMB_MIB = (process.env.WS_BENCH_BOMB_MIB ?? '4,64').split(',').map(Number);

function runServer(stack: Stack): void {
  let messages = 0;
  const options = { port: 0, host: HOST, perMessageDeflate: true, maxPayload: 128 * 1024 * 1024 };
  const server = stack === 'netrx' ? new NetrxServer(options) : new WsServer(options);
  server.on('connection', (ws: { on(event: 'message', listener: () => void): void }) => {
    ws.on('message', () => messages++);
  });
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  // A plain timer beside it, as a cross-check: the gaps between its ticks.
  const gaps: number[] = [];
  let last = 0;
  let ticker: NodeJS.Timeout | undefined;
  server.on('listening', () => {
    const address = server.address() as { port: number };
    process.send?.({ port: address.port });
  });
  process.on('message', (command: string) => {
    if (command === 'start') {
      histogram.reset();
      histogram.enable();
      last = performance.now();
      ticker = setInterval(() => {
        const now = performance.now();
        gaps.push(now - last - RESOLUTION_MS);
        last = now;
      }, RESOLUTION_MS);
    } else if (command === 'stop') {
      histogram.disable();
      clearInterval(ticker);
      gaps.sort((a, b) => a - b);
      process.stderr.write(
        `  [${stack} timer cross-check: ${gaps.length} ticks, p50 ${(gaps[gaps.length >> 1] ?? 0).toFixed(1)} ms, ` +
          `p99 ${(gaps[Math.floor(gaps.length * 0.99)] ?? 0).toFixed(1)} ms, max ${(gaps[gaps.length - 1] ?? 0).toFixed(1)} ms]\n`,
      );
      const ms = (ns: number): number => Math.max(0, ns / 1e6 - RESOLUTION_MS);
      const delay: Delay = {
        p50: ms(histogram.percentile(50)),
        p99: ms(histogram.percentile(99)),
        max: ms(histogram.max),
        messages,
      };
      process.send?.(delay, () => process.exit(0));
    }
  });
}

/** A masked, compressed binary frame (mask key 0: the payload goes as is). */
function bombFrame(inflatedBytes: number): Buffer {
  const compressed = deflateRawSync(Buffer.alloc(inflatedBytes), {
    finishFlush: constants.Z_SYNC_FLUSH,
  });
  const payload = compressed.subarray(0, compressed.length - 4); // RFC 7692: drop 00 00 ff ff
  const header = Buffer.alloc(14);
  header[0] = 0xc2; // FIN, RSV1 (compressed), binary
  header[1] = 0x80 | 127;
  header.writeBigUInt64BE(BigInt(payload.length), 2);
  // Bytes 10-13: the mask key, zero.
  return Buffer.concat([header, payload]);
}

async function flooder(port: number, frame: Buffer): Promise<() => void> {
  const socket: Socket = connect(port, HOST);
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  socket.write(
    `GET / HTTP/1.1\r\nHost: ${HOST}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n' +
      'Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n',
  );
  await once(socket, 'data');
  let running = true;
  const pump = (): void => {
    while (running && socket.write(frame));
    if (running) socket.once('drain', pump);
  };
  pump();
  return () => {
    running = false;
    socket.destroy();
  };
}

async function pinger(port: number): Promise<{ stop(): number[] }> {
  const ws = new WsSocket(`ws://${HOST}:${port}/`, { perMessageDeflate: false });
  ws.on('error', () => undefined);
  await once(ws, 'open');
  const rtts: number[] = [];
  let sentAt = 0;
  ws.on('pong', () => rtts.push(performance.now() - sentAt));
  const timer = setInterval(() => {
    sentAt = performance.now();
    ws.ping();
  }, 10);
  return {
    stop() {
      clearInterval(timer);
      ws.terminate();
      return rtts;
    },
  };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;
}

/** The flooding client, in a process of its own so it does not delay the pinger's timer. */
async function runFlooder(port: number, mib: number): Promise<void> {
  await flooder(port, bombFrame(mib * 1024 * 1024));
  process.send?.('flooding');
}

async function measure(stack: Stack, mib: number): Promise<void> {
  const file = fileURLToPath(import.meta.url);
  const child: ChildProcess = fork(file, ['server', stack], { execArgv: [] });
  const [{ port }] = (await once(child, 'message')) as [{ port: number }];
  const ping = await pinger(port);
  const flood = fork(file, ['flood', String(port), String(mib)], { execArgv: [] });
  await once(flood, 'message');
  const stopFlood = (): void => void flood.kill();
  await new Promise((resolve) => setTimeout(resolve, 500));
  child.send('start');
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  const delayPromise = once(child, 'message');
  child.send('stop');
  const [delay] = (await delayPromise) as [Delay];
  const rtts = ping.stop();
  stopFlood();
  await once(child, 'exit');
  process.stdout.write(
    `${stack.padEnd(6)} event-loop delay p50 ${delay.p50.toFixed(1)} ms, p99 ${delay.p99.toFixed(1)} ms, ` +
      `max ${delay.max.toFixed(1)} ms; ping RTT p50 ${percentile(rtts, 50).toFixed(1)} ms, ` +
      `p99 ${percentile(rtts, 99).toFixed(1)} ms (${rtts.length} pongs); ` +
      `${delay.messages} bombs of ${mib} MiB inflated\n`,
  );
}

async function main(): Promise<void> {
  process.stdout.write('target: server event-loop delay p99 < 10 ms\n');
  for (const mib of BOMB_MIB) {
    const frame = bombFrame(mib * 1024 * 1024);
    process.stdout.write(
      `flood: frames of ${(frame.length / 1024).toFixed(0)} KiB inflating to ${mib} MiB\n`,
    );
    for (const stack of ['netrx', 'ws'] as const) await measure(stack, mib);
  }
}

if (process.argv[2] === 'server') runServer(process.argv[3] as Stack);
else if (process.argv[2] === 'flood')
  await runFlooder(Number(process.argv[3]), Number(process.argv[4]));
else await main();
