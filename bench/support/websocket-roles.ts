/**
 * The child processes of bench/websocket.ts: the payloads the clients send,
 * the echo server (`websocket.js server KIND DEFLATE`), the echo clients
 * (`websocket.js client …`, STACK `lean` for the lean client) and the holder
 * of idle connections for the memory case (`websocket.js hold PORT COUNT`).
 * bench/websocket.ts dispatches its arguments here; the parent's cases and
 * the report stay there.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocket as WsSocket, WebSocketServer as WsServer } from 'ws';
import {
  echoConnection,
  WebSocket as NetrxSocket,
  WebSocketServer as NetrxServer,
} from '../../src/node/websocket/index.js';
import { floorEchoServer } from './floor-echo-server.js';
import { leanEchoClients, maskedBinaryFrame } from './lean-ws-client.js';
import { fail, tell, type Command, type Report } from './websocket-child.js';

export type Stack = 'netrx' | 'ws';
/**
 * A server: one of the stacks; `netrx-buffer`, netrx echoing as an
 * application written for ws would (one Buffer per message, not
 * `echoConnection`'s pieces); or a floor (bench/support/floor-echo-server.ts).
 * The last four run with the lean client only.
 */
export type ServerKind = Stack | 'netrx-buffer' | 'floor' | 'floor-js' | 'floor-native';
const FLOOR_UNMASK = { floor: 'none', 'floor-js': 'js', 'floor-native': 'native' } as const;
/** A client: one of the stacks, or the lean raw client (binary only, no deflate). */
export type ClientKind = Stack | 'lean';

export const HOST = '127.0.0.1';
export const WARMUP_MS = 1000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------
// Payloads

/** `size` bytes of JSON-like text (ASCII): records with varying numbers and repeated keys. */
function jsonText(size: number): Buffer {
  let seed = 0x2545f491;
  const next = (n: number): number => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed % n;
  };
  const words = ['update', 'create', 'delete', 'login', 'logout', 'purchase', 'view', 'share'];
  const colours = ['red', 'green', 'blue', 'amber', 'violet', 'teal'];
  const parts: string[] = ['['];
  let length = 1;
  for (let id = 1; length < size; id++) {
    const record =
      `{"id":${id},"user":"user_${next(5000)}","event":"${words[next(words.length)]}",` +
      `"ts":${1732160000000 + next(1e9)},"price":${next(100000) / 100},` +
      `"tags":["${colours[next(colours.length)]}","${colours[next(colours.length)]}"],` +
      `"ok":${next(2) === 0 ? 'true' : 'false'}},`;
    parts.push(record);
    length += record.length;
  }
  const text = parts.join('').slice(0, size - 1) + ']';
  return Buffer.from(text, 'latin1');
}

/**
 * The messages a client cycles through, all `size` bytes. Text comes as up
 * to 256 different slices of one JSON-like document (256 KiB in all, far
 * more than deflate's 32 KiB window), so that compression with context
 * takeover cannot just point back at the previous, identical message.
 */
function payloads(size: number, text: boolean): Buffer[] {
  if (!text) return [randomBytes(size)];
  const count = Math.max(1, Math.min(256, Math.floor((256 * 1024) / size)));
  const whole = jsonText(size * count);
  return Array.from({ length: count }, (_, i) => whole.subarray(i * size, (i + 1) * size));
}

// ---------------------------------------------------------------------------
// Child: echo server

export async function serverMain(stack: ServerKind, deflate: boolean): Promise<void> {
  let connections = 0;
  let address: AddressInfo;
  let floorConnections: (() => number) | undefined;
  if (stack === 'floor' || stack === 'floor-js' || stack === 'floor-native') {
    const floor = await floorEchoServer(HOST, FLOOR_UNMASK[stack]);
    floorConnections = floor.connections;
    address = { address: HOST, family: 'IPv4', port: floor.port };
  } else if (stack === 'netrx' || stack === 'netrx-buffer') {
    const server = new NetrxServer({ port: 0, host: HOST, perMessageDeflate: deflate });
    server.on('connection', (ws: NetrxSocket) => {
      connections++;
      if (stack === 'netrx') {
        echoConnection(ws);
        return;
      }
      // What an application written for ws does: one Buffer per message (gathered), sent back.
      ws.on('message', (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary }));
    });
    await once(server, 'listening');
    address = server.address() as AddressInfo;
  } else {
    const server = new WsServer({ port: 0, host: HOST, perMessageDeflate: deflate });
    server.on('connection', (ws) => {
      connections++;
      ws.on('message', (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary }));
    });
    await once(server, 'listening');
    address = server.address() as AddressInfo;
  }
  const usage = (): Report => {
    const resources = process.resourceUsage();
    const memory = process.memoryUsage();
    return {
      type: 'usage',
      cpu: resources.userCPUTime + resources.systemCPUTime,
      user: resources.userCPUTime,
      system: resources.systemCPUTime,
      minorFaults: resources.minorPageFault,
      at: performance.now(),
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      external: memory.external,
      connections: floorConnections?.() ?? connections,
    };
  };
  process.on('message', (command: Command) => {
    switch (command.type) {
      case 'usage':
        tell(usage());
        return;
      case 'gc-usage':
        void (async () => {
          for (let i = 0; i < 4; i++) {
            globalThis.gc?.();
            await sleep(50);
          }
          tell(usage());
        })();
        return;
      default:
        return; // 'exit' is handled for every role at the bottom of this file
    }
  });
  tell({ type: 'ready', port: address.port });
}

// ---------------------------------------------------------------------------
// Child: echo client

interface Endpoint {
  send(): void;
  close(): void;
}

async function connectClient(
  stack: Stack,
  url: string,
  deflate: boolean,
  messages: readonly Buffer[],
  binary: boolean,
  onMessage: (data: Buffer) => void,
): Promise<Endpoint> {
  let next = 0;
  const pick = (): Buffer => messages[next++ % messages.length]!;
  if (stack === 'netrx') {
    const ws = new NetrxSocket(url, { perMessageDeflate: deflate });
    ws.on('message', onMessage);
    ws.on('error', fail);
    await once(ws, 'open');
    return { send: () => void ws.send(pick(), { binary }), close: () => ws.terminate() };
  }
  const ws = new WsSocket(url, { perMessageDeflate: deflate });
  ws.on('message', onMessage);
  ws.on('error', fail);
  await once(ws, 'open');
  return { send: () => ws.send(pick(), { binary }), close: () => ws.terminate() };
}

/** The lean client: `connections` raw connections, `inflight` pre-built frames each. */
async function leanClientMain(
  bytes: number,
  inflight: number,
  connections: number,
  countMs: number,
): Promise<void> {
  const frame = maskedBinaryFrame(randomBytes(bytes));
  const port = await new Promise<number>((resolve) => {
    process.on('message', (command: Command) => {
      if (command.type === 'connect') resolve(command.port);
    });
  });
  let received = 0;
  const open = await leanEchoClients(HOST, port, connections, inflight, frame, (n) => {
    received += n;
  });
  await sleep(WARMUP_MS);
  const received0 = received;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  tell({ type: 'window-start' });
  await sleep(countMs);
  const received1 = received;
  const t1 = performance.now();
  const cpu1 = process.cpuUsage(cpu0);
  tell({ type: 'window-end' });
  const seconds = (t1 - t0) / 1000;
  // Every echo must have carried the whole message (its headers say how much).
  const wrongSize = open.reduce((sum, c) => sum + c.counter.wrongSize, 0);
  tell({
    type: 'result',
    received: received1 - received0,
    seconds,
    cpu: (cpu1.user + cpu1.system) / 1e6 / seconds,
    wrongSize,
  });
  for (const c of open) c.socket.destroy();
}

export async function clientMain(args: string[]): Promise<void> {
  const [stack, size, inflight, text, deflate, countMs, connections] = args;
  const bytes = Number(size);
  if (stack === 'lean') {
    await leanClientMain(bytes, Number(inflight), Number(connections ?? 1), Number(countMs));
    return;
  }
  const messages = payloads(bytes, text === '1');
  // Started together with the server, to save time; the parent sends the port once it listens.
  const port = await new Promise<number>((resolve) => {
    process.on('message', (command: Command) => {
      if (command.type === 'connect') resolve(command.port);
    });
  });
  let received = 0;
  let wrongSize = 0;
  // Echoes only come after the first sends below, so `endpoint` is set by then.
  const endpoint: Endpoint = await connectClient(
    stack as Stack,
    `ws://${HOST}:${port}/`,
    deflate === '1',
    messages,
    text !== '1',
    (message: Buffer): void => {
      received++;
      if (message.length !== bytes) wrongSize++;
      endpoint.send();
    },
  );
  for (let i = 0; i < Number(inflight); i++) endpoint.send();
  await sleep(WARMUP_MS);
  const received0 = received;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  tell({ type: 'window-start' });
  await sleep(Number(countMs));
  const received1 = received;
  const t1 = performance.now();
  const cpu1 = process.cpuUsage(cpu0);
  tell({ type: 'window-end' });
  const seconds = (t1 - t0) / 1000;
  tell({
    type: 'result',
    received: received1 - received0,
    seconds,
    cpu: (cpu1.user + cpu1.system) / 1e6 / seconds,
    wrongSize,
  });
  endpoint.close();
}

// ---------------------------------------------------------------------------
// Child: holds idle connections (ws client, deflate off) for the memory case

export async function holdMain(port: number, count: number): Promise<void> {
  const url = `ws://${HOST}:${port}/`;
  const sockets: WsSocket[] = [];
  let opened = 0;
  let failed = 0;
  let firstError = '';
  let started = 0;
  await new Promise<void>((resolve) => {
    let active = 0;
    const pump = (): void => {
      while (active < 100 && started < count) {
        started++;
        active++;
        const ws = new WsSocket(url, { perMessageDeflate: false });
        const settle = (ok: boolean, error?: Error): void => {
          active--;
          if (ok) opened++;
          else {
            failed++;
            if (firstError === '') firstError = error?.message ?? 'closed';
          }
          if (opened + failed === count) resolve();
          else pump();
        };
        ws.once('open', () => {
          sockets.push(ws);
          ws.off('error', onError);
          ws.on('error', () => {});
          settle(true);
        });
        const onError = (error: Error): void => settle(false, error);
        ws.once('error', onError);
      }
    };
    pump();
  });
  tell({ type: 'held', opened, failed, firstError });
  process.on('message', (command: Command) => {
    if (command.type !== 'echo-once') return;
    const data = randomBytes(command.size);
    let waiting = sockets.length;
    for (const ws of sockets) {
      ws.once('message', () => {
        if (--waiting === 0) tell({ type: 'echoed' });
      });
      ws.send(data);
    }
  });
}
