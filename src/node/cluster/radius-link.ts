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
import type { ConversationBucketOptions } from './radius-kv-options.js';
import { openConversationBucket } from './radius-kv.js';
import {
  checkClusterToken,
  type ConversationKv,
  type ClusterRequestOutcome,
  type RadiusClusterLink,
} from '../../radius/index.js';

export interface NatsRadiusClusterOptions {
  /** `nats://host:port` URLs (or `host:port`). */
  readonly servers: string | readonly string[];
  /** The cluster's id: servers with the same id answer each other's conversations. */
  readonly clusterId: string;
  /** The connection name the server shows. */
  readonly name?: string;
  readonly user?: string;
  readonly pass?: string;
  readonly token?: string;
  readonly reconnectTimeWaitMs?: number;
  /** Connection timeout; default 2000 ms. */
  readonly timeoutMs?: number;
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

export async function connectRadiusClusterLink(
  options: NatsRadiusClusterOptions,
): Promise<NatsRadiusClusterLink> {
  checkClusterToken('cluster id', options.clusterId);
  const { connect, errors } = await import('@nats-io/transport-node');
  const servers = typeof options.servers === 'string' ? [options.servers] : [...options.servers];
  const nc = await connect({
    servers,
    name: options.name ?? 'netrx-radius',
    // Without it the client builds two or three Error objects (stack traces) per request,
    // a sixth of a KV server's CPU in bench/cluster's profile; errors keep their class and code.
    noAsyncTraces: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: options.reconnectTimeWaitMs ?? 250,
    timeout: options.timeoutMs ?? 2000,
    ...(options.user === undefined ? {} : { user: options.user }),
    ...(options.pass === undefined ? {} : { pass: options.pass }),
    ...(options.token === undefined ? {} : { token: options.token }),
  });
  return {
    serverVersion: nc.info?.version ?? 'unknown',
    conversationBucket: (bucket) =>
      openConversationBucket(nc, { ...bucket, clusterId: options.clusterId }),
    async request(owner, message, timeoutMs): Promise<ClusterRequestOutcome> {
      try {
        const reply = await nc.request(radiusClusterSubject(options.clusterId, owner), message, {
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
      const subscription = nc.subscribe(radiusClusterSubject(options.clusterId, serverId), {
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
      return { stop: () => subscription.unsubscribe() };
    },
    async close() {
      await nc.drain().catch(() => nc.close());
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
