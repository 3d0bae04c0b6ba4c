import { defineEvent, TraceLevel, type TraceRegistry } from '../../trace/index.js';
import type { ConsumerReplaced } from './ports.js';
import type { PublisherNotice } from './publisher.js';
import type { StreamChange } from './stream-config.js';

/**
 * Capture fan-in's trace provider: the NATS connection going and coming
 * back, and events a publisher lost (refused by the full stream, dropped
 * from its local buffer while NATS was away). The counts are cumulative, so
 * a session that hears one event knows the whole loss so far.
 */
export const CLUSTER_PROVIDER = {
  guid: '5e7a0c1d-8b2f-4c3e-9d10-6f4b2a1c0016',
  name: 'netrx-cluster',
} as const;

export const ClusterKeyword = { Connection: 0x1n, Loss: 0x2n } as const;

export const ClusterEvent = {
  connection: defineEvent({
    id: 1,
    name: 'NatsConnection',
    level: TraceLevel.Warning,
    keywords: ClusterKeyword.Connection,
    fields: [
      { name: 'session', type: 'string' },
      { name: 'status', type: 'string' },
    ],
  }),
  refused: defineEvent({
    id: 2,
    name: 'StreamRefused',
    level: TraceLevel.Warning,
    keywords: ClusterKeyword.Loss,
    fields: [
      { name: 'session', type: 'string' },
      { name: 'refused', type: 'u64' },
      { name: 'reason', type: 'string' },
    ],
  }),
  dropped: defineEvent({
    id: 3,
    name: 'LocalBufferDropped',
    level: TraceLevel.Warning,
    keywords: ClusterKeyword.Loss,
    fields: [
      { name: 'session', type: 'string' },
      { name: 'dropped', type: 'u64' },
    ],
  }),
  /** The host's shared connection (`cluster.nats`) changed state: connected, reconnecting, closed. */
  connectionState: defineEvent({
    id: 4,
    name: 'NatsConnectionState',
    level: TraceLevel.Warning,
    keywords: ClusterKeyword.Connection,
    fields: [
      { name: 'server', type: 'string' },
      { name: 'state', type: 'string' },
    ],
  }),
  /**
   * The shared connection's client reported an error: a reconnect refused
   * (authorization violation, TLS), a permissions error. The message is the
   * client's, never a credential.
   */
  connectionError: defineEvent({
    id: 5,
    name: 'NatsConnectionError',
    level: TraceLevel.Error,
    keywords: ClusterKeyword.Connection,
    fields: [
      { name: 'server', type: 'string' },
      { name: 'errors', type: 'u64' },
      { name: 'error', type: 'string' },
    ],
  }),
  /**
   * A capture reader's consume loop failed and tries again: `code` is the
   * JetStream API error (10100: another reader's consumer claims this host
   * on the work-queue stream; 0 when the error had no code).
   */
  consumerError: defineEvent({
    id: 6,
    name: 'NatsConsumerError',
    level: TraceLevel.Error,
    keywords: ClusterKeyword.Connection,
    fields: [
      { name: 'stream', type: 'string' },
      { name: 'durable', type: 'string' },
      { name: 'code', type: 'u32' },
      { name: 'error', type: 'string' },
    ],
  }),
  /**
   * A host consumer of a served session fell behind: its last lag sample
   * (pending + ack pending messages) reached the threshold. Told once until
   * a sample below it (lag-sampler.ts).
   */
  consumerLag: defineEvent({
    id: 7,
    name: 'NatsConsumerLag',
    level: TraceLevel.Warning,
    keywords: ClusterKeyword.Loss,
    fields: [
      { name: 'session', type: 'string' },
      { name: 'host', type: 'string' },
      { name: 'lag', type: 'u64' },
      { name: 'threshold', type: 'u64' },
    ],
  }),
  /**
   * `ensureStream` found an existing stream's setting otherwise than the
   * session wants (stream-config.ts): `updated` to it, `held` above it (the
   * stream holds more now), or `kept` (JetStream cannot change it). `changes`
   * is this host's count so far.
   */
  streamConfig: defineEvent({
    id: 8,
    name: 'StreamConfigChanged',
    level: TraceLevel.Warning,
    keywords: ClusterKeyword.Connection,
    fields: [
      { name: 'stream', type: 'string' },
      { name: 'setting', type: 'string' },
      { name: 'have', type: 'string' },
      { name: 'want', type: 'string' },
      { name: 'outcome', type: 'string' },
      { name: 'to', type: 'string' },
      { name: 'changes', type: 'u64' },
    ],
  }),
  /**
   * A served session delivered a copy that may have been delivered before
   * (stored after the duplicate window, of a batch this reader cannot have
   * seen: late-copies.ts). `count` is the reader's `duplicatesPossible`.
   */
  duplicatePossible: defineEvent({
    id: 9,
    name: 'StreamDuplicatePossible',
    level: TraceLevel.Warning,
    keywords: ClusterKeyword.Loss,
    fields: [
      { name: 'session', type: 'string' },
      { name: 'host', type: 'string' },
      { name: 'count', type: 'u64' },
    ],
  }),
  /**
   * A served session's durable existed with another config (another host
   * pattern, claim expiry, or none made before idle expiry) and was deleted
   * and made again (consumer-config.ts, review16c N4). `changed` names the
   * fields (comma-separated); `replaced` is this host's count so far.
   */
  consumerReplaced: defineEvent({
    id: 10,
    name: 'ConsumerReplaced',
    level: TraceLevel.Warning,
    keywords: ClusterKeyword.Connection,
    fields: [
      { name: 'stream', type: 'string' },
      { name: 'durable', type: 'string' },
      { name: 'changed', type: 'string' },
      { name: 'replaced', type: 'u64' },
    ],
  }),
};

/** An `onConsumerReplaced` that traces each durable made again through `netrx-cluster`. */
export function traceConsumerReplaced(
  registry: TraceRegistry,
): (replaced: ConsumerReplaced) => void {
  const provider = registry.register(CLUSTER_PROVIDER);
  let count = 0n;
  return ({ stream, durable, changed }) => {
    count++;
    provider.emit(ClusterEvent.consumerReplaced, {
      stream,
      durable,
      changed: changed.join(','),
      replaced: count,
    });
  };
}

/** An `onStreamChange` that traces each change through `netrx-cluster` in this registry. */
export function traceStreamChanges(registry: TraceRegistry): (change: StreamChange) => void {
  const provider = registry.register(CLUSTER_PROVIDER);
  let changes = 0n;
  return (change) => {
    changes++;
    provider.emit(ClusterEvent.streamConfig, { ...change, changes });
  };
}

/**
 * A publisher's `onNotice` that traces through `netrx-cluster` in this
 * registry. A publisher does not listen to this provider itself unless its
 * session names it; if one does, its own notices are published too.
 */
export function traceNotices(
  registry: TraceRegistry,
  session: string,
): (notice: PublisherNotice) => void {
  const provider = registry.register(CLUSTER_PROVIDER);
  return (notice) => {
    switch (notice.kind) {
      case 'status':
        provider.emit(ClusterEvent.connection, { session, status: notice.status });
        break;
      case 'refused':
        provider.emit(ClusterEvent.refused, {
          session,
          refused: BigInt(notice.refused),
          reason: notice.reason,
        });
        break;
      case 'dropped':
        provider.emit(ClusterEvent.dropped, { session, dropped: BigInt(notice.dropped) });
        break;
    }
  };
}
