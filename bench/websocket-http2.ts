/**
 * WebSockets over HTTP/2 (RFC 8441) against HTTP/1.1 upgrades, both over
 * TLS, on one netrx server (a `node:http2` secure server with `allowHTTP1`,
 * one port), in the same run.
 *
 *   npm run bench -- websocket-http2
 *
 * The server is a child process (echoing with `echoConnection`) that
 * reports its own CPU time (`process.cpuUsage`) on request; the client is
 * this process. Protocols alternate, H2_BENCH_REPS times (default 3);
 * medians are shown.
 *
 * 1. Echo: one WebSocket, H2_BENCH_MESSAGES (default 20,000) binary
 *    messages of 1 KiB, 64 in flight. Reported: server and client CPU µs
 *    per message (user + system), and messages per second (wall clock:
 *    indicative only on a loaded machine). The anchor row is the `ws`
 *    package's server (8.23.0, on an `https` server with the same
 *    certificate, in the same child) echoing over HTTP/1.1 to the same
 *    netrx client.
 * 2. Connection setup, H2_BENCH_SETUPS (default 50) WebSockets opened one
 *    after another and closed: over HTTP/1.1 each is a new TCP connection,
 *    TLS handshake and upgrade; over HTTP/2 each is a new stream (an
 *    extended CONNECT) on the warm session of an `Http2WebSocketAgent`.
 *    Reported: median milliseconds from `new WebSocket` to `'open'`, and
 *    server and client CPU µs per setup.
 * 3. Cold HTTP/2 setup, the same count: each WebSocket through a fresh
 *    `Http2WebSocketAgent`, so each pays TCP + TLS + the wait for the
 *    server's SETTINGS + the extended CONNECT, the fair row beside cold
 *    HTTP/1.1 (the warm row is what a reused session saves).
 *
 * H2_BENCH_SERVER_ARGS (space-separated) goes to the server child's node,
 * e.g. `--cpu-prof --cpu-prof-dir=/tmp/x`: the child exits cleanly when
 * its stdin ends, so the profile is written.
 *
 * This file is also the server child: `websocket-http2.js server`.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { createSecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createDemoCertificates, DEMO_SERVER_NAME } from '../src/node/certs/index.js';
import {
  echoConnection,
  Http2WebSocketAgent,
  WebSocket,
  WebSocketServer,
  type ClientOptions,
} from '../src/node/websocket/index.js';
import { WebSocketServer as WsServer } from 'ws';

type Protocol = 'http/1.1' | 'h2';
type EchoCase = Protocol | 'ws (http/1.1)';

const env = process.env;
const REPS = Number(env.H2_BENCH_REPS ?? 3);
const MESSAGES = Number(env.H2_BENCH_MESSAGES ?? 20_000);
const SETUPS = Number(env.H2_BENCH_SETUPS ?? 50);
const IN_FLIGHT = 64;

function say(message: unknown): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

function cpuMicros(usage: NodeJS.CpuUsage): number {
  return usage.user + usage.system;
}

async function serverChild(): Promise<void> {
  const certs = createDemoCertificates();
  const http2Server = createSecureServer({
    cert: certs.server.certPem,
    key: certs.server.keyPem,
    allowHTTP1: true,
    settings: { enableConnectProtocol: true },
  });
  await new Promise<void>((r) => http2Server.listen(0, '127.0.0.1', r));
  const wss = new WebSocketServer({ server: http2Server, http2Server });
  wss.on('connection', echoConnection);
  // The anchor: ws's own server, echoing as its README does.
  const httpsServer = createHttpsServer({ cert: certs.server.certPem, key: certs.server.keyPem });
  await new Promise<void>((r) => httpsServer.listen(0, '127.0.0.1', r));
  new WsServer({ server: httpsServer }).on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  say({
    port: (http2Server.address() as AddressInfo).port,
    wsPort: (httpsServer.address() as AddressInfo).port,
    ca: certs.ca.certPem,
  });
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'cpu') say({ cpu: cpuMicros(process.cpuUsage()) });
  }
  // stdin ended: exit (not killed) so a --cpu-prof profile is written.
  process.exit(0);
}

// ---------------------------------------------------------------------------
// Parent: the client

class Server {
  private readonly lines: AsyncIterator<string>;
  private readonly child = spawn(
    process.execPath,
    [...(env.H2_BENCH_SERVER_ARGS?.split(' ') ?? []), fileURLToPath(import.meta.url), 'server'],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );

  constructor() {
    this.lines = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }

  async next<T>(): Promise<T> {
    const line: IteratorResult<string> = await this.lines.next();
    if (line.done === true) throw new Error('server ended');
    return JSON.parse(line.value) as T;
  }

  async cpu(): Promise<number> {
    this.child.stdin.write('cpu\n');
    return (await this.next<{ cpu: number }>()).cpu;
  }

  stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end();
    return exited;
  }
}

function opened(ws: WebSocket): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function closed(ws: WebSocket): Promise<void> {
  return new Promise((resolve) => ws.once('close', () => resolve()));
}

async function echo(ws: WebSocket, messages: number): Promise<void> {
  const payload = Buffer.alloc(1024, 7);
  let sent = 0;
  let received = 0;
  await new Promise<void>((resolve) => {
    ws.on('message', () => {
      received++;
      if (sent < messages) {
        ws.send(payload);
        sent++;
      }
      if (received === messages) resolve();
    });
    for (; sent < Math.min(IN_FLIGHT, messages); sent++) ws.send(payload);
  });
  ws.removeAllListeners('message');
}

interface Figures {
  serverCpu: number;
  clientCpu: number;
  value: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function parent(): Promise<void> {
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  process.stdout.write(
    `websocket-http2: load average ${load}, ${REPS} reps, node ${process.version}\n`,
  );
  const server = new Server();
  const { port, wsPort, ca } = await server.next<{ port: number; wsPort: number; ca: string }>();
  const url = `wss://127.0.0.1:${port}/`;
  const wsUrl = `wss://127.0.0.1:${wsPort}/`;
  const tls: ClientOptions = { ca, servername: DEMO_SERVER_NAME };
  const agent = new Http2WebSocketAgent({ idleTimeout: Infinity });
  const optionsFor = (protocol: Protocol): ClientOptions =>
    protocol === 'h2' ? { ...tls, http2: agent } : tls;
  // Warm the agent's session (and both code paths).
  for (const protocol of ['http/1.1', 'h2'] as const) {
    const ws = await opened(new WebSocket(url, optionsFor(protocol)));
    await echo(ws, 1000);
    const done = closed(ws);
    ws.close();
    await done;
  }

  const echoes: Record<EchoCase, Figures[]> = { 'http/1.1': [], h2: [], 'ws (http/1.1)': [] };
  {
    const ws = await opened(new WebSocket(wsUrl, tls));
    await echo(ws, 1000);
    const done = closed(ws);
    ws.close();
    await done;
  }
  const setups: Record<Protocol, Figures[]> = { 'http/1.1': [], h2: [] };
  const coldH2: Figures[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    echoes['ws (http/1.1)'].push(await echoRun(server, new WebSocket(wsUrl, tls)));
    for (const protocol of ['http/1.1', 'h2'] as const) {
      echoes[protocol].push(await echoRun(server, new WebSocket(url, optionsFor(protocol))));
      const times: number[] = [];
      const serverBefore = await server.cpu();
      const clientBefore = process.cpuUsage();
      for (let i = 0; i < SETUPS; i++) {
        const began = performance.now();
        const socket = await opened(new WebSocket(url, optionsFor(protocol)));
        times.push(performance.now() - began);
        const gone = closed(socket);
        socket.close();
        await gone;
      }
      setups[protocol].push({
        serverCpu: ((await server.cpu()) - serverBefore) / SETUPS,
        clientCpu: cpuMicros(process.cpuUsage(clientBefore)) / SETUPS,
        value: median(times),
      });
    }
    coldH2.push(await coldH2Setups(server, url, tls));
  }
  const row = (label: string, figures: Figures[], unit: string, digits: number): string =>
    `${label.padEnd(26)} | ${median(figures.map((f) => f.serverCpu))
      .toFixed(1)
      .padStart(10)} | ` +
    `${median(figures.map((f) => f.clientCpu))
      .toFixed(1)
      .padStart(10)} | ` +
    `${median(figures.map((f) => f.value)).toFixed(digits)} ${unit}\n`;
  process.stdout.write('case                       | server µs  | client µs  | wall\n');
  process.stdout.write(row('echo 1 KiB, http/1.1', echoes['http/1.1'], 'msg/s', 0));
  process.stdout.write(row('echo 1 KiB, h2', echoes.h2, 'msg/s', 0));
  process.stdout.write(row('echo 1 KiB, ws 8.23 server', echoes['ws (http/1.1)'], 'msg/s', 0));
  process.stdout.write(row('setup, http/1.1 (TCP+TLS)', setups['http/1.1'], 'ms', 2));
  process.stdout.write(row('setup, h2 (new stream)', setups.h2, 'ms', 2));
  process.stdout.write(row('setup, h2 cold (TCP+TLS)', coldH2, 'ms', 2));
  const ratio = (a: Figures[], b: Figures[]): string =>
    (median(a.map((f) => f.serverCpu)) / median(b.map((f) => f.serverCpu))).toFixed(2);
  process.stdout.write(
    `server CPU h2 / http/1.1: echo ${ratio(echoes.h2, echoes['http/1.1'])}, ` +
      `setup ${ratio(setups.h2, setups['http/1.1'])}, ` +
      `cold setup ${ratio(coldH2, setups['http/1.1'])}\n`,
  );
  process.stdout.write(
    `server CPU against ws: http/1.1 ${ratio(echoes['http/1.1'], echoes['ws (http/1.1)'])}, ` +
      `h2 ${ratio(echoes.h2, echoes['ws (http/1.1)'])}\n`,
  );
  agent.destroy();
  await server.stop();
}

/** One echo run on `connecting`, then its close: the server's and this process's CPU per message. */
async function echoRun(server: Server, connecting: WebSocket): Promise<Figures> {
  const ws = await opened(connecting);
  const serverBefore = await server.cpu();
  const clientBefore = process.cpuUsage();
  const start = performance.now();
  await echo(ws, MESSAGES);
  const seconds = (performance.now() - start) / 1000;
  const figures = {
    serverCpu: ((await server.cpu()) - serverBefore) / MESSAGES,
    clientCpu: cpuMicros(process.cpuUsage(clientBefore)) / MESSAGES,
    value: MESSAGES / seconds,
  };
  const done = closed(ws);
  ws.close();
  await done;
  return figures;
}

/** SETUPS WebSockets, each through its own fresh agent: TCP + TLS + SETTINGS + CONNECT. */
async function coldH2Setups(server: Server, url: string, tls: ClientOptions): Promise<Figures> {
  const times: number[] = [];
  const serverBefore = await server.cpu();
  const clientBefore = process.cpuUsage();
  for (let i = 0; i < SETUPS; i++) {
    const fresh = new Http2WebSocketAgent({ idleTimeout: Infinity });
    const began = performance.now();
    const socket = await opened(new WebSocket(url, { ...tls, http2: fresh }));
    times.push(performance.now() - began);
    const gone = closed(socket);
    socket.close();
    await gone;
    fresh.destroy();
  }
  return {
    serverCpu: ((await server.cpu()) - serverBefore) / SETUPS,
    clientCpu: cpuMicros(process.cpuUsage(clientBefore)) / SETUPS,
    value: median(times),
  };
}

if (process.argv[2] === 'server') await serverChild();
else await parent();
