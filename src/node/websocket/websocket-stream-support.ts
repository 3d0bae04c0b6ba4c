/**
 * Test support for `WebSocketStream`: a netrx `WebSocketServer` on
 * loopback whose accepted connections are handed to the test (as
 * connections and as stream pairs), stream echo, and readers that collect
 * messages. Not part of the package surface.
 */
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocketServerOptions } from './server.js';
import type { WebSocket } from './websocket.js';
import { WebSocketStream, type WebSocketStreamQueueOptions } from './websocket-stream.js';
import type { WebSocketStreamMessage } from './websocket-stream-sides.js';

export interface StreamServer {
  readonly url: string;
  readonly wss: WebSocketServer;
  /** The next accepted connection, wrapped as a WebSocketStream (`raw` is the connection). */
  next(): Promise<{ raw: WebSocket; stream: WebSocketStream }>;
  close(): Promise<void>;
}

/** A server whose connections are wrapped as soon as they are accepted. */
export async function streamServer(
  options: Partial<WebSocketServerOptions> = {},
  queue: WebSocketStreamQueueOptions = {},
  wrap = true,
): Promise<StreamServer> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
  await new Promise((resolve) => wss.once('listening', resolve));
  const waiting: ((accepted: { raw: WebSocket; stream: WebSocketStream }) => void)[] = [];
  const ready: { raw: WebSocket; stream: WebSocketStream }[] = [];
  wss.on('connection', (raw: WebSocket) => {
    // Wrapped inside the listener: the connection reads only after it returns.
    const accepted = { raw, stream: wrap ? WebSocketStream.fromWebSocket(raw, queue) : undefined };
    const entry = accepted as { raw: WebSocket; stream: WebSocketStream };
    const taker = waiting.shift();
    if (taker === undefined) ready.push(entry);
    else taker(entry);
  });
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`,
    wss,
    next: () => {
      const first = ready.shift();
      return first !== undefined ? Promise.resolve(first) : new Promise((r) => waiting.push(r));
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
}

/** Echoes every message back through the stream pair (pipeTo carries the backpressure). */
export async function echoStream(stream: WebSocketStream): Promise<void> {
  const { readable, writable } = await stream.opened;
  await readable.pipeTo(writable).catch(() => {});
}

/** Reads exactly `count` messages. */
export async function readMessages(
  reader: ReadableStreamDefaultReader<WebSocketStreamMessage>,
  count: number,
): Promise<WebSocketStreamMessage[]> {
  const messages: WebSocketStreamMessage[] = [];
  while (messages.length < count) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`The stream ended after ${messages.length} of ${count} messages`);
    messages.push(value);
  }
  return messages;
}

/** The close code and reason the connection reported. */
export function closeOf(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) =>
    ws.once('close', (code: number, reason: Buffer) =>
      resolve({ code, reason: reason.toString() }),
    ),
  );
}
