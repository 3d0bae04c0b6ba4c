/**
 * `netrx radius serve --nats URL --cluster-id ID --server-id ID`: the flags
 * that make a RADIUS server one of a cluster (docs/cluster.md). Kept apart
 * from radius.ts so the NATS client loads only when they are given.
 */
import {
  checkClusterToken,
  type ConversationAead,
  type ConversationKv,
} from '../../radius/index.js';
import { loadStateKey } from '../../node/cluster/state-key.js';
import { aes256GcmAead } from '../../node/runtime/aead.js';
import {
  connectRadiusClusterLink,
  type NatsRadiusClusterLink,
} from '../../node/cluster/radius-link.js';
import type { NatsConnectionSettings } from '../../node/cluster/connection-settings.js';
import { integer } from '../args.js';
import {
  NATS_CONNECTION_OPTIONS,
  NATS_CONNECTION_USAGE,
  natsConnectionFlags,
  natsServerList,
} from './nats-flags.js';
import { UsageError } from '../command.js';

export const RADIUS_CLUSTER_OPTIONS = {
  nats: { type: 'string' },
  ...NATS_CONNECTION_OPTIONS,
  'cluster-id': { type: 'string' },
  'server-id': { type: 'string' },
  'forward-timeout': { type: 'string' },
  'state-key': { type: 'string' },
  'previous-state-key': { type: 'string' },
  'kv-replicas': { type: 'string' },
} as const;

export const RADIUS_CLUSTER_USAGE = `[--nats URL[,URL...] --cluster-id ID --server-id ID [--forward-timeout MS] [--state-key HEX|FILE] [--previous-state-key HEX|FILE] [--kv-replicas N] ${NATS_CONNECTION_USAGE}]`;

export interface RadiusClusterFlags {
  /** `--nats` and its credentials and TLS (nats-flags.ts). */
  readonly connection: NatsConnectionSettings;
  readonly servers: readonly string[];
  readonly clusterId: string;
  readonly serverId: string;
  readonly forwardTimeoutMs: number | undefined;
  /** With --state-key: conversation state shared, sealed, in the cluster's KV bucket. */
  readonly stateKey: Uint8Array | undefined;
  /** With --previous-state-key: during a key rotation, the old key, still accepted when opening records. */
  readonly previousStateKey: Uint8Array | undefined;
  /** Copies of the KV bucket (`--kv-replicas`), in a JetStream cluster. */
  readonly kvReplicas: number | undefined;
}

/** The cluster flags, or undefined when `--nats` is not given. */
export function radiusClusterFlags(
  values: Record<string, string | boolean | undefined>,
): RadiusClusterFlags | undefined {
  const nats = values['nats'];
  const clusterId = values['cluster-id'];
  const serverId = values['server-id'];
  const stateKey = values['state-key'];
  const previousStateKey = values['previous-state-key'];
  if (nats === undefined) {
    if (
      clusterId !== undefined ||
      serverId !== undefined ||
      stateKey !== undefined ||
      previousStateKey !== undefined ||
      values['kv-replicas'] !== undefined
    ) {
      throw new UsageError(
        '--cluster-id, --server-id, --state-key, --previous-state-key and --kv-replicas need --nats URL',
      );
    }
    natsConnectionFlags(values, undefined, '');
    return undefined;
  }
  if (typeof nats !== 'string' || typeof clusterId !== 'string' || typeof serverId !== 'string') {
    throw new UsageError('--nats needs --cluster-id ID and --server-id ID');
  }
  try {
    checkClusterToken('--cluster-id', clusterId);
    checkClusterToken('--server-id', serverId);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const timeout = values['forward-timeout'];
  if (previousStateKey !== undefined && stateKey === undefined) {
    throw new UsageError(
      '--previous-state-key needs --state-key (the key records are sealed with)',
    );
  }
  let key: Uint8Array | undefined;
  let previousKey: Uint8Array | undefined;
  try {
    // The keys' messages name the flag, never the value (a key is never echoed).
    key = typeof stateKey === 'string' ? loadStateKey('--state-key', stateKey) : undefined;
    previousKey =
      typeof previousStateKey === 'string'
        ? loadStateKey('--previous-state-key', previousStateKey)
        : undefined;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const kvReplicas = values['kv-replicas'];
  if (kvReplicas !== undefined && stateKey === undefined)
    throw new UsageError('--kv-replicas needs --state-key (the bucket holds the shared state)');
  const connection = natsConnectionFlags(values, nats, `netrx-radius-${serverId}`);
  if (connection === undefined) throw new UsageError('--nats: give at least one server URL');
  return {
    connection,
    servers: natsServerList(nats),
    kvReplicas:
      typeof kvReplicas === 'string' ? integer('--kv-replicas', kvReplicas, 1, 5) : undefined,
    clusterId,
    serverId,
    forwardTimeoutMs:
      timeout === undefined ? undefined : integer('--forward-timeout', timeout, 1, 60_000),
    stateKey: key,
    previousStateKey: previousKey,
  };
}

/**
 * The sealed conversation bucket of the cluster, with --state-key (and,
 * during a rotation, --previous-state-key): its TTL is the session
 * timeout; undefined without a key (forwarding only).
 */
export async function sharedConversationState(
  flags: RadiusClusterFlags,
  link: NatsRadiusClusterLink,
  sessionTimeoutMs: number,
): Promise<
  { kv: ConversationKv; aead: ConversationAead; previousAead?: ConversationAead } | undefined
> {
  if (flags.stateKey === undefined) return undefined;
  const kv = await link.conversationBucket({
    ttlMs: sessionTimeoutMs,
    ...(flags.kvReplicas === undefined ? {} : { replicas: flags.kvReplicas }),
  });
  return {
    kv,
    aead: aes256GcmAead(flags.stateKey),
    ...(flags.previousStateKey === undefined
      ? {}
      : { previousAead: aes256GcmAead(flags.previousStateKey) }),
  };
}

/** Connects to NATS (its client loads only now). */
export function connectRadiusCluster(flags: RadiusClusterFlags): Promise<NatsRadiusClusterLink> {
  return connectRadiusClusterLink({ ...flags.connection, clusterId: flags.clusterId });
}
