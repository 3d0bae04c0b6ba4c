/**
 * `netrx radius serve --nats URL --cluster-id ID --server-id ID`: the flags
 * that make a RADIUS server one of a cluster (docs/cluster.md). Kept apart
 * from radius.ts so the NATS client loads only when they are given.
 */
import { checkClusterToken } from '../../radius/index.js';
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
} as const;

export const RADIUS_CLUSTER_USAGE =
  '[--nats URL[,URL...] --cluster-id ID --server-id ID [--forward-timeout MS]]';

export interface RadiusClusterFlags {
  readonly servers: readonly string[];
  readonly clusterId: string;
  readonly serverId: string;
  readonly forwardTimeoutMs: number | undefined;
}

/** The cluster flags, or undefined when `--nats` is not given. */
export function radiusClusterFlags(
  values: Record<string, string | boolean | undefined>,
): RadiusClusterFlags | undefined {
  const nats = values['nats'];
  const clusterId = values['cluster-id'];
  const serverId = values['server-id'];
  if (nats === undefined) {
    if (clusterId !== undefined || serverId !== undefined) {
      throw new UsageError('--cluster-id and --server-id need --nats URL');
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
  return {
    servers: nats.split(',').filter((s) => s !== ''),
    clusterId,
    serverId,
    forwardTimeoutMs:
      timeout === undefined ? undefined : integer('--forward-timeout', timeout, 1, 60_000),
  };
}

/** Connects to NATS (its client loads only now). */
export function connectRadiusCluster(flags: RadiusClusterFlags): Promise<NatsRadiusClusterLink> {
  return connectRadiusClusterLink({
    servers: flags.servers,
    clusterId: flags.clusterId,
    name: `netrx-radius-${flags.serverId}`,
  });
}
