/**
 * The LREC RPC server over TCP (ncacn_ip_tcp): node:net in front of the
 * sans-I/O `LrecRpcServer` of netrx/capture.
 *
 * Unauthenticated binds are served only when asked for
 * (`insecureNoAuth: true`) and only on a loopback address: anything else is
 * refused at start (`ERR_CAPTURE_RPC_INSECURE_BIND`). A client that never
 * reads cannot make the server buffer without bound: past
 * `maxWriteBufferBytes` (256 KiB) queued in the socket, or with bytes queued
 * and none flushed for `writeStallTimeoutMs` (5 s), the connection is
 * destroyed (counted as `slowReaders` and in `dropped` as `write-backlog` /
 * `write-stall`, traced), which runs its handles down. So one address holds
 * at most `maxConnectionsPerAddress` × 256 KiB in user space.
 *
 * Connection limits and deadlines (the core's, on the real clock): at most
 * `maxConnections` (256) sockets, `maxConnectionsPerAddress` (32) from one
 * source address, a bind within `bindTimeoutMs` (10 s), an idle bound
 * connection with no session and no parked receive closed after
 * `idleTimeoutMs` (120 s), an incomplete PDU completed within
 * `partialPduTimeoutMs` (20 s). A connection the core closes is ended and,
 * once what was written is flushed, destroyed, so a peer that never closes
 * its side cannot keep the socket.
 */
import { createServer, isIP, type AddressInfo, type Server, type Socket } from 'node:net';
import { LrecRpcServer, type LrecRpcServerStats, type SessionTable } from '../../capture/index.js';
import { NetrxError, type Clock } from '../../runtime/index.js';
import type { TraceRegistry } from '../../trace/index.js';
import { nodeCrypto, systemClock } from '../runtime/index.js';
import { guardWrites } from './write-guard.js';

export interface LrecTcpServerOptions {
  readonly table: SessionTable;
  /** Listen address: an IP literal or `localhost`. Default 127.0.0.1. */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Serve unauthenticated binds (loopback only). There is no authentication yet, so required. */
  readonly insecureNoAuth?: boolean;
  readonly maxFragLength?: number;
  /** Bytes queued in one socket before a non-reading client is cut off. Default 256 KiB. */
  readonly maxWriteBufferBytes?: number;
  /** Bytes queued and none flushed for this long: cut off. Default 5 s; 0 = off. */
  readonly writeStallTimeoutMs?: number;
  /** The write-progress deadline's clock (tests). Default the system clock. */
  readonly clock?: Clock;
  /** Connections at once; past it a new one is refused and counted. Default 256. */
  readonly maxConnections?: number;
  /** Connections at once from one source address. Default 32. */
  readonly maxConnectionsPerAddress?: number;
  /** Default 10 s; 0 = off. */
  readonly bindTimeoutMs?: number;
  /** Default 120 s; 0 = off. */
  readonly idleTimeoutMs?: number;
  /** Default 20 s; 0 = off. */
  readonly partialPduTimeoutMs?: number;
  /** Refused and cut-off connections are traced here (`netrx-capture-rpc`). */
  readonly trace?: TraceRegistry;
  /** Called after a connection closed and its handles were run down. */
  readonly onConnectionClosed?: () => void;
}

export interface LrecTcpServer {
  readonly port: number;
  readonly host: string;
  readonly core: LrecRpcServer;
  stats(): LrecRpcServerStats & { readonly slowReaders: number };
  /** Connections open now. */
  connections(): number;
  /**
   * Stops accepting; the connections open go on (their sessions, receives
   * and queued events included) until their clients leave. Resolves when
   * the last one has. `close()` still cuts them.
   */
  stopAccepting(): Promise<void>;
  close(): Promise<void>;
}

/** True for 127.0.0.0/8, ::1, ::ffff:127.x and `localhost`. */
export function isLoopbackAddress(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  const v4 = host.startsWith('::ffff:') ? host.slice(7) : host;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

function pick<T extends object, K extends keyof T>(
  from: T,
  keys: readonly K[],
): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const key of keys) if (from[key] !== undefined) out[key] = from[key];
  return out;
}

export async function startLrecTcpServer(options: LrecTcpServerOptions): Promise<LrecTcpServer> {
  const host = options.host ?? '127.0.0.1';
  if (options.insecureNoAuth !== true) {
    throw new NetrxError(
      'ERR_CAPTURE_RPC_NO_AUTH',
      'The capture RPC server has no authentication yet: start it with insecureNoAuth (--insecure-no-auth) on a loopback address',
    );
  }
  if (!isLoopbackAddress(host)) {
    throw new NetrxError(
      'ERR_CAPTURE_RPC_INSECURE_BIND',
      `Unauthenticated capture RPC is served on loopback only, not on ${host}`,
    );
  }
  const core = new LrecRpcServer({
    table: options.table,
    crypto: nodeCrypto,
    clock: systemClock,
    allowUnauthenticated: true,
    ...pick(options, [
      'maxFragLength',
      'maxConnections',
      'maxConnectionsPerAddress',
      'bindTimeoutMs',
      'idleTimeoutMs',
      'partialPduTimeoutMs',
      'trace',
    ]),
  });
  const maxWrite = options.maxWriteBufferBytes ?? 256 << 10;
  const stallMs = options.writeStallTimeoutMs ?? 5_000;
  const clock = options.clock ?? systemClock;
  const sockets = new Set<Socket>();
  let slowReaders = 0;
  const server: Server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    // `connection` is read only on a cut, which happens on a write, after connect returned.
    const guard = guardWrites(socket, {
      maxBytes: maxWrite,
      stallMs,
      clock,
      onCut(reason) {
        slowReaders++;
        core.countDrop(reason, connection);
      },
    });
    const connection = core.connect(
      {
        send(bytes) {
          guard.write(bytes);
        },
        close() {
          // Flush what was written (a nak, a fault), then let go even if the peer never closes.
          socket.end(() => socket.destroy());
          setTimeout(() => socket.destroy(), 5_000).unref();
        },
      },
      socket.remoteAddress === undefined ? {} : { address: socket.remoteAddress },
    );
    socket.on('data', (chunk: Buffer) => connection.receive(chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      guard.dispose();
      sockets.delete(socket);
      connection.closed();
      options.onConnectionClosed?.();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  core.secondaryAddress = String(port);
  return {
    port,
    host,
    core,
    stats: () => ({ ...core.stats(), slowReaders }),
    connections: () => sockets.size,
    stopAccepting: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
