/**
 * The client half of `new WebSocket(url, protocols?, options?)`: reading
 * the constructor's arguments as `ws` does (`protocols` may be left out and
 * the options passed in its place) and starting the opening handshake
 * (client.ts), its events turned into what the connection reports. The
 * connection's private side is reached through `ConnectingSocket`, which
 * websocket.ts builds in its class body.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { NetrxError } from '../../runtime/index.js';
import type { WebSocketHandle } from '../../websocket/index.js';
import { openClient, parseWebSocketUrl, type ClientOptions } from './client.js';

/**
 * Set (to true) in the options of a connection that accepts a server
 * choosing none of the subprotocols offered, as WHATWG's "establish a
 * WebSocket connection" does: WebSocketStream's. Not part of the package
 * surface: the ws-like `WebSocket` fails that handshake as ws does.
 */
export const ACCEPTS_NO_SUBPROTOCOL: unique symbol = Symbol('netrx.acceptsNoSubprotocol');

/** What connecting does to the connection being constructed. */
export interface ConnectingSocket {
  /** The URL the connection reports as `url` (a redirect changes it). */
  setUrl(href: string): void;
  emit(event: 'redirect' | 'upgrade' | 'unexpected-response', ...args: unknown[]): boolean;
  /** The handshake succeeded: attach, emit `'open'`, start reading `rest`. */
  opened(socket: Duplex, handle: WebSocketHandle, rest: Uint8Array): void;
  /** The attempt ended without a connection. */
  failed(error: Error | undefined): void;
}

/** The options, wherever the caller put them (second or third argument). */
export function clientOptionsOf(
  protocols: string | readonly string[] | ClientOptions | undefined,
  options: ClientOptions | undefined,
): ClientOptions {
  return (
    (typeof protocols === 'object' && !Array.isArray(protocols)
      ? (protocols as ClientOptions)
      : options) ?? {}
  );
}

/** Starts connecting to `url`; returns a function that abandons the attempt. */
export function connectClient(
  url: string | URL,
  protocols: string | readonly string[] | ClientOptions | undefined,
  options: ClientOptions,
  connecting: ConnectingSocket,
): () => void {
  const offered =
    typeof protocols === 'string'
      ? [protocols]
      : Array.isArray(protocols)
        ? (protocols as readonly string[])
        : [];
  const target = parseWebSocketUrl(url);
  connecting.setUrl(target.href);
  return openClient(target, offered, options, {
    redirected: (location, request) => {
      connecting.setUrl(location.href);
      connecting.emit('redirect', location.href, request);
    },
    upgraded: (response: IncomingMessage) => connecting.emit('upgrade', response),
    unexpectedResponse: (request, response) =>
      connecting.emit('unexpected-response', request, response),
    opened: (socket, handle, rest) => {
      // ws 8.23.0 fails a client that offered subprotocols when the server
      // chose none ('Server sent no subprotocol', then close 1006); WHATWG
      // accepts it. 'upgrade' was emitted first, as in ws.
      const accepts = (options as { [ACCEPTS_NO_SUBPROTOCOL]?: boolean })[ACCEPTS_NO_SUBPROTOCOL];
      if (offered.length > 0 && handle.negotiated.protocol === undefined && accepts !== true) {
        socket.destroy();
        handle.delete();
        connecting.failed(new NetrxError('ERR_WS_HANDSHAKE', 'Server sent no subprotocol'));
        return;
      }
      connecting.opened(socket, handle, rest);
    },
    failed: (error) => connecting.failed(error),
  });
}
