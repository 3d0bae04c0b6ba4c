/**
 * A fleet of RADIUS servers sharing a fake JetStream KV bucket and a fake
 * forwarding bus on one virtual clock, and a RadiusEapClient whose rounds
 * are routed among them: shared by the shared-state and the cache suites.
 */
import {
  StaticUserStore,
  createMd5Method,
  createMschapV2Method,
  type EapMethod,
} from '../../eap/index.js';
import {
  RadiusCluster,
  RadiusEapClient,
  RadiusServer,
  SharedConversations,
  clusterStatePrefix,
  type ConversationKv,
  type RadiusClientOptions,
  type RadiusEapResult,
  type RadiusEndpoint,
} from '../../radius/index.js';
import { VirtualClock } from '../../testing/index.js';
import type { TraceRegistry } from '../../trace/index.js';
import { aes256GcmAead } from '../runtime/aead.js';
import { nodeCrypto } from '../runtime/index.js';
import { FakeConversationKv } from './fake-conversation-kv.js';
import { FakeRadiusClusterBus } from './fake-radius-link.js';

export const NAS: RadiusEndpoint = { address: '127.0.0.1', port: 40000 };
export const SERVER: RadiusEndpoint = { address: '127.0.0.1', port: 1812 };
const users = new StaticUserStore([{ name: 'bob', password: 'hello' }]);
export const md5: EapMethod = createMd5Method({ crypto: nodeCrypto });
export const mschapv2: EapMethod = createMschapV2Method({ crypto: nodeCrypto });
export const KEY = nodeCrypto.randomBytes(32);
export const SESSION_TIMEOUT_MS = 30_000;

export interface Node {
  readonly id: string;
  readonly server: RadiusServer;
  readonly cluster: RadiusCluster;
  readonly shared: SharedConversations | undefined;
}

export function makeFleet(options: {
  ids: readonly string[];
  /** Per server: its state key, or undefined for no shared state (forwarding only). */
  keys?: readonly (Uint8Array | undefined)[];
  /** Per server: the previous state key it still accepts (a key rotation), if any. */
  previousKeys?: readonly (Uint8Array | undefined)[];
  start?: number;
  /** Deliver each request to this many servers at once (a NAS that sends one round twice). */
  copies?: number;
  /** Each server's `maxCachedConversations` (default the server's). */
  maxCached?: number;
  /** The servers' methods (default MD5 and MSCHAPv2). */
  methods?: readonly EapMethod[];
  /** The servers' `finishedTtlMs` (default the bucket's default). */
  finishedTtlMs?: number;
  /** Which live server takes delivery `n` (default round robin from `start`). */
  route?: (n: number, alive: number) => number;
  /** Entries the fake bucket keeps per key (default 2, as the real one; 1: no witness of a put-back). */
  history?: number;
  /** The bucket as the servers see it, over the fake one (default: the fake itself). */
  bucket?: (kv: FakeConversationKv, clock: VirtualClock) => ConversationKv;
  /** Each server's `forwardTimeoutMs` (default the cluster's). */
  forwardTimeoutMs?: number;
  /** The NAS address as the server taking delivery `n` reports it (default NAS.address). */
  nasAddress?: (n: number) => string;
  /** The servers' client list (default 127.0.0.0/8). */
  clients?: readonly RadiusClientOptions[];
  /** Where every server traces (`netrx-radius`), for tests that read its events. */
  trace?: TraceRegistry;
}) {
  const clock = new VirtualClock();
  const bus = new FakeRadiusClusterBus();
  const kv = new FakeConversationKv(clock, SESSION_TIMEOUT_MS, options.history);
  const served = options.bucket?.(kv, clock) ?? kv;
  const box: { client?: RadiusEapClient } = {};
  const answers: Uint8Array[] = [];
  const nodes: Node[] = options.ids.map((id, i) => {
    const key = options.keys === undefined ? KEY : options.keys[i];
    const shared =
      key === undefined
        ? undefined
        : new SharedConversations({
            kv: served,
            aead: aes256GcmAead(key),
            ...(options.previousKeys?.[i] === undefined
              ? {}
              : { previousAead: aes256GcmAead(options.previousKeys[i]) }),
            crypto: nodeCrypto,
            ...(options.finishedTtlMs === undefined
              ? {}
              : { finishedTtlMs: options.finishedTtlMs }),
          });
    const holder: { cluster?: RadiusCluster } = {};
    const server = new RadiusServer({
      clock,
      crypto: nodeCrypto,
      clients: options.clients ?? [{ address: '127.0.0.0/8', secret: 'testing123' }],
      methods: options.methods ?? [md5, mschapv2],
      users,
      sessionTimeoutMs: SESSION_TIMEOUT_MS,
      statePrefix: clusterStatePrefix(id),
      ...(options.trace === undefined ? {} : { trace: options.trace }),
      ...(shared === undefined ? {} : { sharedConversations: shared }),
      ...(options.maxCached === undefined ? {} : { maxCachedConversations: options.maxCached }),
      send: (datagram, to) => {
        if (holder.cluster?.intercept(datagram, to) === true) return;
        answers.push(datagram);
        box.client?.receive(datagram, SERVER);
      },
    });
    const cluster = new RadiusCluster(server, {
      serverId: id,
      link: bus.link(),
      clock,
      ...(shared === undefined ? {} : { shared }),
      ...(options.forwardTimeoutMs === undefined
        ? {}
        : { forwardTimeoutMs: options.forwardTimeoutMs }),
    });
    holder.cluster = cluster;
    return { id, server, cluster, shared };
  });
  const live = new Set(nodes);
  let next = options.start ?? 0;
  const sent: Uint8Array[] = [];
  const deliverTo = (node: Node, datagram: Uint8Array, from = NAS) =>
    node.cluster.receive(datagram, from, 'auth', (answer) => {
      answers.push(answer);
      box.client?.receive(answer, SERVER);
    });
  const deliver = (datagram: Uint8Array) => {
    sent.push(datagram.slice());
    const alive = nodes.filter((n) => live.has(n));
    for (let c = 0; c < (options.copies ?? 1); c++) {
      const n = next++;
      const at = options.route === undefined ? n % alive.length : options.route(n, alive.length);
      const from =
        options.nasAddress === undefined ? NAS : { ...NAS, address: options.nasAddress(n) };
      deliverTo(alive[at % alive.length] as Node, datagram, from);
    }
  };
  const authenticate = async (methods: readonly EapMethod[], password = 'hello') => {
    let result: RadiusEapResult | undefined;
    const client = new RadiusEapClient({
      clock,
      crypto: nodeCrypto,
      servers: [{ ...SERVER, secret: 'testing123' }],
      methods,
      identity: 'bob',
      password,
      send: (datagram) => deliver(datagram),
      onResult: (r) => (result = r),
    });
    box.client = client;
    client.start();
    for (let i = 0; i < 400 && result === undefined; i++) {
      await flush();
      if (result === undefined && i % 20 === 19) clock.advance(500);
    }
    return result;
  };
  return { clock, bus, kv, nodes, live, answers, sent, deliverTo, authenticate };
}

export async function flush(): Promise<void> {
  for (let i = 0; i < 12; i++) await Promise.resolve();
}

export const sum = (nodes: readonly Node[], f: (n: Node) => number) =>
  nodes.reduce((total, n) => total + f(n), 0);
export const dropped = (nodes: readonly Node[], reason: string) =>
  sum(nodes, (n) => n.server.stats().dropped[reason] ?? 0);
