/**
 * Experiment (issue 8, "20,000 back-to-back sends stall"): N sends of 64 B
 * in one tight loop from a client, echoed by a server in the same process;
 * counts the echoes and reports whether all N came back within a limit.
 * Pairs: netrx client -> netrx server, ws client -> netrx server, netrx
 * client -> ws server, ws -> ws (the anchor); each with and without
 * permessage-deflate.
 *
 * Run: `npx tsc -p tsconfig.bench.json`, then
 * `node dist-bench/bench/experiments/websocket-send-stall.js` (COUNTS=5000,10000
 * PAIRS=netrx-netrx,ws-netrx LIMIT_MS=20000).
 */
import { Buffer } from 'node:buffer';
import type { AddressInfo } from 'node:net';
import { WebSocket as WsClient, WebSocketServer as WsServer } from 'ws';
import { createServer as createHttpsServer } from 'node:https';
import { createSecureServer } from 'node:http2';
import { WebSocket, WebSocketServer, echoConnection } from '../../src/node/websocket/index.js';
import { createDemoCertificates, DEMO_SERVER_NAME } from '../../src/node/certs/index.js';

/** tcp: ws://; tls: wss:// on an https server; h2: RFC 8441 streams; h1h2: HTTP/1.1 upgrade on an http2 server with allowHTTP1. */
const transport = process.env['TRANSPORT'] ?? 'tcp';
const useEchoConnection = process.env['ECHO'] === 'echoConnection';
const certs = createDemoCertificates();

type Side = 'netrx' | 'ws';
interface Outcome {
  readonly echoed: number;
  readonly ms: number;
  readonly cpuMs: number;
  readonly results: Record<string, number>;
}

const counts = (process.env['COUNTS'] ?? '5000,10000,20000,50000').split(',').map(Number);
const pairs = (process.env['PAIRS'] ?? 'netrx-netrx,ws-netrx,netrx-ws,ws-ws').split(',');
const limitMs = Number(process.env['LIMIT_MS'] ?? 20_000);
const payload = Buffer.alloc(64, 0x61);

async function startServer(side: Side, deflate: boolean): Promise<{ port: number; close(): void }> {
  if (side === 'netrx' && transport !== 'tcp') {
    const tlsOptions = { cert: certs.server.certPem, key: certs.server.keyPem };
    const server =
      transport === 'tls'
        ? createHttpsServer(tlsOptions)
        : createSecureServer({
            ...tlsOptions,
            allowHTTP1: true,
            settings: { enableConnectProtocol: true },
          });
    const wss =
      transport === 'tls'
        ? new WebSocketServer({ server: server, perMessageDeflate: deflate })
        : new WebSocketServer({
            http2Server: server as ReturnType<typeof createSecureServer>,
            ...(transport === 'h1h2' ? { server: server } : {}),
            perMessageDeflate: deflate,
          });
    wss.on('connection', (ws) => {
      if (useEchoConnection) echoConnection(ws);
      else ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    return {
      port,
      close: () => {
        wss.close();
        server.close();
      },
    };
  }
  if (side === 'netrx') {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: deflate });
    wss.on('connection', (ws) => {
      if (useEchoConnection) echoConnection(ws);
      else ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
    });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    const port = (wss.address() as AddressInfo).port;
    return { port, close: () => wss.close() };
  }
  const wss = new WsServer({ port: 0, host: '127.0.0.1', perMessageDeflate: deflate });
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
  });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const port = (wss.address() as AddressInfo).port;
  return { port, close: () => wss.close() };
}

async function run(client: Side, server: Side, deflate: boolean, n: number): Promise<Outcome> {
  const srv = await startServer(server, deflate);
  const secure = transport !== 'tcp';
  const url = `${secure ? 'wss' : 'ws'}://127.0.0.1:${srv.port}/`;
  const tls = secure ? { ca: certs.ca.certPem, servername: DEMO_SERVER_NAME } : {};
  const ws =
    client === 'netrx'
      ? new WebSocket(url, {
          perMessageDeflate: deflate,
          ...tls,
          ...(transport === 'h2' ? { http2: true } : {}),
        })
      : new WsClient(url, { perMessageDeflate: deflate, ...tls });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const results: Record<string, number> = {};
  let echoed = 0;
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  const done = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, limitMs);
    ws.on('message', () => {
      echoed += 1;
      if (echoed === n) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  for (let i = 0; i < n; i++) {
    const result: unknown = (ws.send as (d: Buffer, o: object) => unknown)(payload, {
      binary: true,
    });
    const key = String(result);
    results[key] = (results[key] ?? 0) + 1;
  }
  await done;
  const cpu = process.cpuUsage(cpu0);
  const ms = performance.now() - started;
  ws.terminate();
  srv.close();
  return { echoed, ms, cpuMs: (cpu.user + cpu.system) / 1000, results };
}

for (const pair of pairs) {
  const [client, server] = pair.split('-') as [Side, Side];
  for (const deflate of [false, true]) {
    for (const n of counts) {
      const o = await run(client, server, deflate, n);
      const status = o.echoed === n ? 'ok' : 'STALL';
      console.log(
        `${client} client -> ${server} server deflate=${deflate ? 'on ' : 'off'} N=${n}: ` +
          `${status} echoed ${o.echoed}/${n} in ${o.ms.toFixed(0)} ms, cpu ${o.cpuMs.toFixed(0)} ms, ` +
          `send results ${JSON.stringify(o.results)}`,
      );
    }
  }
}
console.log(
  `load average ${(await import('node:os'))
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
