/**
 * The client's opening handshake over TCP or TLS: connect, write the
 * upgrade request the handle builds, read the response head (bounded,
 * timed), let the handle check it, and hand the open socket over.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions as TlsOptions } from 'node:tls';
import { HttpHeadParser, type HttpHeader, type WebSocketHandle } from '../../websocket/index.js';
import { nodeHandle, type NodeHandleOptions } from './handles.js';
import type { ConnectionOptions } from './options.js';

export interface ClientOptions extends ConnectionOptions, NodeHandleOptions {
  /** Offer permessage-deflate (default true, as browsers do). */
  readonly perMessageDeflate?: boolean;
  /** Extra request headers. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly origin?: string;
  /** Give up when the handshake has not finished in this many ms (default 30 s). */
  readonly handshakeTimeout?: number;
  /** TLS options for wss: (ca, servername, rejectUnauthorized, ...). */
  readonly tls?: TlsOptions;
}

export interface ClientSink {
  /** The connection is open; returns the connection, which becomes the handle's `owner`. */
  opened(socket: Socket, handle: WebSocketHandle, rest: Uint8Array): { wake(): void };
  failed(error: Error): void;
}

/** Checks a ws:/wss: URL (http:/https: are accepted and mapped, as WHATWG does). */
export function parseWebSocketUrl(input: string | URL): URL {
  const url = new URL(typeof input === 'string' ? input : input.href);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new SyntaxError(`A WebSocket URL must use ws: or wss:, got ${url.protocol}`);
  }
  if (url.hash !== '') throw new SyntaxError('A WebSocket URL must not have a fragment');
  return url;
}

/** Starts connecting; returns a function that abandons the attempt. */
export function openClient(
  url: URL,
  protocols: readonly string[],
  options: ClientOptions,
  sink: ClientSink,
): () => void {
  const secure = url.protocol === 'wss:';
  const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const handle = nodeHandle('client', options, url.host);
  const extraHeaders: HttpHeader[] = Object.entries(options.headers ?? {});
  const request = handle.beginClientHandshake({
    host: url.host,
    path: `${url.pathname}${url.search}`,
    protocols,
    perMessageDeflate: options.perMessageDeflate !== false,
    headers: extraHeaders,
    ...(options.origin === undefined ? {} : { origin: options.origin }),
  });
  const socket: Socket = secure
    ? tlsConnect({ host, port, servername: host, ...options.tls })
    : netConnect({ host, port });
  let settled = false;
  const parser = new HttpHeadParser('response');
  const timer = setTimeout(
    () => fail(new Error(`WebSocket handshake with ${url.href} timed out`)),
    options.handshakeTimeout ?? 30_000,
  );

  function fail(error: Error): void {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    socket.destroy();
    handle.delete();
    sink.failed(error);
  }

  function onData(chunk: Buffer): void {
    const step = parser.push(chunk);
    if (step.state === 'incomplete') return;
    if (step.state === 'failed') {
      fail(new Error(`Bad handshake response: ${step.failure.message}`));
      return;
    }
    const result = handle.endClientHandshake(step.head);
    if (!result.ok) {
      fail(new Error(`WebSocket handshake refused: ${result.failure.message}`));
      return;
    }
    settled = true;
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('error', fail);
    socket.off('close', onEarlyClose);
    handle.owner = sink.opened(socket, handle, step.rest);
  }

  function onEarlyClose(): void {
    fail(new Error(`Connection to ${url.href} closed during the handshake`));
  }

  socket.once(secure ? 'secureConnect' : 'connect', () => socket.write(request.bytes));
  socket.on('data', onData);
  socket.on('error', fail);
  socket.on('close', onEarlyClose);
  return () => fail(new Error('WebSocket was closed before the connection was established'));
}
