/**
 * Headless Chromium (Debian `chromium`, driven by playwright-core) as a
 * capture client over `netrx.lrec.v1`: the page's own WebSocket offers the
 * token as the `netrx.bearer.<base64url>` subprotocol (a browser cannot set
 * Authorization), opens the session, posts one receive at a time, walks
 * each EVENT_BUFFER by DataSize with a DataView and counts events and
 * NET_EVENT_LOST: delivered + lost = what the synthetic provider generated.
 * A page with the wrong token never opens (401 at the upgrade).
 *
 * The page comes from a loopback HTTP server (Chromium's Local Network
 * Access checks block loopback WebSockets from about:blank; see
 * websocket-chromium.test.ts).
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionTable, startSyntheticProvider } from '../../src/capture/index.js';
import { startLrecWsServer, type LrecWsNodeServer } from '../../src/node/capture/index.js';
import { systemClock } from '../../src/node/runtime/index.js';
import { TraceRegistry } from '../../src/trace/index.js';
import { requirePeers } from './support/peers.js';

/** Versions these expectations were checked with. */
const RECORDED = { chromium: '156.0.8078.114', playwrightCore: '1.65.1' };
const CHROMIUM = '/usr/bin/chromium';
const LAUNCH_TIMEOUT_MS = 90_000;
const TOKEN = 'browser-token-0123456789-ünïcode';
const COUNT = 20_000;

const peers = requirePeers('capture-ws-chromium.test.ts', [
  { name: 'chromium', ok: () => existsSync(CHROMIUM), hint: 'apt-get install -y chromium' },
]);

interface PageReport {
  readonly protocol: string;
  readonly opened: boolean;
  readonly events: number;
  readonly lost: number;
  readonly firstSeq: number;
  readonly receives: number;
  readonly error: string;
}

/** Runs in the page: only what a browser has. */
async function captureInPage(args: {
  url: string;
  token: string;
  want: number;
}): Promise<PageReport> {
  interface BrowserWebSocket {
    binaryType: string;
    readonly protocol: string;
    onopen: (() => void) | null;
    onerror: (() => void) | null;
    onclose: (() => void) | null;
    onmessage: ((event: { data: string | ArrayBuffer }) => void) | null;
    send(data: string): void;
    close(): void;
  }
  const g = globalThis as unknown as {
    WebSocket: new (url: string, protocols: string[]) => BrowserWebSocket;
    btoa(text: string): string;
  };
  // base64url(UTF-8 token), no padding: the bearer subprotocol.
  const utf8 = new TextEncoder().encode(args.token);
  let binary = '';
  for (const byte of utf8) binary += String.fromCharCode(byte);
  const bearer =
    'netrx.bearer.' + g.btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const ws = new g.WebSocket(args.url, ['netrx.lrec.v1', bearer]);
  ws.binaryType = 'arraybuffer';
  const inbox: (string | ArrayBuffer)[] = [];
  let wake: (() => void) | undefined;
  let closed = false;
  ws.onmessage = (event) => {
    inbox.push(event.data);
    wake?.();
  };
  ws.onclose = () => {
    closed = true;
    wake?.();
  };
  const report = {
    protocol: '',
    opened: false,
    events: 0,
    lost: 0,
    firstSeq: -1,
    receives: 0,
    error: '',
  };
  const opened = await new Promise<boolean>((resolve) => {
    ws.onopen = () => resolve(true);
    ws.onerror = () => resolve(false);
  });
  if (!opened) return report;
  report.opened = true;
  report.protocol = ws.protocol;
  const next = async (): Promise<string | ArrayBuffer> => {
    while (inbox.length === 0) {
      if (closed) throw new Error('closed');
      await new Promise<void>((resolve) => (wake = resolve));
    }
    return inbox.shift()!;
  };
  let id = 0;
  ws.send(JSON.stringify({ id: ++id, call: 'open', session: 'browser' }));
  const openReply = JSON.parse((await next()) as string) as { ok: boolean; handle?: string };
  if (!openReply.ok || openReply.handle === undefined) {
    report.error = JSON.stringify(openReply);
    return report;
  }
  while (report.events + report.lost < args.want) {
    ws.send(JSON.stringify({ id: ++id, call: 'receive', handle: openReply.handle }));
    const reply = JSON.parse((await next()) as string) as { ok: boolean; bytes: number };
    if (!reply.ok) {
      report.error = JSON.stringify(reply);
      return report;
    }
    const buffer = (await next()) as ArrayBuffer;
    report.receives++;
    const view = new DataView(buffer);
    for (let at = 0; at + 8 <= buffer.byteLength;) {
      const size = view.getUint32(at, true);
      if (size < 8) break;
      if (view.getUint16(at + 4, true) === 2) report.lost += view.getUint32(at + 8, true);
      else {
        if (report.firstSeq < 0) report.firstSeq = Number(view.getBigUint64(at + 8 + 0x60, true));
        report.events++;
      }
      at += size;
    }
  }
  ws.send(JSON.stringify({ id: id + 1, call: 'close', handle: openReply.handle }));
  await next();
  ws.close();
  return report;
}

describe.skipIf(peers.skip)('headless Chromium as a netrx.lrec.v1 capture client', () => {
  let browser: Browser;
  let page: Page;
  let pageServer: Server;
  let server: LrecWsNodeServer;
  let generated: () => number;

  beforeAll(async () => {
    const registry = new TraceRegistry({ clock: systemClock });
    const table = new SessionTable({ registry, clock: systemClock });
    const session = table.createSession({
      name: 'browser',
      providers: [{ provider: 'netrx-synthetic' }],
      limits: { timerMs: 100 },
    });
    session.start();
    const synthetic = startSyntheticProvider({
      registry,
      clock: systemClock,
      eventsPerSecond: 100_000,
      count: COUNT,
      startOnEnable: true,
    });
    generated = () => synthetic.generated;
    server = await startLrecWsServer({ table, port: 0, token: TOKEN });
    pageServer = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end('<!doctype html><title>netrx capture</title>');
    });
    await new Promise<void>((resolve) => pageServer.listen(0, '127.0.0.1', resolve));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      timeout: LAUNCH_TIMEOUT_MS,
      args: [
        '--headless=new',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--no-first-run',
      ],
    });
    const version = browser.version();
    console.info(`peers: Chromium ${version}, playwright-core ${RECORDED.playwrightCore}`);
    if (version !== RECORDED.chromium) {
      console.warn(`[netrx interop] Chromium is ${version}; checked with ${RECORDED.chromium}`);
    }
    page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(pageServer.address() as AddressInfo).port}/`);
  }, LAUNCH_TIMEOUT_MS + 30_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => (pageServer ? pageServer.close(resolve) : resolve(undefined)));
    await server?.close();
  });

  it('a wrong token never opens (401 at the upgrade)', async () => {
    const url = `ws://127.0.0.1:${server.port}`;
    const report = await page.evaluate(captureInPage, {
      url,
      token: 'not-the-token-at-all',
      want: 1,
    });
    expect(report.opened).toBe(false);
    expect(server.stats().unauthorized).toBe(1);
  });

  it('opens with the subprotocol token and counts every event: delivered + lost = generated', async () => {
    const url = `ws://127.0.0.1:${server.port}`;
    const report = await page.evaluate(captureInPage, { url, token: TOKEN, want: COUNT });
    console.info(
      `Chromium: ${report.events} events, ${report.lost} lost in ${report.receives} receives`,
    );
    expect(report).toMatchObject({
      opened: true,
      protocol: 'netrx.lrec.v1',
      error: '',
      firstSeq: 0,
    });
    expect(report.events + report.lost).toBe(COUNT);
    expect(generated()).toBe(COUNT);
  }, 60_000);
});
