/**
 * One EAP authentication through RADIUS from Node: the `RadiusEapClient`
 * core on a UDP socket, resolving with its result (success, failure,
 * timeout after the retries and failover of the core).
 */
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import {
  RadiusEapClient,
  type RadiusEapClientOptions,
  type RadiusEapResult,
} from '../../radius/index.js';
import { systemClock } from '../runtime/clock.js';
import { RadSecConnection, type RadSecConnectOptions } from './radsec-client.js';
import { nodeCrypto } from '../runtime/crypto.js';

export type RadiusEapTestOptions = Omit<
  RadiusEapClientOptions,
  'send' | 'onResult' | 'clock' | 'crypto'
> & {
  readonly clock?: RadiusEapClientOptions['clock'];
  readonly crypto?: RadiusEapClientOptions['crypto'];
  /**
   * Over RadSec (RFC 6614) instead of UDP: one TLS connection to the first
   * server (its secret is normally `radsec`); no retransmission, so `retries`
   * is ignored (RFC 6613 §2.6.1).
   */
  readonly radsec?: Omit<RadSecConnectOptions, 'host' | 'port'> & {
    /** Send a Status-Server first and fail if it is not answered (RFC 5997). */
    readonly statusServer?: boolean;
  };
  /** Ends the conversation at once with outcome `error`, reason `stopped` (the CLI's Ctrl-C/SIGTERM). */
  readonly signal?: AbortSignal;
};

/** Aborts `client` when `signal` fires (at once if it already has). */
function abortOn(signal: AbortSignal | undefined, client: RadiusEapClient): void {
  if (signal === undefined) return;
  if (signal.aborted) client.abort('stopped');
  else signal.addEventListener('abort', () => client.abort('stopped'), { once: true });
}

/** Runs one EAP conversation against `servers` and resolves with the result. */
export async function runRadiusEapTest(options: RadiusEapTestOptions): Promise<RadiusEapResult> {
  if (options.radsec !== undefined) return runOverRadSec(options, options.radsec);
  const v6 = options.servers.some((server) => isIPv6(server.address));
  const socket = createSocket({ type: v6 ? 'udp6' : 'udp4' });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  socket.on('error', () => {});
  try {
    return await new Promise<RadiusEapResult>((resolve) => {
      const client = new RadiusEapClient({
        ...options,
        clock: options.clock ?? systemClock,
        crypto: options.crypto ?? nodeCrypto,
        send: (datagram, to) => socket.send(datagram, to.port, to.address),
        onResult: resolve,
      });
      socket.on('message', (message, rinfo) =>
        client.receive(plain(message), { address: rinfo.address, port: rinfo.port }),
      );
      client.start();
      abortOn(options.signal, client);
    });
  } finally {
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}

async function runOverRadSec(
  options: RadiusEapTestOptions,
  radsec: NonNullable<RadiusEapTestOptions['radsec']>,
): Promise<RadiusEapResult> {
  const server = options.servers[0];
  if (server === undefined) throw new TypeError('runRadiusEapTest needs a server');
  const connection = await RadSecConnection.connect({
    ...radsec,
    host: server.address,
    port: server.port,
  });
  try {
    if (radsec.statusServer === true && !(await connection.statusServer(options.timeoutMs))) {
      return {
        outcome: 'timeout',
        reason: 'RadSec: Status-Server not answered',
        server,
        eap: undefined,
        keys: undefined,
        keysMatch: undefined,
        replyMessage: undefined,
        requests: 0,
      };
    }
    return await new Promise<RadiusEapResult>((resolve) => {
      const client = new RadiusEapClient({
        ...options,
        servers: [server],
        retries: 0,
        clock: options.clock ?? systemClock,
        crypto: options.crypto ?? nodeCrypto,
        send: (datagram) => connection.send(datagram),
        onResult: resolve,
      });
      connection.onPacket = (packet) =>
        client.receive(packet, { address: server.address, port: server.port });
      void connection.closed.then((reason) => {
        if (client.result === undefined)
          resolve({
            outcome: 'error',
            reason: `RadSec connection closed: ${reason}`,
            server,
            eap: undefined,
            keys: undefined,
            keysMatch: undefined,
            replyMessage: undefined,
            requests: 0,
          });
      });
      client.start();
      abortOn(options.signal, client);
    });
  } finally {
    connection.close('done');
  }
}

/**
 * A plain Uint8Array view of Node's Buffer (no copy): the cores call
 * `slice()` to copy, and Buffer's `slice()` is a view.
 */
function plain(message: Buffer): Uint8Array {
  return new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
}
