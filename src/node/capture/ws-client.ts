/**
 * The netrx LREC client over WebSocket (`netrx.lrec.v1`), on netrx's own
 * `WebSocket` (netrx/node). The same calls as the RPC client (`open`,
 * `receive`, `close`), with string handles. Calls may overlap (each has
 * its request id); the server still allows one receive per session.
 *
 * Failures: a refused upgrade rejects the connect with
 * `ERR_CAPTURE_WS_UNAUTHORIZED` (401) or `ERR_CAPTURE_WS_HANDSHAKE`; a call
 * the server refuses rejects with `ERR_CAPTURE_WS_STATUS`, `number` = the
 * status (the Win32 or RPC value the RPC transport gives); a connection
 * that drops rejects every call waiting with `ERR_CAPTURE_WS_CLOSED`.
 */
import type { IncomingMessage } from 'node:http';
import {
  LREC_WS_SUBPROTOCOL,
  bearerSubprotocol,
  encodeRequest,
  parseReply,
  type LrecWsRequest,
} from '../../capture/index.js';
import { NetrxError } from '../../runtime/index.js';
import { WebSocket, type ClientOptions } from '../websocket/index.js';

export interface LrecWsClientOptions {
  /** ws://HOST:PORT (loopback) or wss://HOST:PORT. */
  readonly url: string;
  readonly token?: string;
  /** How the token is presented: the Authorization header (default) or a subprotocol, as a browser must. */
  readonly tokenVia?: 'header' | 'subprotocol';
  /** PEM CA certificates to trust for wss: (a `netrx certs demo` ca.pem, say). */
  readonly ca?: string | Uint8Array;
  /** TLS server name to check, when the URL's host is an address. */
  readonly servername?: string;
  readonly handshakeTimeout?: number;
}

export interface LrecWsClient {
  open(name: string): Promise<string>;
  /** The EVENT_BUFFER bytes of one receive. */
  receive(handle: string): Promise<Uint8Array>;
  close(handle: string): Promise<void>;
  /** Ends the connection (the server runs the handles down if any are open). */
  end(): void;
  /** Resolves when the connection is gone. */
  readonly closed: Promise<void>;
}

interface Waiting {
  readonly call: LrecWsRequest['call'];
  resolve(value: string | Uint8Array | undefined): void;
  reject(error: Error): void;
}

function notSelected(): NetrxError {
  return new NetrxError(
    'ERR_CAPTURE_WS_HANDSHAKE',
    `The server did not select ${LREC_WS_SUBPROTOCOL}`,
  );
}

export async function connectLrecWs(options: LrecWsClientOptions): Promise<LrecWsClient> {
  const protocols = [LREC_WS_SUBPROTOCOL];
  const headers: Record<string, string> = {};
  if (options.token !== undefined) {
    if (options.tokenVia === 'subprotocol') protocols.push(bearerSubprotocol(options.token));
    else headers['Authorization'] = `Bearer ${options.token}`;
  }
  const clientOptions: ClientOptions = {
    headers,
    perMessageDeflate: false,
    maxPayload: 64 << 20,
    handshakeTimeout: options.handshakeTimeout ?? 10_000,
    ...(options.ca === undefined ? {} : { ca: Buffer.from(options.ca) }),
    ...(options.servername === undefined ? {} : { servername: options.servername }),
  };
  const ws = new WebSocket(options.url, protocols, clientOptions);
  let refusedStatus: number | undefined;
  ws.on('unexpected-response', (_request: unknown, response: IncomingMessage) => {
    refusedStatus = response.statusCode;
    response.resume();
  });
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) =>
      // The ws-like WebSocket refuses a server that chose no subprotocol
      // itself (as ws does): report it as this client always has.
      reject(
        (error as { code?: unknown }).code === 'ERR_WS_HANDSHAKE' &&
          error.message === 'Server sent no subprotocol'
          ? notSelected()
          : error,
      );
    ws.once('error', onError);
    ws.once('close', () =>
      reject(
        refusedStatus === 401
          ? new NetrxError(
              'ERR_CAPTURE_WS_UNAUTHORIZED',
              'The capture server refused the token (401)',
            )
          : new NetrxError(
              'ERR_CAPTURE_WS_HANDSHAKE',
              refusedStatus === undefined
                ? 'The capture server closed the connection during the handshake'
                : `The capture server refused the upgrade (${refusedStatus})`,
            ),
      ),
    );
    ws.once('open', () => {
      ws.off('error', onError);
      resolve();
    });
  });
  if (ws.protocol !== LREC_WS_SUBPROTOCOL) {
    ws.terminate();
    throw notSelected();
  }

  const waiting = new Map<number, Waiting>();
  let nextId = 1;
  /** The receive whose EVENT_BUFFER is the next binary frame. */
  let binaryFor: { id: number; bytes: number } | undefined;
  let failure: Error | undefined;
  const fail = (error: Error) => {
    failure ??= error;
    for (const w of waiting.values()) w.reject(failure);
    waiting.clear();
    ws.terminate();
  };
  ws.on('error', (error: Error) => fail(error));
  ws.on('close', (code: number) =>
    fail(
      new NetrxError('ERR_CAPTURE_WS_CLOSED', `The capture server closed the connection (${code})`),
    ),
  );
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) {
      const expected = binaryFor;
      binaryFor = undefined;
      const w = expected === undefined ? undefined : waiting.get(expected.id);
      if (expected === undefined || w === undefined || data.length !== expected.bytes) {
        fail(new NetrxError('ERR_CAPTURE_WS_PROTOCOL', 'An EVENT_BUFFER nobody asked for'));
        return;
      }
      waiting.delete(expected.id);
      w.resolve(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      return;
    }
    const parsed = parseReply(data.toString('utf8'));
    if (!parsed.ok || binaryFor !== undefined) {
      fail(
        new NetrxError(
          'ERR_CAPTURE_WS_PROTOCOL',
          parsed.ok ? 'A reply before the EVENT_BUFFER' : parsed.message,
        ),
      );
      return;
    }
    const reply = parsed.value;
    const w = waiting.get(reply.id);
    if (w === undefined) {
      fail(new NetrxError('ERR_CAPTURE_WS_PROTOCOL', `A reply to no call (id ${reply.id})`));
      return;
    }
    if (!reply.ok) {
      waiting.delete(reply.id);
      w.reject(
        new NetrxError(
          'ERR_CAPTURE_WS_STATUS',
          `${w.call} failed: ${reply.code} (${reply.status}): ${reply.message}`,
          {
            number: reply.status,
          },
        ),
      );
      return;
    }
    if (w.call === 'receive' && 'bytes' in reply) {
      binaryFor = { id: reply.id, bytes: reply.bytes };
      return;
    }
    waiting.delete(reply.id);
    if (w.call === 'open' && 'handle' in reply) w.resolve(reply.handle);
    else if (w.call === 'close') w.resolve(undefined);
    else fail(new NetrxError('ERR_CAPTURE_WS_PROTOCOL', `A ${w.call} reply of the wrong shape`));
  });

  type Call = { call: 'open'; session: string } | { call: 'receive' | 'close'; handle: string };
  const call = <T>(request: Call): Promise<T> => {
    if (failure !== undefined) return Promise.reject(failure);
    const id = nextId;
    nextId = nextId >= 0xffff_ffff ? 1 : nextId + 1;
    return new Promise<T>((resolve, reject) => {
      waiting.set(id, { call: request.call, resolve: resolve as (v: unknown) => void, reject });
      ws.send(encodeRequest({ ...request, id }));
    });
  };
  return {
    open: (session) => call<string>({ call: 'open', session }),
    receive: (handle) => call<Uint8Array>({ call: 'receive', handle }),
    close: (handle) => call<void>({ call: 'close', handle }),
    end() {
      ws.close(1000);
    },
    closed,
  };
}
