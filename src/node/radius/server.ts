/**
 * The RADIUS server core on UDP sockets: one for authentication (1812 by
 * convention) and, optionally, one for accounting. Datagrams go to the core
 * as views of Node's buffers (the core copies what it keeps); the core's
 * answers go back to the sender from the socket that received the request.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { RadiusServer, type RadiusServerOptions, type RadiusService } from '../../radius/index.js';
import { systemClock } from '../runtime/clock.js';
import { nodeCrypto } from '../runtime/crypto.js';

export interface RadiusUdpServerOptions extends Omit<
  RadiusServerOptions,
  'send' | 'clock' | 'crypto'
> {
  readonly host: string;
  /** The authentication port; 0 picks a free one. */
  readonly port: number;
  /** The accounting port, if accounting is served; 0 picks a free one. */
  readonly accountingPort?: number;
  readonly clock?: RadiusServerOptions['clock'];
  readonly crypto?: RadiusServerOptions['crypto'];
}

export interface RadiusUdpServer {
  readonly core: RadiusServer;
  /** The bound authentication port. */
  readonly port: number;
  readonly accountingPort: number | undefined;
  close(): Promise<void>;
}

function bind(host: string, port: number): Promise<Socket> {
  const socket = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

/** Binds the sockets and resolves once they listen. */
export async function startRadiusServer(options: RadiusUdpServerOptions): Promise<RadiusUdpServer> {
  const auth = await bind(options.host, options.port);
  let acct: Socket | undefined;
  try {
    if (options.accountingPort !== undefined)
      acct = await bind(options.host, options.accountingPort);
  } catch (error) {
    auth.close();
    throw error;
  }
  const sockets = new Map<RadiusService, Socket>([['auth', auth]]);
  if (acct !== undefined) sockets.set('acct', acct);
  // Answers leave from the socket the request came in on: the service of the request being handled.
  let replying: Socket = auth;
  const core = new RadiusServer({
    ...options,
    clock: options.clock ?? systemClock,
    crypto: options.crypto ?? nodeCrypto,
    send: (datagram, to) => replying.send(datagram, to.port, to.address),
  });
  for (const [service, socket] of sockets) {
    socket.on('message', (message, rinfo) => {
      replying = socket;
      core.receive(plain(message), { address: rinfo.address, port: rinfo.port }, service);
      replying = auth;
    });
    // A send error (ICMP unreachable reported back, …) is the peer's problem; the server goes on.
    socket.on('error', () => {});
  }
  return {
    core,
    port: auth.address().port,
    accountingPort: acct?.address().port,
    close: async () => {
      await Promise.all(
        [...sockets.values()].map(
          (socket) => new Promise<void>((resolve) => socket.close(() => resolve())),
        ),
      );
    },
  };
}

/**
 * A plain Uint8Array view of Node's Buffer (no copy): the cores call
 * `slice()` to copy, and Buffer's `slice()` is a view.
 */
function plain(message: Buffer): Uint8Array {
  return new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
}
