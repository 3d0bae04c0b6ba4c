/**
 * The host's HTTP(S) server itself: Node's parser limits set against slow
 * and oversized clients, the answer to a client error (408 for a client too
 * slow with its headers or body, 400 otherwise), and listening with a
 * one-line reason when the address cannot be had.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface ServerTimeouts {
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
}

/** An HTTP server, or HTTPS with `tls` (PEM text); `onTimeout` counts 408s. */
export function createHostServer(
  bounds: ServerTimeouts,
  tls: { readonly cert: string; readonly key: string } | undefined,
  handler: RequestListener,
  onTimeout: () => void,
): Server {
  const serverOptions = {
    requestTimeout: bounds.requestTimeoutMs,
    headersTimeout: bounds.headersTimeoutMs,
    // Node checks the two timeouts above only this often (30 s by default,
    // which lets a slowloris client hold a socket six times headersTimeout).
    connectionsCheckingInterval: Math.max(50, Math.min(1000, bounds.headersTimeoutMs / 4)),
    keepAliveTimeout: 5_000,
    maxHeaderSize: 16 * 1024,
  };
  const server =
    tls === undefined
      ? createServer(serverOptions, handler)
      : createHttpsServer({ ...serverOptions, cert: tls.cert, key: tls.key }, handler);
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    // A client too slow with its headers or body (headersTimeoutMs,
    // requestTimeoutMs) is told so: 408, not a bad request.
    const timeout = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    if (timeout) onTimeout();
    if (socket.writable)
      socket.end(
        timeout
          ? 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'
          : 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n',
      );
    else socket.destroy();
  });
  return server;
}

export interface Listening {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  /** `127.0.0.1:7340` or `[::1]:7340`. */
  readonly bound: string;
}

/** Starts listening; resolves with the bound address, rejects with a one-line reason. */
export function listenOn(
  server: Server,
  host: string,
  port: number,
  tls: boolean,
): Promise<Listening> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const why =
        error.code === 'EADDRINUSE'
          ? 'address already in use'
          : error.code === 'EACCES'
            ? 'permission denied'
            : error.message;
      reject(new Error(`cannot listen on ${host}:${port}: ${why}`));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.address() as AddressInfo;
      const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      resolve({
        host: address.address,
        port: address.port,
        bound: `${shown}:${address.port}`,
        url: `${tls ? 'https' : 'http'}://${shown}:${address.port}/`,
      });
    });
  });
}
