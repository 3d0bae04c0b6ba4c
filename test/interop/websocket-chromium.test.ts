/**
 * Headless Chromium (Debian `chromium`), driven by playwright-core, as a
 * WebSocket client of the netrx echo server: the browser's own handshake,
 * framing, masking, UTF-8 checks and permessage-deflate (Chromium always
 * offers `permessage-deflate; client_max_window_bits`). In the page: text
 * with non-ASCII characters, an ArrayBuffer, 1 MiB binary and text
 * messages, and a clean close; with --deflate, `ws.extensions` must name
 * permessage-deflate and the same messages must round-trip compressed.
 *
 * The page comes from a loopback HTTP server of the test's own: Chromium's
 * Local Network Access checks (net::ERR_BLOCKED_BY_LOCAL_NETWORK_ACCESS_CHECKS)
 * block a WebSocket to 127.0.0.1 from about:blank or a data: URL, but not
 * from a page that is itself on loopback. No security feature is turned off.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requirePeers } from './support/peers.js';
import { startEchoServer, type EchoServer } from './support/ws-echo.js';

/** Versions these expectations were checked with. */
const RECORDED = { chromium: '156.0.8078.79', playwrightCore: '1.65.1' };
const CHROMIUM = '/usr/bin/chromium';
/** Chromium can be slow to start on a loaded machine. */
const LAUNCH_TIMEOUT_MS = 90_000;

const peers = requirePeers('websocket-chromium.test.ts', [
  { name: 'chromium', ok: () => existsSync(CHROMIUM), hint: 'apt-get install -y chromium' },
]);

interface EchoCheck {
  readonly name: string;
  readonly type: string;
  readonly length: number;
  readonly equal: boolean;
}

interface PageReport {
  readonly extensions: string;
  readonly protocol: string;
  readonly checks: readonly EchoCheck[];
  readonly close: { code: number; reason: string; wasClean: boolean };
}

/**
 * Runs in the page (serialised by Playwright): no closure over test code,
 * and only what a browser has.
 */
async function exchangeInPage(url: string): Promise<PageReport> {
  interface BrowserMessageEvent {
    readonly data: string | ArrayBuffer;
  }
  interface BrowserCloseEvent {
    readonly code: number;
    readonly reason: string;
    readonly wasClean: boolean;
  }
  interface BrowserWebSocket {
    binaryType: string;
    readonly extensions: string;
    readonly protocol: string;
    onopen: (() => void) | null;
    onerror: (() => void) | null;
    onmessage: ((event: BrowserMessageEvent) => void) | null;
    onclose: ((event: BrowserCloseEvent) => void) | null;
    send(data: string | ArrayBuffer): void;
    close(code?: number, reason?: string): void;
  }
  const WebSocketCtor = (
    globalThis as unknown as { WebSocket: new (url: string) => BrowserWebSocket }
  ).WebSocket;

  const ws = new WebSocketCtor(url);
  ws.binaryType = 'arraybuffer';
  const inbox: (string | ArrayBuffer)[] = [];
  let wake: (() => void) | undefined;
  let closed: BrowserCloseEvent | undefined;
  ws.onmessage = (event) => {
    inbox.push(event.data);
    wake?.();
  };
  const closedPromise = new Promise<BrowserCloseEvent>((resolve) => {
    ws.onclose = (event) => {
      closed = event;
      resolve(event);
      wake?.();
    };
  });
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error(`WebSocket to ${url} failed to open`));
  });
  const next = async (): Promise<string | ArrayBuffer> => {
    while (inbox.length === 0) {
      if (closed !== undefined) throw new Error(`closed with ${closed.code} awaiting a message`);
      await new Promise<void>((resolve) => (wake = resolve));
    }
    return inbox.shift()!;
  };
  const sameBytes = (a: ArrayBuffer, b: Uint8Array): boolean => {
    if (a.byteLength !== b.length) return false;
    const view = new Uint8Array(a);
    for (let i = 0; i < view.length; i++) if (view[i] !== b[i]) return false;
    return true;
  };

  const checks: EchoCheck[] = [];
  const checkText = async (name: string, text: string) => {
    ws.send(text);
    const echo = await next();
    checks.push({
      name,
      type: typeof echo === 'string' ? 'text' : 'binary',
      length: typeof echo === 'string' ? echo.length : echo.byteLength,
      equal: echo === text,
    });
  };
  const checkBinary = async (name: string, bytes: Uint8Array) => {
    ws.send(bytes.buffer as ArrayBuffer);
    const echo = await next();
    checks.push({
      name,
      type: typeof echo === 'string' ? 'text' : 'binary',
      length: typeof echo === 'string' ? echo.length : echo.byteLength,
      equal: typeof echo !== 'string' && sameBytes(echo, bytes),
    });
  };

  await checkText('non-ASCII text', 'héllo wörld ✓ κόσμε 🎉 — netrx');
  await checkText('empty text', '');
  await checkBinary(
    'ArrayBuffer',
    new Uint8Array(256).map((_, i) => i),
  );
  const big = new Uint8Array(1 << 20);
  let x = 2463534242;
  for (let i = 0; i < big.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    big[i] = x & 0xff;
  }
  await checkBinary('1 MiB random binary', big);
  await checkBinary('1 MiB of zeros (compressible)', new Uint8Array(1 << 20));
  await checkText('1 MiB text', 'κόσμε netrx ✓ '.repeat(80_000).slice(0, 1 << 20));

  const report = { extensions: ws.extensions, protocol: ws.protocol, checks };
  ws.close(1000, 'done');
  const close = await closedPromise;
  return { ...report, close: { code: close.code, reason: close.reason, wasClean: close.wasClean } };
}

describe.skipIf(peers.skip)('headless Chromium against the netrx echo server', () => {
  let browser: Browser;
  let page: Page;
  let plain: EchoServer;
  let deflating: EchoServer;
  let pageServer: Server;

  beforeAll(async () => {
    [plain, deflating] = await Promise.all([startEchoServer(), startEchoServer({ deflate: true })]);
    pageServer = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end('<!doctype html><title>netrx websocket interop</title>');
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
        '--disable-background-networking',
        '--no-first-run',
        '--no-default-browser-check',
      ],
    });
    const version = browser.version();
    console.info(
      `peers: Chromium ${version}, playwright-core; echo server ${plain.implementation}`,
    );
    if (version !== RECORDED.chromium) {
      console.warn(`[netrx interop] Chromium is ${version}; checked with ${RECORDED.chromium}`);
    }
    page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(pageServer.address() as AddressInfo).port}/`);
  }, LAUNCH_TIMEOUT_MS + 30_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => (pageServer ? pageServer.close(resolve) : resolve(undefined)));
    await Promise.all([plain?.stop(), deflating?.stop()]);
  });

  const EXPECTED_CHECKS = [
    'non-ASCII text',
    'empty text',
    'ArrayBuffer',
    '1 MiB random binary',
    '1 MiB of zeros (compressible)',
    '1 MiB text',
  ];

  function expectAllEchoed(report: PageReport): void {
    expect(report.checks.map((c) => c.name)).toEqual(EXPECTED_CHECKS);
    for (const check of report.checks) {
      expect(check, check.name).toMatchObject({
        type: check.name.includes('text') ? 'text' : 'binary',
        equal: true,
      });
    }
    expect(report.close).toEqual({ code: 1000, reason: 'done', wasClean: true });
  }

  it('exchanges text, an ArrayBuffer and 1 MiB messages without compression', async () => {
    const report = await page.evaluate(exchangeInPage, plain.url);
    expect(report.extensions).toBe('');
    expectAllEchoed(report);
  });

  it('negotiates permessage-deflate with --deflate and round-trips the same messages', async () => {
    const report = await page.evaluate(exchangeInPage, deflating.url);
    expect(report.extensions).toMatch(/^permessage-deflate\b/);
    console.info(`Chromium negotiated: ${report.extensions}`);
    expectAllEchoed(report);
  });
});
