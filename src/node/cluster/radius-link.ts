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
 */
import { connectNats, natsClientOf } from './connection.js';
import type { NatsConnectionSettings, SharedNatsConnection } from './connection-settings.js';
import type { ConversationBucketOptions } from './radius-kv-options.js';
import { openConversationBucket } from './radius-kv.js';
import {
  checkClusterToken,
  type ConversationKv,
  type ClusterRequestOutcome,
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
  const connection = await connectNats({ name: 'netrx-radius', ...options });
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
  options: { readonly ownsConnection?: boolean } = {},
): Promise<NatsRadiusClusterLink> {
  checkClusterToken('cluster id', clusterId);
  const { errors } = await import('@nats-io/transport-node');
  const nc = natsClientOf(connection);
  const subscriptions = new Set<{ unsubscribe(): void }>();
  return {
    serverVersion: nc.info?.version ?? 'unknown',
    conversationBucket: (bucket) => openConversationBucket(nc, { ...bucket, clusterId }),
    async request(owner, message, timeoutMs): Promise<ClusterRequestOutcome> {
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
      const subscription = nc.subscribe(radiusClusterSubject(clusterId, serverId), {
        callback: (error, msg) => {
          if (error !== null) return;
          let answered = false;
          handler(plain(msg.data), (answer) => {
            if (answered) return;
            answered = true;
            msg.respond(answer);
          });
        },
      });
      subscriptions.add(subscription);
      return {
        stop: () => {
          subscriptions.delete(subscription);
          subscription.unsubscribe();
        },
      };
    },
    async close() {
      for (const subscription of [...subscriptions]) subscription.unsubscribe();
      subscriptions.clear();
      if (options.ownsConnection === true) await connection.close();
    },
  };
}

/**
 * The client hands out Buffers, whose `slice()` is a view: the RADIUS core
 * copies what it keeps with `slice()`, so it gets a plain Uint8Array view
 * (no copy) whose `slice()` copies.
 */
function plain(data: Uint8Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
