/**
 * `/metrics` for the `radius` service (review D6): the UDP server's
 * counters, EAP authentications by method and result, RadSec's connections,
 * refusals and requests, the worker pool (workers up, requests per worker,
 * restarts) and, in a cluster, forwards to the owner by result. Families
 * without samples (no RadSec, one worker, no cluster) are left out.
 */
import type { RadSecStats, RadiusUdpServerStats, RadiusWorkerStats } from '../radius/index.js';
import { samplesOf, type MetricFamily } from './metrics.js';

export interface RadiusMetricsInput {
  readonly stats: RadiusUdpServerStats;
  /** EAP authentications that ended, by method and result. */
  readonly auths: readonly {
    readonly method: string;
    readonly result: string;
    readonly count: number;
  }[];
  readonly radsec: RadSecStats | undefined;
  /** One entry per worker thread; empty with one worker (the main thread serves). */
  readonly workers: readonly RadiusWorkerStats[];
}

export function radiusMetrics({
  stats,
  auths,
  radsec,
  workers,
}: RadiusMetricsInput): MetricFamily[] {
  return [
    {
      name: 'netrx_radius_requests_received_total',
      help: 'RADIUS datagrams received.',
      type: 'counter',
      samples: [{ value: stats.received }],
    },
    {
      name: 'netrx_radius_responses_total',
      help: 'RADIUS answers by kind: accept, reject, challenge.',
      type: 'counter',
      samples: [
        { labels: { response: 'accept' }, value: stats.accepted },
        { labels: { response: 'reject' }, value: stats.rejected },
        { labels: { response: 'challenge' }, value: stats.challenged },
      ],
    },
    {
      name: 'netrx_radius_eap_auths_total',
      help: 'EAP authentications through RADIUS that ended, by method and result.',
      type: 'counter',
      samples: auths.map((a) => ({
        labels: { method: a.method, result: a.result },
        value: a.count,
      })),
    },
    {
      name: 'netrx_radius_dropped_total',
      help: 'RADIUS datagrams dropped, by reason.',
      type: 'counter',
      samples: samplesOf(stats.dropped, 'reason'),
    },
    {
      name: 'netrx_radius_sessions',
      help: 'EAP conversations in progress.',
      type: 'gauge',
      samples: [{ value: stats.sessions }],
    },
    ...(radsec === undefined ? [] : radsecMetrics(radsec)),
    ...(workers.length === 0 ? [] : workerMetrics(workers, stats)),
    ...(stats.cluster === undefined ? [] : clusterMetrics(stats.cluster)),
    ...sharedStateMetrics(stats.cluster),
  ];
}

function radsecMetrics(radsec: RadSecStats): MetricFamily[] {
  return [
    {
      name: 'netrx_radsec_connections',
      help: 'RadSec (RADIUS over TLS) connections open.',
      type: 'gauge',
      samples: [{ value: radsec.active }],
    },
    {
      name: 'netrx_radsec_connections_accepted_total',
      help: 'RadSec connections accepted (TLS done, client matched).',
      type: 'counter',
      samples: [{ value: radsec.accepted }],
    },
    {
      name: 'netrx_radsec_refused_total',
      help: 'RadSec connections refused, by reason.',
      type: 'counter',
      samples: samplesOf(radsec.refused, 'reason'),
    },
    {
      name: 'netrx_radsec_closed_total',
      help: 'RadSec connections closed after acceptance, by reason.',
      type: 'counter',
      samples: samplesOf(radsec.closed, 'reason'),
    },
    {
      name: 'netrx_radsec_requests_total',
      help: 'RADIUS packets received over RadSec.',
      type: 'counter',
      samples: [{ value: radsec.packetsIn }],
    },
    {
      name: 'netrx_radsec_responses_total',
      help: 'RADIUS packets sent over RadSec.',
      type: 'counter',
      samples: [{ value: radsec.packetsOut }],
    },
  ];
}

function workerMetrics(
  workers: readonly RadiusWorkerStats[],
  stats: RadiusUdpServerStats,
): MetricFamily[] {
  const label = (w: RadiusWorkerStats) => ({ worker: String(w.index) });
  return [
    {
      name: 'netrx_radius_workers',
      help: 'RADIUS worker threads configured.',
      type: 'gauge',
      samples: [{ value: workers.length }],
    },
    {
      name: 'netrx_radius_workers_up',
      help: 'RADIUS worker threads running (a crashed one is down until its replacement is ready).',
      type: 'gauge',
      samples: [{ value: workers.filter((w) => w.up).length }],
    },
    {
      name: 'netrx_radius_worker_requests_total',
      help: 'RADIUS datagrams each worker thread received (as of its last report).',
      type: 'counter',
      samples: workers.map((w) => ({ labels: label(w), value: w.received })),
    },
    {
      name: 'netrx_radius_worker_restarts_total',
      help: 'RADIUS worker threads replaced after a crash, per worker.',
      type: 'counter',
      samples: workers.map((w) => ({ labels: label(w), value: w.restarts })),
    },
    {
      name: 'netrx_radius_worker_conversations_lost_total',
      help: 'EAP conversations in progress in worker threads that crashed.',
      type: 'counter',
      samples: [{ value: stats.workers?.conversationsLost ?? 0 }],
    },
  ];
}

function clusterMetrics(cluster: NonNullable<RadiusUdpServerStats['cluster']>): MetricFamily[] {
  return [
    {
      name: 'netrx_radius_cluster_forwards_total',
      help: 'Requests forwarded over NATS to the server that owns their conversation, by result.',
      type: 'counter',
      samples: [
        { labels: { result: 'answered' }, value: cluster.answered },
        { labels: { result: 'owner-dropped' }, value: cluster.ownerDropped },
        { labels: { result: 'owner-unavailable' }, value: cluster.ownerUnavailable },
        { labels: { result: 'timeout' }, value: cluster.timeouts },
        { labels: { result: 'failed' }, value: cluster.failed },
        { labels: { result: 'busy' }, value: cluster.busy },
      ],
    },
    {
      name: 'netrx_radius_cluster_served_total',
      help: 'Requests other servers forwarded here as owner, by result.',
      type: 'counter',
      samples: [
        { labels: { result: 'served' }, value: cluster.served },
        { labels: { result: 'refused' }, value: cluster.serveRefused },
        { labels: { result: 'late' }, value: cluster.servedLate },
      ],
    },
  ];
}

/** The shared conversation state's counters (radius.cluster.stateKey), as one counter family. */
function sharedStateMetrics(cluster: RadiusUdpServerStats['cluster']): MetricFamily[] {
  const shared = cluster?.shared;
  if (cluster === undefined || shared === undefined) return [];
  return [
    {
      name: 'netrx_radius_cluster_state_total',
      help: "EAP conversation state in the cluster KV bucket, by event: stored, loaded, answered (later rounds answered here from KV), conflict (another server wrote that round first), unacknowledged-stored (a write whose ack was lost, found stored by a read), unacknowledged-conflict (a create that found this server's own unacknowledged first write: not a conflict between servers), write-failed, read-failed, refused (tampered, wrong key, rewound), stale-round (a failover retransmit the record does not await), retransmit (an answered round sent again from its record), restored-write-failed (not answered: the bucket still decides), finished (a finished record written at Accept/Reject), finished-answered (a lost last answer sent again from it), deleted.",
      type: 'counter',
      samples: [
        { labels: { event: 'stored' }, value: shared.stored },
        { labels: { event: 'loaded' }, value: shared.loaded },
        { labels: { event: 'answered' }, value: cluster.restored },
        { labels: { event: 'conflict' }, value: shared.conflicts },
        { labels: { event: 'unacknowledged-stored' }, value: shared.unacknowledgedStored },
        { labels: { event: 'unacknowledged-conflict' }, value: shared.unacknowledgedConflicts },
        { labels: { event: 'write-failed' }, value: shared.writeFailed },
        { labels: { event: 'read-failed' }, value: shared.readFailed },
        { labels: { event: 'refused' }, value: shared.refused },
        { labels: { event: 'stale-round' }, value: shared.staleRounds },
        { labels: { event: 'retransmit' }, value: shared.retransmits },
        { labels: { event: 'restored-write-failed' }, value: shared.restoredWriteFailed },
        { labels: { event: 'finished' }, value: shared.finished },
        { labels: { event: 'finished-answered' }, value: shared.finishedAnswered },
        { labels: { event: 'deleted' }, value: shared.deleted },
      ],
    },
  ];
}
