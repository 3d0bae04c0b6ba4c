/**
 * The RADIUS server core on UDP sockets: one for authentication (1812 by
 * convention) and, optionally, one for accounting. Datagrams go to the core
 * as views of Node's buffers (the core copies what it keeps); the core's
 * answers go back to the sender from the socket that received the request.
 */
import { createSocket, type Socket } from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIP, isIPv6 } from 'node:net';
import { availableParallelism } from 'node:os';
import {
  MAX_WORKERS,
  RadiusClientTable,
  RadiusCluster,
  clusterStatePrefix,
  SharedConversations,
  type ConversationAead,
  type ConversationKv,
  type RadiusClusterLink,
  type RadiusClusterStats,
  RadiusServer,
  type RadiusServerOptions,
  type RadiusServerStats,
  type RadiusService,
} from '../../radius/index.js';
import { systemClock } from '../runtime/clock.js';
import { nodeCrypto } from '../runtime/crypto.js';
import { RadSecListener, type RadSecListenerOptions } from './radsec-server.js';
import { RadiusWorkerPool } from './worker-pool.js';
import { ZERO_STATS, addStats, type RadiusWorkerPoolStats } from './worker-stats.js';
import type { RadiusWorkerSetup } from './worker-protocol.js';

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
  /**
   * Also serve RadSec (RFC 6614) with the same core: its own port,
   * certificates and clients. With workers, its Access-Requests and
   * Status-Server go through the same pool as UDP's (a conversation's
   * rounds reach the worker that set its State, whichever transport they
   * arrive on); its Accounting-Requests stay with this thread's core.
   */
  readonly radsec?: Omit<RadSecListenerOptions, 'trace'>;
  /**
   * False: no UDP socket at all, RadSec only (`radsec` required; `port`,
   * `accountingPort` and `extraListeners` are ignored and `port` reads 0).
   * Default true.
   */
  readonly udp?: boolean;
  /**
   * Worker threads for the authentication service: 1 (default) runs
   * everything on this thread; `'auto'` is `os.availableParallelism()`. With
   * more than one, this thread receives and routes (worker-pool.ts) and
   * answers accounting itself; each worker builds its methods and users from
   * `workerSetup` (`methods`, `users` and `provider` given here serve
   * nobody), with the system clock and nodeCrypto.
   */
  readonly workers?: number | 'auto';
  /** Required with more than one worker: see standardWorkerSetup (worker-setup.ts). */
  readonly workerSetup?: RadiusWorkerSetup;
  /**
   * Share EAP conversations with the other servers of a cluster (radius/cluster.ts):
   * this server's States carry `serverId`, and a later round whose State names
   * another server is forwarded to it over `link` (node/cluster:
   * connectRadiusClusterLink). One worker only (for now); `statePrefix` is set from it.
   */
  readonly cluster?: {
    readonly serverId: string;
    readonly link: RadiusClusterLink;
    readonly forwardTimeoutMs?: number;
    readonly maxForwardsInFlight?: number;
    readonly maxServing?: number;
    /**
     * Conversation state shared in a sealed bucket (radius/conversation-kv.ts):
     * with it, later rounds of MD5 and MSCHAPv2 are answered by whichever
     * server receives them, so the owner's death does not end them.
     * `link.conversationBucket({ ttlMs: sessionTimeoutMs })` gives `kv`;
     * `aead` is aes256GcmAead(stateKey); `previousAead`, during a key
     * rotation, the old key's (records open with either).
     */
    readonly shared?: {
      readonly kv: ConversationKv;
      readonly aead: ConversationAead;
      readonly previousAead?: ConversationAead;
    };
  };
}

export interface RadiusUdpServerStats extends RadiusServerStats {
  /** The worker pool's own counters, with more than one worker. */
  readonly workers?: RadiusWorkerPoolStats;
  /** Forwarding between the servers of a cluster, with `cluster`. */
  readonly cluster?: RadiusClusterStats;
}

export interface RadiusUdpServer {
  /** The core on this thread: everything with one worker; accounting only with more. */
  readonly core: RadiusServer;
  /** Worker threads serving authentication (1: the core above). */
  readonly workers: number;
  /** Every core's counters summed; with workers, as of their last batch. */
  stats(): RadiusUdpServerStats;
  /** As `stats()`, after asking every worker for its counters now. */
  refreshStats(): Promise<RadiusUdpServerStats>;
  /** The worker pool, with more than one worker. */
  readonly pool: RadiusWorkerPool | undefined;
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

/** `workers` as a count: 'auto' is the available parallelism. */
export function workerCount(workers: number | 'auto' | undefined): number {
  if (workers === undefined) return 1;
  const n = workers === 'auto' ? Math.min(availableParallelism(), MAX_WORKERS) : workers;
  if (!Number.isInteger(n) || n < 1 || n > MAX_WORKERS) {
    throw new RangeError(
      `workers must be 'auto' or an integer from 1 to ${MAX_WORKERS}: got ${String(workers)}`,
    );
  }
  return n;
}

/** Binds the sockets (and starts the workers) and resolves once they listen. */
export async function startRadiusServer(options: RadiusUdpServerOptions): Promise<RadiusUdpServer> {
  const workers = workerCount(options.workers);
  if (workers > 1 && options.workerSetup === undefined) {
    throw new TypeError('startRadiusServer: more than one worker needs workerSetup');
  }
  const udp = options.udp ?? true;
  if (!udp && options.radsec === undefined) {
    throw new TypeError('startRadiusServer: udp: false needs radsec');
  }
  if (workers > 1 && options.cluster !== undefined) {
    throw new TypeError('startRadiusServer: a cluster is served with one worker only (for now)');
  }
  if (workers > 1 && options.clients instanceof RadiusClientTable) {
    throw new TypeError('startRadiusServer: with workers, give clients as a list, not a table');
  }
  const listeners: { socket: Socket; service: RadiusService }[] = [];
  const closeAll = () => {
    for (const { socket } of listeners) socket.close();
  };
  const specs: { host: string; port: number; service: RadiusService }[] = udp
    ? [{ host: options.host, port: options.port, service: 'auth' }]
    : [];
  if (udp && options.accountingPort !== undefined)
    specs.push({ host: options.host, port: options.accountingPort, service: 'acct' });
  if (udp) for (const extra of options.extraListeners ?? []) specs.push(extra);
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
  const auth = listeners[0]?.socket;
  const radsec =
    options.radsec === undefined
      ? undefined
      : new RadSecListener({
          ...options.radsec,
          ...(options.trace === undefined ? {} : { trace: options.trace }),
        });
  /** Set by close: an answer completed later (a KV write, a lookup in flight) is dropped. */
  let closed = false;
  const toSocket = (
    datagram: Uint8Array,
    to: { port: number; address: string; listener?: string },
  ) => {
    if (closed) return;
    if (radsec !== undefined && RadSecListener.owns(to)) radsec.send(datagram, to);
    else (byTag.get(to.listener ?? '0') ?? auth)?.send(datagram, to.port, to.address);
  };
  let cluster: RadiusCluster | undefined;
  // An answer to a forwarded request goes back to the server that received it.
  const send: typeof toSocket = (datagram, to) => {
    if (cluster?.intercept(datagram, to) !== true) toSocket(datagram, to);
  };
  const clock = options.clock ?? systemClock;
  const crypto = options.crypto ?? nodeCrypto;
  const sharedState = options.cluster?.shared;
  const shared =
    sharedState === undefined
      ? undefined
      : new SharedConversations({
          kv: sharedState.kv,
          aead: sharedState.aead,
          ...(sharedState.previousAead === undefined
            ? {}
            : { previousAead: sharedState.previousAead }),
          crypto,
        });
  const core = new RadiusServer({
    ...options,
    clock,
    crypto,
    send,
    ...(options.cluster === undefined
      ? {}
      : { statePrefix: clusterStatePrefix(options.cluster.serverId) }),
    ...(shared === undefined ? {} : { sharedConversations: shared }),
  });
  if (options.cluster !== undefined) {
    const { serverId, link, shared: _kv, ...limits } = options.cluster;
    cluster = new RadiusCluster(core, {
      serverId,
      link,
      clock,
      ...limits,
      ...(shared === undefined ? {} : { shared }),
    });
  }
  let pool: RadiusWorkerPool | undefined;
  if (workers > 1) {
    const {
      host: _host,
      port: _port,
      accountingPort: _accountingPort,
      extraListeners: _extra,
      radsec: _radsec,
      udp: _udp,
      clock: _clock,
      crypto: _crypto,
      workers: _workers,
      workerSetup,
      methods: _methods,
      users: _users,
      provider: _provider,
      accounting: _accounting,
      trace,
      clients,
      ...settings
    } = options;
    pool = new RadiusWorkerPool({
      workers,
      setup: workerSetup as RadiusWorkerSetup,
      settings: { ...settings, clients: clients as Exclude<typeof clients, RadiusClientTable> },
      send,
      ...(trace === undefined ? {} : { trace }),
    });
    try {
      await pool.start();
    } catch (error) {
      closeAll();
      throw error;
    }
  }
  if (radsec !== undefined) {
    // With workers, RadSec's authentication goes through the pool as UDP's
    // does (State routing holds across transports); accounting stays here.
    const workersPool = pool;
    radsec.attach(
      workersPool === undefined
        ? core
        : {
            receive: (packet, from, service) =>
              service === 'acct'
                ? core.receive(packet, from, service)
                : workersPool.dispatch(packet, from),
          },
    );
    try {
      await radsec.listen();
    } catch (error) {
      closeAll();
      await pool?.close();
      throw error;
    }
  }
  for (const [i, { socket, service }] of listeners.entries()) {
    const listener = String(i);
    socket.on('message', (message, rinfo) => {
      const from = { address: rinfo.address, port: rinfo.port, listener };
      if (pool !== undefined && service === 'auth') pool.dispatch(plain(message), from);
      else if (cluster !== undefined)
        cluster.receive(plain(message), from, service, (answer) => {
          try {
            toSocket(answer, from);
          } catch {
            // The server closed while the owner answered: the NAS retransmits elsewhere.
          }
        });
      else core.receive(plain(message), from, service);
    });
    // A send error (ICMP unreachable reported back, …) is the peer's problem; the server goes on.
    socket.on('error', () => {});
  }
  const acct = !udp || options.accountingPort === undefined ? undefined : listeners[1]?.socket;
  const extras = udp ? listeners.slice(options.accountingPort === undefined ? 1 : 2) : [];
  const combined = (server: RadiusServerStats, poolStats: RadiusWorkerPoolStats) => {
    // Datagrams the pool refused (worker busy, gone) were received and dropped too.
    const refused = Object.values(poolStats.dropped).reduce((n, d) => n + d, 0);
    const total = addStats(addStats(server, core.stats()), {
      ...ZERO_STATS,
      received: refused,
      droppedTotal: refused,
      dropped: poolStats.dropped,
    });
    return { ...total, workers: poolStats };
  };
  return {
    core,
    workers,
    pool,
    stats: () => {
      if (cluster !== undefined) return { ...core.stats(), cluster: cluster.stats() };
      if (pool === undefined) return core.stats();
      const { server, pool: poolStats } = pool.stats();
      return combined(server, poolStats);
    },
    refreshStats: async () => {
      if (cluster !== undefined) return { ...core.stats(), cluster: cluster.stats() };
      if (pool === undefined) return core.stats();
      const { server, pool: poolStats } = await pool.refreshStats();
      return combined(server, poolStats);
    },
    port: auth?.address().port ?? 0,
    accountingPort: acct?.address().port,
    extraPorts: extras.map(({ socket }) => socket.address().port),
    radsec,
    close: async () => {
      // Ordered: stop receiving, let the workers answer what they hold, then close the sockets.
      for (const { socket } of listeners) socket.removeAllListeners('message');
      // No more forwarded requests; forwards in flight settle (their answers find a closed socket).
      cluster?.close();
      await radsec?.close();
      await pool?.close();
      // What the workers answered is out; anything later has no socket to leave by.
      closed = true;
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
