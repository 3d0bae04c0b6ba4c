/**
 * `capture.nats` at run time, on the host's NATS connection (`cluster.nats`,
 * nats-service.ts): a `CapturePublisher` per session named in `publish`
 * (its providers and level, its stream sized from its queue), and a
 * `StreamSessionSource` per `serve` entry for the capture service to add as
 * sessions. Off (and no NATS code loaded) with neither.
 */
import { randomUUID } from 'node:crypto';
import type { SessionSource } from '../../capture/index.js';
import type { Clock } from '../../runtime/index.js';
import type { TraceRegistry } from '../../trace/index.js';
import type { SharedNatsConnection } from '../cluster/connection-settings.js';
import {
  CLUSTER_PROVIDER,
  CapturePublisher,
  ClusterEvent,
  StreamSessionSource,
  traceNotices,
  traceConsumerReplaced,
  traceStreamChanges,
} from '../cluster/index.js';
import type { SessionLag } from '../cluster/lag-sampler.js';
import type { CaptureStreamLimits } from '../cluster/nats.js';
import type { HostConfig } from './config.js';
import { queueLimits } from './capture-service.js';
import { captureNatsHost } from './config-nats.js';
import { natsCaptureMetrics, type NatsCaptureMetricsInput } from './nats-metrics.js';
import type { MetricFamily } from './metrics.js';

export interface CaptureNats {
  /** The host name it publishes and reads as (capture.nats.host, or this machine's). */
  readonly host: string;
  /** capture.nats.host was '', so `host` is this machine's derived identity. */
  readonly hostDerived: boolean;
  /** The sessions to serve from streams, by name. */
  readonly sources: ReadonlyMap<string, SessionSource>;
  status(): Record<string, unknown>;
  /** Why it is not attached to NATS yet (booted during an outage), or undefined once it is. */
  attachError(): string | undefined;
  /** `/metrics`: consumer errors, each publisher and each stream read (the connection is the nats service's). */
  metrics(): MetricFamily[];
  close(): Promise<void>;
}

/** Whether `capture.nats` publishes or serves anything (otherwise it needs no NATS). */
/**
 * A published session's stream limits: the session's `queueEvents` budget,
 * brought to an existing stream only when `capture.nats.streamBytes` or
 * `streamMessages` asks for one (verify16c V3: a host with defaults must
 * not resize a stream the operator sized), over the publishers' cut
 * `capture.nats.batchBytes` (issue #16: the budget holds whatever the cut).
 */
export function publishedStreamLimits(
  queueEvents: number,
  nats: HostConfig['capture']['nats'],
): CaptureStreamLimits {
  const queue = queueLimits(queueEvents);
  return {
    maxBytes: nats.streamBytes > 0 ? nats.streamBytes : queue.maxBuffers * queue.bufferBytes,
    ...(nats.streamMessages > 0 ? { maxMsgs: nats.streamMessages } : {}),
    batchBytes: nats.batchBytes,
    replicas: nats.replicas,
    defaultBudget: nats.streamBytes === 0 && nats.streamMessages === 0,
  };
}

export function usesNats(config: HostConfig['capture']): boolean {
  return config.nats.publish.length > 0 || config.nats.serve.length > 0;
}

export async function startCaptureNats(
  config: HostConfig['capture'],
  connection: SharedNatsConnection,
  registry: TraceRegistry,
  clock: Clock,
): Promise<CaptureNats> {
  const nats = config.nats;
  const { host, derived } = captureNatsHost(nats);
  // Loaded only here: the JetStream client is for hosts that publish or serve.
  const { natsCaptureLinkOver } = await import('../cluster/nats.js');
  // A stream an older netrx (or other buffer settings) created is brought to these limits: traced.
  const onStreamChange = traceStreamChanges(registry);
  // A durable left by an older config (another hosts pattern) is made again: traced (N4).
  const onConsumerReplaced = traceConsumerReplaced(registry);
  // Booted during an outage (review F10): a stand-in that attaches once NATS
  // answers. Connected now, the real link, so a stream NATS refuses fails the start.
  const deferred = connection.status().everConnected
    ? undefined
    : (await import('../cluster/deferred-capture-link.js')).captureLinkWhenConnected({
        connection,
        clock,
        open: () => natsCaptureLinkOver(connection, { onStreamChange, onConsumerReplaced }),
      });
  const link =
    deferred ?? (await natsCaptureLinkOver(connection, { onStreamChange, onConsumerReplaced }));
  const publishers: CapturePublisher[] = [];
  const sources = new Map<string, StreamSessionSource>();
  const trace = registry.register(CLUSTER_PROVIDER);
  try {
    for (const name of nats.publish) {
      const session = config.sessions.find((s) => s.name === name);
      if (session === undefined) continue; // config-nats.ts refused this already
      await link.ensureStream(name, publishedStreamLimits(session.queueEvents, nats));
      const publisher = new CapturePublisher({
        port: link,
        registry,
        clock,
        host,
        session: name,
        providers: session.providers.map((provider) => ({ provider, level: session.level })),
        instance: randomUUID(),
        maxBuffered: nats.maxBuffered,
        maxBatchBytes: nats.batchBytes,
        maxBatchEvents: nats.batchEvents,
        onNotice: traceNotices(registry, name),
      });
      link.onStatus((status) => publisher.setStatus(status));
      publishers.push(publisher);
    }
    for (const entry of nats.serve) {
      const limits = queueLimits(4096);
      const stream = entry.stream === '' ? entry.name : entry.stream;
      await link.ensureStream(stream, {
        maxBytes: limits.maxBuffers * limits.bufferBytes,
        // A stream this reader creates is sized for the fleet's cut, as its publishers would.
        batchBytes: nats.batchBytes,
        replicas: nats.replicas,
        // A serving host's default must not undo the limits its publishers set.
        createOnly: true,
      });
      sources.set(
        entry.name,
        new StreamSessionSource({
          port: link,
          session: stream,
          hosts: entry.hosts,
          // This server's host name in the durable: two servers serving one entry
          // claim the same hosts with two consumers, and the second is refused
          // (10100, traced) instead of silently splitting the events with the first.
          durable: `netrx-reader-${stream}-${entry.name}-${host}`,
          clock,
          pullBudgetBytes: nats.pullBudgetBytes,
          lag: {
            onThreshold: (crossing) =>
              trace.emit(ClusterEvent.consumerLag, {
                session: entry.name,
                host: crossing.host,
                lag: BigInt(crossing.lag),
                threshold: BigInt(crossing.threshold),
              }),
          },
          onDuplicatePossible: (host, count) =>
            trace.emit(ClusterEvent.duplicatePossible, {
              session: entry.name,
              host,
              count: BigInt(count),
            }),
          onError: (error) =>
            trace.emit(ClusterEvent.consumerError, {
              stream: error.stream,
              durable: error.durable,
              code: error.code ?? 0,
              error: error.message,
            }),
        }),
      );
    }
  } catch (error) {
    for (const publisher of publishers) publisher.close();
    await link.close();
    throw error;
  }
  return {
    host,
    hostDerived: derived,
    sources,
    attachError: () =>
      deferred === undefined || deferred.attached
        ? undefined
        : `capture.nats waits for NATS${deferred.attachError === '' ? '' : `: ${deferred.attachError}`}`,
    status: () => ({
      enabled: true,
      attached: deferred?.attached ?? true,
      ...(deferred === undefined || deferred.attachError === ''
        ? {}
        : { attachError: deferred.attachError }),
      serverVersion: link.serverVersion,
      consumerErrorCodes: link.consumerErrorCodes,
      host,
      /** capture.nats.host was '': the host is this machine's identity. */
      hostDerived: derived,
      publish: publishers.map((p, i) => ({ session: nats.publish[i], ...p.stats() })),
      serve: [...sources.values()].map(servedStatus),
    }),
    metrics: () =>
      natsCaptureMetrics({
        consumerErrors: link.consumerErrors,
        consumerErrorCodes: link.consumerErrorCodes,
        publish: publishers.map((p, i) => ({ session: nats.publish[i] ?? '', ...p.stats() })),
        serve: [...sources.values()].map(servedMetrics),
      }),
    async close() {
      for (const publisher of publishers) publisher.close();
      await link.close();
    },
  };
}

/**
 * `/health`'s entry of a session served from a stream: its durables, its
 * counts (`duplicatesPossible` among them), its loss hand-over and its lag.
 */
export function servedStatus(source: StreamSessionSource): Record<string, unknown> {
  return {
    session: source.session,
    hosts: source.hosts,
    durable: source.durable,
    pullBudgetBytes: source.pullBudgetBytes,
    ...source.stats(),
    handOver: source.handOverStats(),
    ...lagStatus(source.lag()),
  };
}

/** `/metrics`' input of a session served from a stream (nats-metrics.ts). */
export function servedMetrics(
  source: StreamSessionSource,
): NatsCaptureMetricsInput['serve'][number] {
  return {
    session: source.session,
    ...source.stats(),
    lag: source.lag(),
    handOver: source.handOverStats(),
  };
}

/**
 * `/health`'s lag of a served session: the sums over its host consumers and
 * the oldest sample's age (a sample that stopped coming back grows old).
 */
export function lagStatus(lag: SessionLag | undefined): { lag?: Record<string, unknown> } {
  if (lag === undefined) return {};
  return {
    lag: {
      pending: lag.pending,
      ackPending: lag.ackPending,
      redelivered: lag.redelivered,
      ...(lag.oldestSampleAgeMs === undefined
        ? {}
        : { oldestSampleAgeMs: Math.round(lag.oldestSampleAgeMs) }),
      hosts: lag.hosts.map((h) => ({
        host: h.host,
        pending: h.pending,
        ackPending: h.ackPending,
        redelivered: h.redelivered,
        ageMs: Math.round(h.ageMs),
      })),
    },
  };
}
