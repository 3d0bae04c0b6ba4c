/**
 * Headless Chromium (Debian `chromium`, driven by playwright-core) as an
 * RFC 8441 client: the page is loaded from a netrx `node:http2` TLS server
 * (demo certificate; `--ignore-certificate-errors`, since the demo CA is
 * not in the browser's store) that serves HTTP/2 only and advertises
 * SETTINGS_ENABLE_CONNECT_PROTOCOL, and `new WebSocket('wss://…')` in the
 * page must arrive as an extended CONNECT stream of the page's own HTTP/2
 * session: one TLS session in all, each WebSocket a CONNECT on it, and the
 * server-side request `httpVersion` 2.0. Messages echo intact with and
 * without permessage-deflate.
 *
 * A fresh profile per run (launchPersistentContext on a temporary
 * directory) so no cached connection or HSTS state carries over; QUIC off
 * so the browser cannot pick HTTP/3.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createSecureServer, type Http2SecureServer, type ServerHttp2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoCertificates } from '../../src/node/certs/index.js';
import { WebSocketServer, echoConnection, type WebSocket } from '../../src/node/websocket/index.js';
import { requirePeers } from './support/peers.js';

/** Versions these expectations were checked with. */
const RECORDED = { chromium: '156.0.8078.114', playwrightCore: '1.65.1' };
const CHROMIUM = '/usr/bin/chromium';
const LAUNCH_TIMEOUT_MS = 90_000;

const peers = requirePeers('websocket-http2-chromium.test.ts', [
  { name: 'chromium', ok: () => existsSync(CHROMIUM), hint: 'apt-get install -y chromium' },
]);

interface PageReport {
  readonly extensions: string;
  readonly echoes: readonly { name: string; equal: boolean }[];
  readonly close: { code: number; reason: string; wasClean: boolean };
}

/** Runs in the page: opens a WebSocket, echoes a few messages, closes. */
async function exchangeInPage(url: string): Promise<PageReport> {
  interface BrowserWebSocket {
    binaryType: string;
    readonly extensions: string;
    onopen: (() => void) | null;
    onerror: (() => void) | null;
    onmessage: ((event: { data: string | ArrayBuffer }) => void) | null;
    onclose: ((event: { code: number; reason: string; wasClean: boolean }) => void) | null;
    send(data: string | ArrayBuffer): void;
    close(code?: number, reason?: string): void;
  }
  const Ctor = (globalThis as unknown as { WebSocket: new (url: string) => BrowserWebSocket })
    .WebSocket;
  const ws = new Ctor(url);
  ws.binaryType = 'arraybuffer';
  const inbox: (string | ArrayBuffer)[] = [];
  let wake: (() => void) | undefined;
  ws.onmessage = (event) => {
    inbox.push(event.data);
    wake?.();
  };
  const closed = new Promise<{ code: number; reason: string; wasClean: boolean }>((resolve) => {
    ws.onclose = (event) =>
      resolve({ code: event.code, reason: event.reason, wasClean: event.wasClean });
  });
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error(`WebSocket to ${url} failed to open`));
  });
  const next = async (): Promise<string | ArrayBuffer> => {
    while (inbox.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    return inbox.shift()!;
  };
  const echoes: { name: string; equal: boolean }[] = [];
  const text = async (name: string, value: string) => {
    ws.send(value);
    echoes.push({ name, equal: (await next()) === value });
  };
  const binary = async (name: string, bytes: Uint8Array) => {
    ws.send(bytes.buffer as ArrayBuffer);
    const echo = await next();
    const view = typeof echo === 'string' ? undefined : new Uint8Array(echo);
    echoes.push({
      name,
      equal:
        view !== undefined && view.length === bytes.length && view.every((b, i) => b === bytes[i]),
    });
  };
  await text('non-ASCII text', 'héllo wörld ✓ κόσμε 🎉 over h2');
  await binary(
    '256 bytes',
    new Uint8Array(256).map((_, i) => i),
  );
  const big = new Uint8Array(1 << 20);
  for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
  await binary('1 MiB binary', big);
  await text('512 KiB text', 'κόσμε netrx ✓ '.repeat(40_000));
  const extensions = ws.extensions;
  ws.close(1000, 'done');
  return { extensions, echoes, close: await closed };
}

describe.skipIf(peers.skip)('headless Chromium opens WebSockets over HTTP/2 (RFC 8441)', () => {
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  let http2Server: Http2SecureServer;
  const servers: WebSocketServer[] = [];
  const sessions = new Set<ServerHttp2Session>();
  /** Per path: the sessions extended CONNECTs arrived on, and the request versions seen. */
  const seen = {
    connects: [] as ServerHttp2Session[],
    versions: [] as string[],
    /** The session of each GET, by path. */
    gets: [] as { path: string; session: ServerHttp2Session }[],
  };
  let origin = '';

  beforeAll(async () => {
    const certs = createDemoCertificates();
    http2Server = createSecureServer({
      cert: certs.server.certPem,
      key: certs.server.keyPem,
      settings: { enableConnectProtocol: true },
      // HTTP/2 only: a WebSocket that came over HTTP/1.1 would have to fail.
      allowHTTP1: false,
    });
    http2Server.on('session', (session) => sessions.add(session));
    http2Server.on('stream', (stream, headers) => {
      if (headers[':method'] === 'CONNECT') {
        seen.connects.push(stream.session as ServerHttp2Session);
        return;
      }
      seen.gets.push({
        path: String(headers[':path']),
        session: stream.session as ServerHttp2Session,
      });
      stream.respond({ ':status': 200, 'content-type': 'text/html; charset=utf-8' });
      stream.end('<!doctype html><title>netrx RFC 8441 interop</title>');
    });
    for (const [path, perMessageDeflate] of [
      ['/plain', false],
      ['/deflate', true],
    ] as const) {
      const wss = new WebSocketServer({ http2Server, path, perMessageDeflate });
      wss.on('connection', (ws: WebSocket, request) => {
        seen.versions.push(request.httpVersion);
        echoConnection(ws);
      });
      servers.push(wss);
    }
    await new Promise<void>((resolve) => http2Server.listen(0, '127.0.0.1', resolve));
    origin = `127.0.0.1:${(http2Server.address() as AddressInfo).port}`;
    profile = mkdtempSync(join(tmpdir(), 'ws-h2-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      timeout: LAUNCH_TIMEOUT_MS,
      ignoreHTTPSErrors: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-dev-shm-usage',
        '--ignore-certificate-errors',
      ],
    });
    const version = context.browser()?.version() ?? (await versionFromPage(context));
    console.info(`peers: Chromium ${version}, playwright-core ${RECORDED.playwrightCore}`);
    if (version !== RECORDED.chromium) {
      console.warn(`[netrx interop] Chromium is ${version}; checked with ${RECORDED.chromium}`);
    }
    page = context.pages()[0] ?? (await context.newPage());
    const response = await page.goto(`https://${origin}/`);
    expect(response?.status()).toBe(200);
  }, LAUNCH_TIMEOUT_MS + 30_000);

  afterAll(async () => {
    await context?.close();
    for (const wss of servers) wss.close();
    for (const session of sessions) session.destroy();
    await new Promise((resolve) => (http2Server ? http2Server.close(resolve) : resolve(undefined)));
    if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
  });

  it.each([
    ['/plain', ''],
    ['/deflate', 'permessage-deflate'],
  ])('echoes over an extended CONNECT on the page session (%s)', async (path, extension) => {
    const before = seen.connects.length;
    const report = await page.evaluate(exchangeInPage, `wss://${origin}${path}`);
    expect(report.echoes.map((e) => e.name)).toEqual([
      'non-ASCII text',
      '256 bytes',
      '1 MiB binary',
      '512 KiB text',
    ]);
    for (const echo of report.echoes) expect(echo, echo.name).toMatchObject({ equal: true });
    expect(report.close).toEqual({ code: 1000, reason: 'done', wasClean: true });
    if (extension === '') expect(report.extensions).toBe('');
    else expect(report.extensions).toMatch(/^permessage-deflate\b/);
    // The WebSocket came as a CONNECT stream of the one session the page was loaded on.
    expect(seen.connects.length).toBe(before + 1);
    // Chromium may open a spare connection it never uses (a preconnect);
    // every stream, the page's GETs and each CONNECT, went over one session.
    const used = new Set([...seen.gets.map((g) => g.session), ...seen.connects]);
    console.info(`TLS sessions opened ${sessions.size}, carrying streams ${used.size}`);
    expect(used.size).toBe(1);
    expect(seen.connects.at(-1)).toBe(seen.gets[0]?.session);
    expect(seen.versions.at(-1)).toBe('2.0');
  });
});

async function versionFromPage(context: BrowserContext): Promise<string> {
  const page = await context.newPage();
  const agent = await page.evaluate(
    () => (globalThis as unknown as { navigator: { userAgent: string } }).navigator.userAgent,
  );
  await page.close();
  return /Chrome\/([\d.]+)/.exec(agent)?.[1] ?? 'unknown';
}
