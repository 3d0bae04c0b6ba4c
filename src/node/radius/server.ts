/**
 * The RADIUS server core on UDP sockets: one for authentication (1812 by
 * convention) and, optionally, one for accounting. Datagrams go to the core
 * as views of Node's buffers (the core copies what it keeps); the core's
 * answers go back to the sender from the socket that received the request.
 */
import { createSocket, type Socket } from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIP, isIPv6 } from 'node:net';
import { RadiusServer, type RadiusServerOptions, type RadiusService } from '../../radius/index.js';
import { systemClock } from '../runtime/clock.js';
import { nodeCrypto } from '../runtime/crypto.js';
import { RadSecListener, type RadSecListenerOptions } from './radsec-server.js';

export interface RadiusUdpServerOptions extends Omit<
  RadiusServerOptions,
  'send' | 'clock' | 'crypto'
> {
  readonly host: string;
  /** The authentication port; 0 picks a free one. */
  readonly port: number;
  /** The accounting port, if accounting is served; 0 picks a free one. */
  readonly accountingPort?: number;
  /** More sockets (another address family, another port), each serving `service`. */
  readonly extraListeners?: readonly {
    readonly host: string;
    readonly port: number;
    readonly service: RadiusService;
  }[];
  readonly clock?: RadiusServerOptions['clock'];
  readonly crypto?: RadiusServerOptions['crypto'];
  /** Also serve RadSec (RFC 6614) with the same core: its own port, certificates and clients. */
  readonly radsec?: Omit<RadSecListenerOptions, 'trace'>;
}

export interface RadiusUdpServer {
  readonly core: RadiusServer;
  /** The bound authentication port. */
  readonly port: number;
  readonly accountingPort: number | undefined;
  /** The bound ports of `extraListeners`, in order. */
  readonly extraPorts: readonly number[];
  /** The RadSec listener, when `radsec` was given. */
  readonly radsec: RadSecListener | undefined;
  close(): Promise<void>;
}

/**
 * dgram resolves the destination of every send, and Node's default lookup
 * answers an address literal on the next tick: one scheduled callback per
 * response (bench/eap profile). Answers always go to the literal address a
 * request came from, so it is handed back at once; a name still goes to DNS.
 */
function literalLookup(
  hostname: string,
  options: LookupOneOptions,
  callback: (error: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  const family = isIP(hostname);
  if (family !== 0) callback(null, hostname, family);
  else dnsLookup(hostname, options, callback);
}

function bind(host: string, port: number): Promise<Socket> {
  const socket = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4', lookup: literalLookup });
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
  const listeners: { socket: Socket; service: RadiusService }[] = [];
  const closeAll = () => {
    for (const { socket } of listeners) socket.close();
  };
  const specs: { host: string; port: number; service: RadiusService }[] = [
    { host: options.host, port: options.port, service: 'auth' },
  ];
  if (options.accountingPort !== undefined)
    specs.push({ host: options.host, port: options.accountingPort, service: 'acct' });
  for (const extra of options.extraListeners ?? []) specs.push(extra);
  try {
    for (const spec of specs)
      listeners.push({ socket: await bind(spec.host, spec.port), service: spec.service });
  } catch (error) {
    closeAll();
    throw error;
  }
  // Answers leave from the socket the request came in on, late ones too: the
  // core hands back the listener tag it was given with the request.
  const byTag = new Map(listeners.map((l, i) => [String(i), l.socket]));
  const auth = (listeners[0] as { socket: Socket }).socket;
  const radsec =
    options.radsec === undefined
      ? undefined
      : new RadSecListener({
          ...options.radsec,
          ...(options.trace === undefined ? {} : { trace: options.trace }),
        });
  const core = new RadiusServer({
    ...options,
    clock: options.clock ?? systemClock,
    crypto: options.crypto ?? nodeCrypto,
    send: (datagram, to) =>
      radsec !== undefined && RadSecListener.owns(to)
        ? radsec.send(datagram, to)
        : (byTag.get(to.listener ?? '0') ?? auth).send(datagram, to.port, to.address),
  });
  if (radsec !== undefined) {
    radsec.attach(core);
    try {
      await radsec.listen();
    } catch (error) {
      closeAll();
      throw error;
    }
  }
  for (const [i, { socket, service }] of listeners.entries()) {
    const listener = String(i);
    socket.on('message', (message, rinfo) => {
      core.receive(plain(message), { address: rinfo.address, port: rinfo.port, listener }, service);
    });
    // A send error (ICMP unreachable reported back, …) is the peer's problem; the server goes on.
    socket.on('error', () => {});
  }
  const acct = options.accountingPort === undefined ? undefined : listeners[1]?.socket;
  const extras = listeners.slice(options.accountingPort === undefined ? 1 : 2);
  return {
    core,
    port: auth.address().port,
    accountingPort: acct?.address().port,
    extraPorts: extras.map(({ socket }) => socket.address().port),
    radsec,
    close: async () => {
      await radsec?.close();
      await Promise.all(
        listeners.map(
          ({ socket }) => new Promise<void>((resolve) => socket.close(() => resolve())),
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
