/**
 * `WebSocketStream` against implementations nobody here wrote:
 *
 * - netrx's `WebSocketStream` client talks to a `ws` 8.23.0 echo server
 *   (npm devDependency), with and without permessage-deflate: a seeded
 *   random mix of text and binary messages (0 B to 200 KiB, several in
 *   flight) comes back byte for byte, and the close code is the one sent.
 * - Headless Chromium (Debian `chromium`, playwright-core) loads a page
 *   from a netrx HTTP/1.1 server and uses its own `WebSocketStream`
 *   against netrx's server side (`WebSocketStream.fromWebSocket`, echo
 *   through `pipeTo`), with and without permessage-deflate. Whether the
 *   installed browser exposes `WebSocketStream` depends on its version and
 *   flags (`--enable-experimental-web-platform-features` is passed): when
 *   it does not, the test prints a notice and is skipped, even under CI.
 *   Also: netrx's server-side writer stalls against a Chromium
 *   `WebSocketStream` that does not read (Chromium's own backpressure),
 *   every message then arrives in order, and a dropped connection rejects
 *   `closed` on both sides with a `WebSocketError` of 1006.
 *
 * The mix seed is printed; `NETRX_WSS_MIX_SEED=<seed>` replays a run.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer as WsServer } from 'ws';
import {
  WebSocketServer,
  WebSocketStream,
  type WebSocket,
} from '../../src/node/websocket/index.js';
import { requirePeers } from './support/peers.js';

/** Versions these expectations were checked with. */
const RECORDED = { ws: '8.23.0', chromium: '156.0.8078.129', playwrightCore: '1.65.1' };
const CHROMIUM = '/usr/bin/chromium';
const LAUNCH_TIMEOUT_MS = 90_000;

const peers = requirePeers('websocket-stream.test.ts', [
  { name: 'chromium', ok: () => existsSync(CHROMIUM), hint: 'apt-get install -y chromium' },
]);

const seed = Number(process.env.NETRX_WSS_MIX_SEED ?? Math.floor(Math.random() * 2 ** 31));

/** xorshift32: the mix is a function of the seed. */
function random(state: { x: number }): number {
  let x = state.x;
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  state.x = x >>> 0;
  return state.x / 2 ** 32;
}

/** Whole code points (a surrogate pair stays whole): 1 to 4 bytes of UTF-8 each. */
const TEXT_UNITS = ['a', 'é', '€', '🎉', ' ', 'n', 'e', 't', 'r', 'x'];

function mix(runSeed: number, count: number): (string | Uint8Array)[] {
  const state = { x: runSeed | 1 };
  const out: (string | Uint8Array)[] = [];
  for (let i = 0; i < count; i++) {
    const r = random(state);
    const size =
      r < 0.6
        ? Math.floor(random(state) * 200)
        : r < 0.9
          ? 1000 + Math.floor(random(state) * 4000)
          : 200 * 1024;
    if (random(state) < 0.5) {
      let text = '';
      for (let j = 0; j < size; j++)
        text += TEXT_UNITS[Math.floor(random(state) * TEXT_UNITS.length)];
      out.push(text);
    } else {
      const bytes = new Uint8Array(size);
      for (let j = 0; j < size; j++) bytes[j] = j & 1 ? Math.floor(random(state) * 256) : 7;
      out.push(bytes);
    }
  }
  return out;
}

const asComparable = (m: string | Uint8Array): string =>
  typeof m === 'string'
    ? `text:${m}`
    : `binary:${m.byteLength}:${Buffer.from(m).toString('base64')}`;

describe('netrx WebSocketStream client <-> ws 8.23.0 server', () => {
  let wss: WsServer;
  let url = '';
  beforeAll(async () => {
    console.info(`peers: ws ${RECORDED.ws}; mix seed ${seed} (NETRX_WSS_MIX_SEED replays it)`);
    wss = new WsServer({ port: 0, host: '127.0.0.1', perMessageDeflate: true });
    await new Promise((resolve) => wss.once('listening', resolve));
    wss.on('connection', (ws) => {
      ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
    });
    url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    for (const client of wss.clients) client.terminate();
    await new Promise((resolve) => wss.close(resolve));
  });

  it.each([false, true])(
    'echoes a random mix byte for byte (client deflate %s)',
    async (deflate) => {
      const messages = mix(seed + (deflate ? 1 : 0), 60);
      const stream = new WebSocketStream(url, {
        perMessageDeflate: deflate,
        readableHighWaterMark: 4096,
      });
      const { readable, writable, extensions } = await stream.opened;
      if (deflate) expect(extensions).toMatch(/^permessage-deflate\b/);
      else expect(extensions).toBe('');
      const writer = writable.getWriter();
      const reader = readable.getReader();
      const writing = (async () => {
        for (const m of messages) {
          await writer.ready;
          void writer.write(m);
        }
        await writer.ready;
      })();
      const got: (string | Uint8Array)[] = [];
      while (got.length < messages.length) {
        const { value, done } = await reader.read();
        if (done) break;
        got.push(value);
      }
      await writing;
      expect(got.map(asComparable)).toEqual(messages.map(asComparable));
      stream.close({ closeCode: 4321, reason: 'mix done' });
      expect(await stream.closed).toEqual({ closeCode: 4321, reason: 'mix done' });
      expect(await reader.read()).toEqual({ value: undefined, done: true });
    },
  );
});

interface PageReport {
  readonly available: boolean;
  readonly protocol?: string;
  readonly extensions?: string;
  readonly echoes?: readonly { index: number; equal: boolean }[];
  readonly closed?: { closeCode: number; reason: string };
}

/** Runs in the page: Chromium's own WebSocketStream, echoing a mix, then closing. */
async function streamInPage(args: { url: string; seed: number }): Promise<PageReport> {
  interface PageStream {
    readonly opened: Promise<{
      readable: ReadableStream<string | ArrayBuffer>;
      writable: WritableStream<string | Uint8Array>;
      protocol: string;
      extensions: string;
    }>;
    readonly closed: Promise<{ closeCode: number; reason: string }>;
    close(info: { closeCode: number; reason: string }): void;
  }
  const scope = globalThis as unknown as {
    WebSocketStream?: new (url: string, options: { protocols: string[] }) => PageStream;
  };
  const Ctor = scope.WebSocketStream;
  if (Ctor === undefined) return { available: false };
  const stream = new Ctor(args.url, { protocols: ['netrx-test'] });
  const { readable, writable, protocol, extensions } = await stream.opened;
  let x = args.seed | 1;
  const next = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  const messages: (string | Uint8Array)[] = [];
  for (let i = 0; i < 40; i++) {
    const size = next() < 0.8 ? Math.floor(next() * 300) : 100_000 + Math.floor(next() * 100_000);
    if (next() < 0.5) messages.push('κόσμε ✓ '.repeat(Math.ceil(size / 8)).slice(0, size));
    else messages.push(new Uint8Array(size).map((_, j) => (j * 31 + i) & 0xff));
  }
  const writer = writable.getWriter();
  const reader = readable.getReader();
  const writing = (async () => {
    for (const m of messages) {
      await writer.ready;
      void writer.write(m);
    }
  })();
  const echoes: { index: number; equal: boolean }[] = [];
  for (const [index, sent] of messages.entries()) {
    const { value } = await reader.read();
    let equal: boolean;
    if (typeof sent === 'string') equal = value === sent;
    else {
      const view = value instanceof Uint8Array ? value : new Uint8Array(value as ArrayBuffer);
      equal =
        typeof value !== 'string' &&
        view.length === sent.length &&
        view.every((b, j) => b === sent[j]);
    }
    echoes.push({ index, equal });
  }
  await writing;
  stream.close({ closeCode: 4000, reason: 'page done' });
  return { available: true, protocol, extensions, echoes, closed: await stream.closed };
}

describe.skipIf(peers.skip)("headless Chromium's WebSocketStream <-> netrx fromWebSocket", () => {
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  let httpServer: Server;
  const servers: WebSocketServer[] = [];
  let origin = '';
  const closes: { code: number; reason: string }[] = [];
  let stallServer: WebSocketStream | undefined;
  let stallRaw: WebSocket | undefined;

  beforeAll(async () => {
    httpServer = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end('<!doctype html><title>netrx WebSocketStream interop</title>');
    });
    const stall = new WebSocketServer({ noServer: true, path: '/stall' });
    stall.on('connection', (ws: WebSocket) => {
      stallRaw = ws;
      stallServer = WebSocketStream.fromWebSocket(ws);
    });
    servers.push(stall);
    for (const [path, perMessageDeflate] of [
      ['/plain', false],
      ['/deflate', true],
    ] as const) {
      // noServer, routed below: two servers given `server` would each answer every upgrade
      // (the other path gets a 400 written into the same socket), as with ws.
      const wss = new WebSocketServer({
        noServer: true,
        path,
        perMessageDeflate,
        handleProtocols: (offered) => (offered.has('netrx-test') ? 'netrx-test' : false),
      });
      wss.on('connection', (ws: WebSocket) => {
        ws.once('close', (code: number, reason: Buffer) =>
          closes.push({ code, reason: reason.toString() }),
        );
        const stream = WebSocketStream.fromWebSocket(ws);
        void stream.opened
          .then(({ readable, writable }) => readable.pipeTo(writable))
          .catch(() => {});
      });
      servers.push(wss);
    }
    httpServer.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      const wss = servers.find((server) => server.shouldHandle(request));
      if (wss === undefined) socket.destroy();
      else wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
    });
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    origin = `127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
    profile = mkdtempSync(join(tmpdir(), 'ws-stream-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      timeout: LAUNCH_TIMEOUT_MS,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-dev-shm-usage',
        '--enable-experimental-web-platform-features',
      ],
    });
    const version = context.browser()?.version() ?? 'unknown';
    console.info(`peers: Chromium ${version}, playwright-core ${RECORDED.playwrightCore}`);
    if (version !== RECORDED.chromium && version !== 'unknown') {
      console.warn(`[netrx interop] Chromium is ${version}; checked with ${RECORDED.chromium}`);
    }
    page = context.pages()[0] ?? (await context.newPage());
    const response = await page.goto(`http://${origin}/`);
    expect(response?.status()).toBe(200);
  }, LAUNCH_TIMEOUT_MS + 30_000);

  afterAll(async () => {
    await context?.close();
    for (const wss of servers) wss.close();
    await new Promise((resolve) => (httpServer ? httpServer.close(resolve) : resolve(undefined)));
    if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
  });

  it.for([
    ['/plain', ''],
    ['/deflate', 'permessage-deflate'],
  ] as const)('echoes a mix through netrx server streams (%s)', async ([path, extension], ctx) => {
    const report = await page.evaluate(streamInPage, { url: `ws://${origin}${path}`, seed });
    if (!report.available) {
      console.warn(
        '[netrx interop] this Chromium exposes no WebSocketStream (even with --enable-experimental-web-platform-features): skipped',
      );
      ctx.skip();
      return;
    }
    expect(report.protocol).toBe('netrx-test');
    if (extension === '') expect(report.extensions).toBe('');
    else expect(report.extensions).toMatch(/^permessage-deflate\b/);
    expect(report.echoes).toHaveLength(40);
    expect(report.echoes?.filter((e) => !e.equal)).toEqual([]);
    expect(report.closed).toEqual({ closeCode: 4000, reason: 'page done' });
    expect(closes.at(-1)).toEqual({ code: 4000, reason: 'page done' });
  });

  it("netrx's server writer stalls against Chromium's WebSocketStream that does not read; a drop rejects closed with 1006", async (ctx) => {
    const available = await page.evaluate(async (url: string) => {
      const scope = globalThis as unknown as Record<string, unknown>;
      const Ctor = scope['WebSocketStream'] as
        (new (u: string) => { opened: Promise<unknown> }) | undefined;
      if (Ctor === undefined) return false;
      const stream = new Ctor(url);
      scope['stalled'] = stream;
      await stream.opened;
      return true;
    }, `ws://${origin}/stall`);
    if (!available) {
      console.warn('[netrx interop] this Chromium exposes no WebSocketStream: skipped');
      ctx.skip();
      return;
    }
    while (stallServer === undefined) await new Promise((r) => setTimeout(r, 10));
    const { writable } = await stallServer.opened;
    const writer = writable.getWriter();
    const size = 16 * 1024;
    let offered = 0;
    let completed = 0;
    let stop = false;
    const producing = (async () => {
      while (!stop && offered < 4096) {
        await writer.ready;
        if (stop) break;
        const bytes = new Uint8Array(size);
        new DataView(bytes.buffer).setUint32(0, offered++);
        void writer.write(bytes).then(() => void completed++);
      }
    })();
    // Wait until completions stop (the page reads nothing).
    let last = -1;
    let since = Date.now();
    while (Date.now() - since < 500) {
      if (completed !== last) {
        last = completed;
        since = Date.now();
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    console.info(
      `Chromium not reading: netrx's writer stalled after ${completed} of 4096 writes of 16 KiB`,
    );
    expect(offered).toBeLessThan(4096);
    expect(writer.desiredSize).toBeLessThanOrEqual(0);
    stop = true;
    const count = offered;
    const inOrder = await page.evaluate(async (n: number) => {
      const stream = (
        globalThis as unknown as Record<
          string,
          { opened: Promise<{ readable: ReadableStream<ArrayBuffer | Uint8Array> }> }
        >
      )['stalled'];
      const { readable } = await stream!.opened;
      const reader = readable.getReader();
      for (let i = 0; i < n; i++) {
        const { value } = await reader.read();
        const view = value instanceof Uint8Array ? value : new Uint8Array(value as ArrayBuffer);
        if (new DataView(view.buffer, view.byteOffset, 4).getUint32(0) !== i) return i;
      }
      reader.releaseLock();
      return n;
    }, count);
    expect(inOrder).toBe(count);
    await producing;
    // Dropped without a closing handshake: Chromium rejects closed, as netrx's client does (1006).
    const closing = page.evaluate(async () => {
      const stream = (globalThis as unknown as Record<string, { closed: Promise<unknown> }>)[
        'stalled'
      ];
      try {
        await stream!.closed;
        return { rejected: false, name: '', closeCode: null as number | null };
      } catch (error) {
        const e = error as { name: string; closeCode?: number | null };
        return { rejected: true, name: e.name, closeCode: e.closeCode ?? null };
      }
    });
    stallRaw?.terminate();
    expect(await closing).toEqual({ rejected: true, name: 'WebSocketError', closeCode: 1006 });
    await expect(stallServer.closed).rejects.toMatchObject({ closeCode: 1006 });
  });
});
