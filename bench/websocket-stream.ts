/**
 * WebSocketStream against netrx's ws-like API, in the same run: the CPU
 * time per echoed message through each API, client and server in this one
 * process over loopback (so the figure is both ends' cost), rounds
 * interleaved so load drifts hit both alike.
 *
 *   npm run bench -- websocket-stream
 *
 * - ws-like: the client keeps WSS_BENCH_WINDOW (default 64) messages in
 *   flight, sending one per echo; the server echoes with `ws.send(data)`.
 * - WebSocketStream: the client writes through `writer.ready` (default
 *   high-water marks, 64 KiB each side) while reading the echoes; the server
 *   is `WebSocketStream.fromWebSocket(ws)` with `readable.pipeTo(writable)`.
 *
 * - ws-like, one send at a time ("serial"): the floor WebSocketStream's
 *   write semantics allow. A write resolves when its send completed (the
 *   socket's write callback) and WritableStream hands its sink the next
 *   chunk only then, so each message is its own socket write on each side;
 *   here the ws-like API does the same (client and server send the next
 *   message from the previous send's callback), which shows what the web
 *   streams themselves cost on top.
 *
 * Printed per message size: median user+system CPU µs per message over
 * WSS_BENCH_ROUNDS (default 5) rounds, the ratio stream/ws-like, and the
 * JS memory (heap + ArrayBuffers, after gc) held at the end of a round with
 * the connection still open. Nothing fails on speed.
 */
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer, WebSocketStream } from '../src/node/websocket/index.js';

const env = process.env;
const ROUNDS = Number(env['WSS_BENCH_ROUNDS'] ?? 5);
const WINDOW = Number(env['WSS_BENCH_WINDOW'] ?? 64);
const CASES: readonly { size: number; messages: number }[] = [
  { size: 16, messages: 20_000 },
  { size: 1024, messages: 20_000 },
  { size: 64 * 1024, messages: 2_000 },
];

type Api = 'ws-like' | 'serial' | 'stream';

const collect = (globalThis as { gc?: () => void }).gc;
/**
 * Heap + ArrayBuffers after gc, 200 ms and gc again: ArrayBuffer backing
 * stores are released after the collection that frees them, so a single
 * gc still counts just-freed copies (it read 29.8 MiB instead of 7.9 at
 * 64 KiB through WebSocketStream).
 */
async function heldBytes(): Promise<number> {
  collect?.();
  await new Promise((resolve) => setTimeout(resolve, 200));
  collect?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

async function server(api: Api): Promise<{ url: string; close(): Promise<void> }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => wss.once('listening', resolve));
  wss.on('connection', (ws: WebSocket) => {
    if (api === 'ws-like') {
      ws.on('message', (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary }));
      return;
    }
    if (api === 'serial') {
      serialEcho(ws);
      return;
    }
    const stream = WebSocketStream.fromWebSocket(ws);
    void stream.opened.then(({ readable, writable }) => readable.pipeTo(writable)).catch(() => {});
  });
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
}

/** Echoes each message once the previous echo's send completed, as pipeTo into a WebSocketStream does. */
function serialEcho(ws: WebSocket): void {
  const waiting: Buffer[] = [];
  let sending = false;
  const sendNext = (): void => {
    const next = waiting.shift();
    if (next === undefined) {
      sending = false;
      return;
    }
    ws.send(next, { binary: true }, sendNext);
  };
  ws.on('message', (data: Buffer) => {
    waiting.push(data);
    if (sending) return;
    sending = true;
    sendNext();
  });
}

/** The client side of 'serial': the next send from the previous one's callback. */
async function serialRound(
  url: string,
  payload: Uint8Array,
  total: number,
  trafficDone: () => void,
): Promise<number> {
  const ws = new WebSocket(url);
  await new Promise((resolve) => ws.once('open', resolve));
  let sent = 0;
  let received = 0;
  await new Promise<void>((resolve) => {
    ws.on('message', () => {
      if (++received === total) resolve();
    });
    const sendNext = (): void => {
      if (sent++ < total) ws.send(payload, sendNext);
    };
    sendNext();
  });
  trafficDone();
  const held = await heldBytes();
  const closed = new Promise((resolve) => ws.once('close', resolve));
  ws.close();
  await closed;
  return held;
}

/** A round runs the traffic, calls `trafficDone` (the CPU measure stops there), then measures what is held. */
async function wsLikeRound(
  url: string,
  payload: Uint8Array,
  total: number,
  trafficDone: () => void,
): Promise<number> {
  const ws = new WebSocket(url);
  await new Promise((resolve) => ws.once('open', resolve));
  let sent = 0;
  let received = 0;
  await new Promise<void>((resolve) => {
    ws.on('message', () => {
      received++;
      if (sent < total) {
        sent++;
        ws.send(payload);
      }
      if (received === total) resolve();
    });
    for (; sent < Math.min(WINDOW, total); sent++) ws.send(payload);
  });
  trafficDone();
  const held = await heldBytes();
  const closed = new Promise((resolve) => ws.once('close', resolve));
  ws.close();
  await closed;
  return held;
}

async function streamRound(
  url: string,
  payload: Uint8Array,
  total: number,
  trafficDone: () => void,
): Promise<number> {
  const stream = new WebSocketStream(url);
  const { readable, writable } = await stream.opened;
  const writer = writable.getWriter();
  const writing = (async () => {
    for (let i = 0; i < total; i++) {
      await writer.ready;
      void writer.write(payload);
    }
  })();
  const reader = readable.getReader();
  for (let i = 0; i < total; i++) await reader.read();
  await writing;
  trafficDone();
  const held = await heldBytes();
  stream.close();
  await stream.closed;
  return held;
}

async function measure(
  api: Api,
  size: number,
  total: number,
): Promise<{ cpuUs: number; held: number }> {
  const s = await server(api);
  const payload = new Uint8Array(size).fill(0x61);
  const start = process.cpuUsage();
  let used = { user: 0, system: 0 };
  const trafficDone = (): void => {
    used = process.cpuUsage(start);
  };
  const round = api === 'ws-like' ? wsLikeRound : api === 'serial' ? serialRound : streamRound;
  const held = await round(s.url, payload, total, trafficDone);
  await s.close();
  return { cpuUs: (used.user + used.system) / total, held };
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

async function main(): Promise<void> {
  const { loadavg } = await import('node:os');
  console.log(
    `WebSocketStream vs ws-like, ${ROUNDS} rounds, window ${WINDOW}, load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  console.log(
    'size      ws-like µs/msg  serial µs/msg  stream µs/msg  stream/ws-like  stream/serial  held ws-like  held stream',
  );
  for (const { size, messages } of CASES) {
    const results: Record<Api, { cpuUs: number[]; held: number[] }> = {
      'ws-like': { cpuUs: [], held: [] },
      serial: { cpuUs: [], held: [] },
      stream: { cpuUs: [], held: [] },
    };
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which goes first, so a drift in load is shared.
      const order: Api[] =
        round % 2 === 0 ? ['ws-like', 'serial', 'stream'] : ['stream', 'serial', 'ws-like'];
      for (const api of order) {
        const r = await measure(api, size, messages);
        results[api].cpuUs.push(r.cpuUs);
        results[api].held.push(r.held);
      }
    }
    const ws = median(results['ws-like'].cpuUs);
    const se = median(results.serial.cpuUs);
    const st = median(results.stream.cpuUs);
    const mib = (b: number): string => `${(b / 1048576).toFixed(1)} MiB`;
    const cells = [ws, se, st].map((v) => v.toFixed(2).padStart(14)).join(' ');
    console.log(
      `${String(size).padEnd(9)} ${cells} ${(st / ws).toFixed(2).padStart(15)} ${(st / se).toFixed(2).padStart(14)}  ${mib(median(results['ws-like'].held)).padStart(12)} ${mib(median(results.stream.held)).padStart(12)}`,
    );
  }
  console.log(
    `load after ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
}

await main();
