/**
 * The NATS adapter of RADIUS clustering: a `RadiusClusterLink` (the
 * interface netrx/radius defines) over NATS core request/reply. Server
 * `<id>` of cluster `<cluster>` serves the subject
 * `netrxradius.<cluster>.<id>`; a receiving server asks it with a request
 * on that subject and the owner's reply is the signed RADIUS answer (empty:
 * it answered nothing). Not JetStream: a forwarded round is worth nothing
 * after the NAS's retransmission interval, so it is never stored. The
 * prefix is not `netrx.`, which capture streams own (`netrx.<session>.>`): a
 * session named like a cluster would otherwise capture, and acknowledge, the
 * requests. The NATS client loads only when `connectRadiusClusterLink` is
 * called.
 *
 * Over a connection that has not reached a server yet (booted during an
 * outage, review F10), the link answers at once: a forward is `failed`
 * (the NAS retries, the conversation fails cleanly), the bucket answers
 * `failed` (new conversations stay local), and the subject is served and
 * the bucket opened once NATS answers (attach.ts), without a restart.
 * Later, while the connection is away (reconnecting), the bucket answers
 * `failed` at once too (radius-kv-gate.ts, audit16 A1) rather than after
 * the client's timeouts.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { Clock } from '../../runtime/index.js';
import { systemClock } from '../runtime/clock.js';
import { attachWhenConnected, type Attachment } from './attach.js';
import { connectNats, natsClientIfConnected, natsClientOf } from './connection.js';
import type { NatsConnectionSettings, SharedNatsConnection } from './connection-settings.js';
import type { ConversationBucketOptions } from './radius-kv-options.js';
import { openConversationBucket } from './radius-kv.js';
import { gateWhileAway } from './radius-kv-gate.js';
import {
  checkClusterToken,
  type ConversationKv,
  type ClusterRequestOutcome,
  type ForwardedRequestHandler,
  type KvRead,
  type KvLineage,
  type KvWrite,
  type RadiusClusterLink,
} from '../../radius/index.js';

export interface NatsRadiusClusterOptions extends NatsConnectionSettings {
  /** The cluster's id: servers with the same id answer each other's conversations. */
  readonly clusterId: string;
}

/** The subject server `serverId` of `clusterId` serves. */
export function radiusClusterSubject(clusterId: string, serverId: string): string {
  return `netrxradius.${checkClusterToken('cluster id', clusterId)}.${checkClusterToken('server id', serverId)}`;
}

export interface NatsRadiusClusterLink extends RadiusClusterLink {
  readonly serverVersion: string;
  /** False while the connection has not reached a server yet: forwards fail, the bucket answers `failed`. */
  readonly attached: boolean;
  /** True while the connection is `connected`: otherwise the bucket answers `failed` at once (radius-kv-gate.ts). */
  readonly connected: boolean;
  /** Why the last attempt to attach failed ('' for none), e.g. the bucket could not be created. */
  readonly attachError: string;
  /** Opens (creating if needed) the cluster's bucket of sealed conversation state (radius-kv.ts). */
  conversationBucket(
    options: Omit<ConversationBucketOptions, 'clusterId'>,
  ): Promise<ConversationKv>;
  close(): Promise<void>;
}

/** Connects (a connection of its own, closed with the link) and opens the cluster link over it. */
export async function connectRadiusClusterLink(
  options: NatsRadiusClusterOptions,
): Promise<NatsRadiusClusterLink> {
  checkClusterToken('cluster id', options.clusterId);
  const connection = await connectNats({
    name: 'netrx-radius',
    startDisconnected: true,
    ...options,
  });
  try {
    return await radiusClusterLinkOver(connection, options.clusterId, { ownsConnection: true });
  } catch (error) {
    await connection.close();
    throw error;
  }
}

/**
 * The cluster link over a connection shared with others (`cluster.nats`):
 * its `close` stops serving this server's subject and leaves the
 * connection open, unless `ownsConnection`.
 */
export async function radiusClusterLinkOver(
  connection: SharedNatsConnection,
  clusterId: string,
  options: {
    readonly ownsConnection?: boolean;
    /** Times the retries of a failed attach. Default the system clock. */
    readonly clock?: Clock;
    readonly attachRetryMs?: number;
  } = {},
): Promise<NatsRadiusClusterLink> {
  checkClusterToken('cluster id', clusterId);
  const { errors } = await import('@nats-io/transport-node');
  let nc = natsClientIfConnected(connection);
  /** Subjects served, each subscribed once there is a client. */
  const served = new Set<ServedSubject>();
  /** Buckets asked for before there was a client, each opened on attach. */
  const waitingBuckets: DeferredBucket[] = [];
  const subscribe = (client: NatsConnection, entry: ServedSubject) => {
    entry.subscription = client.subscribe(radiusClusterSubject(clusterId, entry.serverId), {
      callback: (error, msg) => {
        if (error !== null) return;
        let answered = false;
        entry.handler(plain(msg.data), (answer) => {
          if (answered) return;
          answered = true;
          msg.respond(answer);
        });
      },
    });
  };
  const attachment: Attachment | undefined =
    nc !== undefined
      ? undefined
      : attachWhenConnected({
          connection,
          clock: options.clock ?? systemClock,
          ...(options.attachRetryMs === undefined ? {} : { retryMs: options.attachRetryMs }),
          open: async () => {
            const client = natsClientOf(connection);
            for (const bucket of waitingBuckets) {
              bucket.real ??= await openConversationBucket(client, {
                ...bucket.options,
                clusterId,
              });
            }
            return client;
          },
          attached: (client) => {
            nc = client;
            for (const entry of served) subscribe(client, entry);
          },
        });
  return {
    get serverVersion() {
      return nc?.info?.version ?? 'unknown';
    },
    get attached() {
      return nc !== undefined;
    },
    get connected() {
      return connection.status().state === 'connected';
    },
    get attachError() {
      return attachment?.lastError ?? '';
    },
    async conversationBucket(bucket) {
      // Gated: while NATS is away a call answers at once instead of waiting out its timeout.
      if (nc !== undefined) {
        return gateWhileAway(
          connection,
          await openConversationBucket(nc, { ...bucket, clusterId }),
        );
      }
      const deferred = new DeferredBucket(bucket);
      waitingBuckets.push(deferred);
      return gateWhileAway(connection, deferred);
    },
    async request(owner, message, timeoutMs): Promise<ClusterRequestOutcome> {
      if (nc === undefined) return { kind: 'failed', reason: NOT_YET };
      try {
        const reply = await nc.request(radiusClusterSubject(clusterId, owner), message, {
          timeout: timeoutMs,
        });
        return { kind: 'answered', data: plain(reply.data) };
      } catch (error) {
        if (error instanceof errors.RequestError && error.isNoResponders()) {
          return { kind: 'unavailable' };
        }
        if (error instanceof errors.NoRespondersError) return { kind: 'unavailable' };
        if (error instanceof errors.TimeoutError) return { kind: 'timeout' };
        if (error instanceof errors.RequestError && error.cause instanceof errors.TimeoutError) {
          return { kind: 'timeout' };
        }
        return { kind: 'failed', reason: error instanceof Error ? error.message : String(error) };
      }
    },
    serve(serverId, handler) {
      const entry: ServedSubject = { serverId, handler };
      served.add(entry);
      if (nc !== undefined) subscribe(nc, entry);
      return {
        stop: () => {
          served.delete(entry);
          entry.subscription?.unsubscribe();
        },
      };
    },
    async close() {
      attachment?.stop();
      for (const entry of [...served]) entry.subscription?.unsubscribe();
      served.clear();
      if (options.ownsConnection === true) await connection.close();
    },
  };
}

/** A server id this link serves, subscribed once there is a client. */
interface ServedSubject {
  readonly serverId: string;
  readonly handler: ForwardedRequestHandler;
  subscription?: { unsubscribe(): void };
}

const NOT_YET = 'NATS not connected yet (started during an outage)';
/** A write with no client to send it: not stored, so not read back to confirm. */
const UNSENT: KvWrite = { kind: 'failed', reason: NOT_YET, notSent: true };

/**
 * The bucket of a link that has no client yet: every call answers
 * `failed`, which the RADIUS core takes as "NATS away" (a new
 * conversation stays local), until attach opens the real one.
 */
class DeferredBucket implements ConversationKv {
  real: ConversationKv | undefined;
  constructor(readonly options: Omit<ConversationBucketOptions, 'clusterId'>) {}
  get(key: string): Promise<KvRead> {
    return this.real?.get(key) ?? Promise.resolve({ kind: 'failed', reason: NOT_YET });
  }
  create(key: string, value: Uint8Array): Promise<KvWrite> {
    return this.real?.create(key, value) ?? Promise.resolve(UNSENT);
  }
  update(key: string, value: Uint8Array, revision: number): Promise<KvWrite> {
    return this.real?.update(key, value, revision) ?? Promise.resolve(UNSENT);
  }
  delete(key: string, revision: number): Promise<KvWrite> {
    return this.real?.delete(key, revision) ?? Promise.resolve(UNSENT);
  }
  revisionAfter(key: string, revision: number): Promise<KvLineage> {
    return (
      this.real?.revisionAfter(key, revision) ??
      Promise.resolve({ kind: 'failed', reason: NOT_YET })
    );
  }
}

/**
 * The client hands out Buffers, whose `slice()` is a view: the RADIUS core
 * copies what it keeps with `slice()`, so it gets a plain Uint8Array view
 * (no copy) whose `slice()` copies.
 */
function plain(data: Uint8Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
