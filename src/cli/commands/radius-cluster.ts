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
import { integer } from '../args.js';
import { UsageError } from '../command.js';

export const RADIUS_CLUSTER_OPTIONS = {
  nats: { type: 'string' },
  'cluster-id': { type: 'string' },
  'server-id': { type: 'string' },
  'forward-timeout': { type: 'string' },
  'state-key': { type: 'string' },
} as const;

export const RADIUS_CLUSTER_USAGE =
  '[--nats URL[,URL...] --cluster-id ID --server-id ID [--forward-timeout MS] [--state-key HEX|FILE]]';

export interface RadiusClusterFlags {
  readonly servers: readonly string[];
  readonly clusterId: string;
  readonly serverId: string;
  readonly forwardTimeoutMs: number | undefined;
  /** With --state-key: conversation state shared, sealed, in the cluster's KV bucket. */
  readonly stateKey: Uint8Array | undefined;
}

/** The cluster flags, or undefined when `--nats` is not given. */
export function radiusClusterFlags(
  values: Record<string, string | boolean | undefined>,
): RadiusClusterFlags | undefined {
  const nats = values['nats'];
  const clusterId = values['cluster-id'];
  const serverId = values['server-id'];
  const stateKey = values['state-key'];
  if (nats === undefined) {
    if (clusterId !== undefined || serverId !== undefined || stateKey !== undefined) {
      throw new UsageError('--cluster-id, --server-id and --state-key need --nats URL');
    }
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
  let key: Uint8Array | undefined;
  try {
    key = typeof stateKey === 'string' ? loadStateKey('--state-key', stateKey) : undefined;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return {
    servers: nats.split(',').filter((s) => s !== ''),
    clusterId,
    serverId,
    forwardTimeoutMs:
      timeout === undefined ? undefined : integer('--forward-timeout', timeout, 1, 60_000),
    stateKey: key,
  };
}

/**
 * The sealed conversation bucket of the cluster, with --state-key: its TTL
 * is the session timeout; undefined without a key (forwarding only).
 */
export async function sharedConversationState(
  flags: RadiusClusterFlags,
  link: NatsRadiusClusterLink,
  sessionTimeoutMs: number,
): Promise<{ kv: ConversationKv; aead: ConversationAead } | undefined> {
  if (flags.stateKey === undefined) return undefined;
  const kv = await link.conversationBucket({ ttlMs: sessionTimeoutMs });
  return { kv, aead: aes256GcmAead(flags.stateKey) };
}

/** Connects to NATS (its client loads only now). */
export function connectRadiusCluster(flags: RadiusClusterFlags): Promise<NatsRadiusClusterLink> {
  return connectRadiusClusterLink({
    servers: flags.servers,
    clusterId: flags.clusterId,
    name: `netrx-radius-${flags.serverId}`,
  });
}
