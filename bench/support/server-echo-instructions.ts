/**
 * One echo server in this process and the lean client in a child process,
 * for instruction counts of the server alone under callgrind (the child is
 * a separate `node` that valgrind does not follow), or for its CPU time:
 *
 *   valgrind --tool=callgrind --callgrind-out-file=OUT node --predictable \
 *     dist-bench/bench/support/server-echo-instructions.js KIND ECHOES [SIZE] [CONNS] [ROOT]
 *
 * KIND is `netrx` (`echoConnection`), `netrx-buffer` (`ws.on('message', d
 * => ws.send(d))` on netrx's `WebSocketServer`), `ws` (the same handler on
 * ws + bufferutil) or `floor-native` (bench/support/floor-echo-server.ts).
 * ECHOES is how many SIZE-byte binary messages (default 1 MiB) the client
 * gets back over CONNS connections (default 1), 2 in flight on each. ROOT
 * is the netrx build to load (a `dist-bench` folder; default this one), so
 * two builds compare under the same harness. Run it twice, with a small and
 * a large ECHOES: the difference in instructions over the difference in
 * echoes is the server's steady-state cost per echo, without start-up and
 * warm-up (docs/performance.md, "The ws-like Buffer echo").
 *
 * Without valgrind it prints the process's user and system CPU time per
 * echo over the echoes after the first tenth (`process.cpuUsage`).
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { WebSocketServer as WsServer } from 'ws';
import type * as NodeWebSocket from '../../src/node/websocket/index.js';
import { floorEchoServer } from './floor-echo-server.js';
import { leanEchoClients, maskedBinaryFrame } from './lean-ws-client.js';

const HOST = '127.0.0.1';
const here = fileURLToPath(new URL('.', import.meta.url));

type Kind = 'netrx' | 'netrx-buffer' | 'netrx-concat' | 'ws' | 'floor-native';
const KINDS: readonly string[] = ['netrx', 'netrx-buffer', 'netrx-concat', 'ws', 'floor-native'];

async function listen(kind: Kind, root: string): Promise<number> {
  if (kind === 'floor-native') return (await floorEchoServer(HOST, 'native')).port;
  if (kind === 'ws') {
    const server = new WsServer({ port: 0, host: HOST, perMessageDeflate: false });
    server.on('connection', (ws) => {
      ws.on('message', (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary }));
    });
    await once(server, 'listening');
    return (server.address() as AddressInfo).port;
  }
  const netrx = (await import(
    pathToFileURL(join(root, 'src/node/websocket/index.js')).href
  )) as typeof NodeWebSocket;
  const server = new netrx.WebSocketServer({ port: 0, host: HOST, perMessageDeflate: false });
  server.on('connection', (ws: NodeWebSocket.WebSocket) => {
    if (kind === 'netrx') netrx.echoConnection(ws);
    else if (kind === 'netrx-concat') {
      // The pieces path, gathered by the application as ws gathers (Buffer.concat).
      ws.binaryType = 'fragments';
      ws.on('message', (data: Buffer | Buffer[], isBinary: boolean) =>
        ws.send(Array.isArray(data) ? Buffer.concat(data) : data, { binary: isBinary }),
      );
    } else
      ws.on('message', (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary }));
  });
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** The child: echoes until `echoes` came back, telling the parent at a tenth and at the end. */
async function clientMain(port: number, echoes: number, size: number, conns: number) {
  const frame = maskedBinaryFrame(new Uint8Array(size).map((_, i) => (i * 7) & 0xff));
  let count = 0;
  const warm = Math.ceil(echoes / 10);
  const connections = await leanEchoClients(HOST, port, conns, 2, frame, (n) => {
    const before = count;
    count += n;
    if (before < warm && count >= warm) process.send?.('warm');
    if (before < echoes && count >= echoes) {
      process.send?.('done');
      for (const c of connections) c.socket.destroy();
      process.disconnect?.();
    }
  });
}

/**
 * Counts the socket reads pushed into streams (ECHO_COUNT_READS=1), and the
 * short ones: Node copies a read shorter than its 64 KiB buffer into a
 * fresh, zeroed allocation of its own (docs/performance.md).
 */
function countReads(): { all: number; short: number } {
  const counts = { all: 0, short: 0 };
  const push = Readable.prototype.push;
  Readable.prototype.push = function (this: Readable, chunk: unknown, encoding?: BufferEncoding) {
    if (chunk instanceof Uint8Array && chunk.length > 1024) {
      counts.all++;
      if (chunk.length < 65536) counts.short++;
    }
    return push.call(this, chunk, encoding);
  };
  return counts;
}

async function main(): Promise<void> {
  const [role, ...rest] = process.argv.slice(2);
  if (role === 'client') {
    const [port, echoes, size, conns] = rest.map(Number) as [number, number, number, number];
    await clientMain(port, echoes, size, conns);
    return;
  }
  const kind = role as Kind;
  if (!KINDS.includes(kind)) throw new Error(`KIND is one of ${KINDS.join(', ')}`);
  const echoes = Number(rest[0] ?? 200);
  const size = Number(rest[1] ?? 1024 * 1024);
  const conns = Number(rest[2] ?? 1);
  const root = resolve(rest[3] ?? join(here, '..', '..'));
  const reads = process.env['ECHO_COUNT_READS'] === '1' ? countReads() : undefined;
  const port = await listen(kind, root);
  const client = fork(
    fileURLToPath(import.meta.url),
    ['client', String(port), String(echoes), String(size), String(conns)],
    { execArgv: [] },
  );
  let start: NodeJS.CpuUsage | undefined;
  client.on('message', (m) => {
    if (m === 'warm') {
      start = process.cpuUsage();
      // Marks the window's start in V8's --trace-opt / --trace-gc output.
      if (process.env['ECHO_MARK'] === '1') process.stdout.write('=== window starts\n');
    }
    if (m !== 'done' || start === undefined) return;
    const used = process.cpuUsage(start);
    const counted = echoes - Math.ceil(echoes / 10);
    if (reads !== undefined) {
      process.stdout.write(
        `reads per echo (all the run): ${(reads.all / echoes).toFixed(2)}, short (under 64 KiB) ${(reads.short / echoes).toFixed(2)}\n`,
      );
    }
    const per = (us: number) => (us / counted).toFixed(1);
    process.stdout.write(
      `${kind} ${root}: ${echoes} echoes of ${size} B over ${conns} connection(s); ` +
        `server µs per echo after the first tenth: user ${per(used.user)} system ${per(used.system)}\n`,
    );
    process.exit(0);
  });
  client.on('exit', (code) => {
    if (code !== 0) process.exit(1);
  });
}

await main();
