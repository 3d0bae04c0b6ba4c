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
import { nodeCrypto } from '../runtime/crypto.js';

export type RadiusEapTestOptions = Omit<
  RadiusEapClientOptions,
  'send' | 'onResult' | 'clock' | 'crypto'
> & {
  readonly clock?: RadiusEapClientOptions['clock'];
  readonly crypto?: RadiusEapClientOptions['crypto'];
};

/** Runs one EAP conversation against `servers` and resolves with the result. */
export async function runRadiusEapTest(options: RadiusEapTestOptions): Promise<RadiusEapResult> {
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
    });
  } finally {
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}

/**
 * A plain Uint8Array view of Node's Buffer (no copy): the cores call
 * `slice()` to copy, and Buffer's `slice()` is a view.
 */
function plain(message: Buffer): Uint8Array {
  return new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
}
