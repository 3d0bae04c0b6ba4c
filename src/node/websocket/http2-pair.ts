/**
 * Test support: a `WebSocketServer` on a `node:http2` server (TLS with the
 * demo certificates, or h2c) and netrx clients over it, with what the
 * server saw (sessions, extended CONNECT streams), for the RFC 8441 tests
 * and the CLI's. Not part of the package surface.
 */
import {
  connect as http2Connect,
  createSecureServer,
  createServer,
  type ClientHttp2Session,
  type Http2SecureServer,
  type Http2Server,
  type SecureServerOptions,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createDemoCertificates, DEMO_SERVER_NAME } from '../certs/index.js';
import type { ClientOptions } from './client.js';
import { echoConnection } from './echo.js';
import { WebSocketServer, type WebSocketServerOptions } from './server.js';
import type { WebSocket } from './websocket.js';

export type Http2Kind = 'tls' | 'h2c';

export interface Http2Pair {
  readonly http2Server: Http2Server | Http2SecureServer;
  readonly wss: WebSocketServer;
  readonly url: string;
  /** Sessions the HTTP/2 server accepted, and extended CONNECT streams it saw. */
  readonly seen: { sessions: number; connects: number };
  /** Client options that reach this server (TLS trust, for `tls`). */
  readonly clientOptions: ClientOptions;
  /** A client session to this server (closed by `close`). */
  session(): ClientHttp2Session;
  close(): Promise<void>;
}

let certificates: ReturnType<typeof createDemoCertificates> | undefined;
/** Made once per process: issuing them costs a few ms. */
export function demoCertificates(): ReturnType<typeof createDemoCertificates> {
  certificates ??= createDemoCertificates();
  return certificates;
}

export async function http2Pair(
  kind: Http2Kind,
  options: Partial<WebSocketServerOptions> = {},
  serverSettings: {
    enableConnectProtocol?: boolean;
    attach?: boolean;
    echo?: boolean;
    /** More options for the `tls` server (`requestCert`, say). */
    tls?: Partial<SecureServerOptions>;
  } = {},
): Promise<Http2Pair> {
  const settings = { enableConnectProtocol: serverSettings.enableConnectProtocol ?? true };
  let http2Server: Http2Server | Http2SecureServer;
  if (kind === 'tls') {
    const certs = demoCertificates();
    const secure: SecureServerOptions = {
      cert: certs.server.certPem,
      key: certs.server.keyPem,
      ...serverSettings.tls,
      settings,
    };
    http2Server = createSecureServer(secure);
  } else {
    http2Server = createServer({ settings });
  }
  const seen = { sessions: 0, connects: 0 };
  const serverSessions: { destroy(): void }[] = [];
  http2Server.on('session', (session) => {
    seen.sessions++;
    serverSessions.push(session);
    // Counted on the session: a server 'stream' listener would be "another
    // listener", and the WebSocketServer would leave foreign CONNECTs to it.
    session.on('stream', (_stream, headers) => {
      if (headers[':method'] === 'CONNECT') seen.connects++;
    });
  });
  await new Promise<void>((resolve) => http2Server.listen(0, '127.0.0.1', resolve));
  const port = (http2Server.address() as AddressInfo).port;
  const wss =
    serverSettings.attach === false ? undefined : new WebSocketServer({ http2Server, ...options });
  if (serverSettings.echo !== false) wss?.on('connection', echoConnection);
  const sessions: ClientHttp2Session[] = [];
  const clientOptions: ClientOptions =
    kind === 'tls'
      ? { http2: true, ca: demoCertificates().ca.certPem, servername: DEMO_SERVER_NAME }
      : { http2: true };
  const origin = `${kind === 'tls' ? 'https' : 'http'}://127.0.0.1:${port}`;
  return {
    http2Server,
    wss: wss as WebSocketServer,
    url: `${kind === 'tls' ? 'wss' : 'ws'}://127.0.0.1:${port}/echo`,
    seen,
    clientOptions,
    session: () => {
      const session = http2Connect(
        origin,
        kind === 'tls' ? { ca: demoCertificates().ca.certPem, servername: DEMO_SERVER_NAME } : {},
      );
      session.on('error', () => {});
      sessions.push(session);
      return session;
    },
    close: async () => {
      for (const s of sessions) s.destroy();
      for (const c of wss?.clients ?? []) c.terminate();
      wss?.close();
      await new Promise<void>((resolve) => {
        http2Server.close(() => resolve());
        // Open sessions keep close() waiting: end them.
        for (const s of serverSessions) s.destroy();
      });
    },
  };
}

/** Resolves with the client once it is open, rejects with its error. */
export function openedClient(ws: WebSocket): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

export function nextMessage(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) =>
    ws.once('message', (data: unknown, isBinary: boolean) =>
      resolve({ data: data as Buffer, isBinary }),
    ),
  );
}

export function closedWith(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) =>
    ws.once('close', (code: number, reason: Buffer) =>
      resolve({ code, reason: reason.toString() }),
    ),
  );
}
