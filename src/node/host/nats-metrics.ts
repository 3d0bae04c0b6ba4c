/**
 * `/metrics` for `capture.nats` (review D6; the connection's own families,
 * connected and reconnects, are the nats service's): what each publishing session
 * stored, had refused by its stream (`discard: new`: full) or dropped, what
 * waits to be stored (the publish side's lag), and what each session read
 * from a stream delivered or lost, and its host consumers' lag as last
 * sampled (lag-sampler.ts: one consumer info request per consumer per
 * interval, not per scrape; the sample's age says how fresh it is), and
 * its loss hand-over (review16c N2, N4, N5): durables made again, loss
 * floors published, not stored and not read, and, per host of origin, the
 * copies delivered that may be second ones (`duplicatesPossible`, the F4
 * residue) and the event durables made again (issue 16), and the loss
 * reports it could not track (`untrackedReports`, review16d D1).
 */
import type {
  CapturePublisherStats,
  StreamSessionSource,
  StreamSessionSourceStats,
} from '../cluster/index.js';
import type { SessionLag } from '../cluster/lag-sampler.js';
import type { MetricFamily } from './metrics.js';

/** A served session's loss hand-over (`StreamSessionSource.handOverStats()`). */
export type StreamSessionHandOverStats = ReturnType<StreamSessionSource['handOverStats']>;

export interface NatsCaptureMetricsInput {
  readonly consumerErrors: number;
  /** The same failures by JetStream error code (`other` without one). */
  readonly consumerErrorCodes: Readonly<Record<string, number>>;
  readonly publish: readonly (CapturePublisherStats & { readonly session: string })[];
  readonly serve: readonly (StreamSessionSourceStats & {
    readonly session: string;
    readonly lag: SessionLag | undefined;
    readonly handOver: StreamSessionHandOverStats;
  })[];
}

export function natsCaptureMetrics(input: NatsCaptureMetricsInput): MetricFamily[] {
  const published = (result: string, pick: (p: CapturePublisherStats) => number) =>
    input.publish.map((p) => ({ labels: { session: p.session, result }, value: pick(p) }));
  const served = (pick: (s: NatsCaptureMetricsInput['serve'][number]) => number) =>
    input.serve.map((s) => ({ labels: { session: s.session }, value: pick(s) }));
  const byHost = (
    pick: (s: NatsCaptureMetricsInput['serve'][number]) => Readonly<Record<string, number>>,
    more: Readonly<Record<string, string>> = {},
  ) =>
    input.serve.flatMap((s) =>
      Object.entries(pick(s)).map(([host, value]) => ({
        labels: { session: s.session, host, ...more },
        value,
      })),
    );
  const lagged = (pick: (h: SessionLag['hosts'][number]) => number) =>
    input.serve.flatMap((s) =>
      (s.lag?.hosts ?? []).map((h) => ({
        labels: { session: s.session, host: h.host },
        value: pick(h),
      })),
    );
  return [
    {
      name: 'netrx_nats_consumer_errors_total',
      help: 'Stream consumers that failed and were restarted.',
      type: 'counter',
      samples: [{ labels: {}, value: input.consumerErrors }],
    },
    {
      name: 'netrx_nats_consumer_error_codes_total',
      help: 'Stream consumer failures by JetStream API error code (10100: another reader claims the host; other: no code).',
      type: 'counter',
      samples: Object.entries(input.consumerErrorCodes).map(([code, value]) => ({
        labels: { code },
        value,
      })),
    },
    {
      name: 'netrx_nats_consumer_pending_messages',
      help: 'Messages a served session host consumer has yet to deliver (num_pending), as last sampled.',
      type: 'gauge',
      samples: lagged((h) => h.pending),
    },
    {
      name: 'netrx_nats_consumer_ack_pending_messages',
      help: 'Messages a served session host consumer delivered and has not acked (num_ack_pending), as last sampled.',
      type: 'gauge',
      samples: lagged((h) => h.ackPending),
    },
    {
      name: 'netrx_nats_consumer_redelivered_messages',
      help: 'Unacked messages a served session host consumer delivered more than once (num_redelivered), as last sampled.',
      type: 'gauge',
      samples: lagged((h) => h.redelivered),
    },
    {
      name: 'netrx_nats_consumer_lag_sample_age_seconds',
      help: 'Age of a served session host consumer lag sample (grows while consumer info goes unanswered).',
      type: 'gauge',
      samples: lagged((h) => h.ageMs / 1000),
    },
    {
      name: 'netrx_nats_publish_events_total',
      help: 'Capture events offered to a stream, by result: stored, refused (the stream is full), dropped (buffer full or given up).',
      type: 'counter',
      samples: [
        ...published('stored', (p) => p.stored),
        ...published('refused', (p) => p.refused),
        ...published('dropped', (p) => p.dropped),
      ],
    },
    {
      name: 'netrx_nats_publish_pending_events',
      help: 'Capture events offered and not yet stored (buffered or in flight): the publish lag.',
      type: 'gauge',
      samples: input.publish.map((p) => ({ labels: { session: p.session }, value: p.pending })),
    },
    {
      name: 'netrx_nats_publish_retries_total',
      help: 'Stream publishes retried.',
      type: 'counter',
      samples: input.publish.map((p) => ({ labels: { session: p.session }, value: p.retries })),
    },
    {
      name: 'netrx_nats_stream_events_total',
      help: 'Events a session read from its stream.',
      type: 'counter',
      samples: input.serve.map((s) => ({ labels: { session: s.session }, value: s.events })),
    },
    {
      name: 'netrx_nats_stream_lost_events_total',
      help: 'Events a session read from a stream lost, by where: queue (this session), publisher (reported), malformed.',
      type: 'counter',
      samples: input.serve.flatMap((s) => [
        { labels: { session: s.session, where: 'queue' }, value: s.queueLost },
        { labels: { session: s.session, where: 'publisher' }, value: s.publisherLost },
        { labels: { session: s.session, where: 'malformed' }, value: s.malformed },
      ]),
    },
    {
      name: 'netrx_nats_stream_untracked_reports_total',
      help: "Publisher loss reports a session could not track (more lossy publisher runs within the loss stream's retention than maxPublishers, review16d D1): their growth reached no NET_EVENT_LOST, so that loss is missing from lost_events_total.",
      type: 'counter',
      samples: served((s) => s.untrackedReports),
    },
    {
      name: 'netrx_nats_stream_claims_released_total',
      help: 'Host claims a glob reader released because the host showed no sign (no event, no loss report) for 30 discoveries (60 s by default): its consumer stopped, its next event or report claims it again.',
      type: 'counter',
      samples: served((s) => s.releasedHosts),
    },
    {
      name: 'netrx_nats_stream_duplicates_possible_total',
      help: 'Messages a session read from a stream and delivered that may be a second copy (stored after the duplicate window, read by a restarted reader), by host of origin (the hosts sum to the session figure): an upper bound, not exact.',
      type: 'counter',
      samples: byHost((s) => s.duplicatesPossibleByHost),
    },
    {
      name: 'netrx_nats_stream_event_consumers_recreated_total',
      help: "A host's event durable of a session made again, by reason: config (it existed with another config, deleted first; traced as ConsumerReplaced), gone (deleted under a reader that had bound it: idle past its claim expiry, or by someone; the claim may have been another reader's meanwhile). Its unacked messages went back to the stream, read again and skipped if already handled.",
      type: 'counter',
      samples: [
        ...byHost((s) => s.handOver.eventConsumersReplaced, { reason: 'config' }),
        ...byHost((s) => s.handOver.eventConsumersGone, { reason: 'gone' }),
      ],
    },
    {
      name: 'netrx_nats_stream_consumers_replaced_total',
      help: "A session's loss durable deleted and made again because its config differed from the wanted one (another hosts pattern, an older netrx): the new one reads every retained loss report again, counted above the loss floors.",
      type: 'counter',
      samples: served((s) => s.handOver.consumersReplaced),
    },
    {
      name: 'netrx_nats_stream_loss_floors_published_total',
      help: 'Loss floors a session published once its client got the loss (the next holder of the host counts only growth above them).',
      type: 'counter',
      samples: served((s) => s.handOver.lossFloors.published),
    },
    {
      name: 'netrx_nats_stream_loss_floors_unsent_total',
      help: 'Loss floors published that NATS did not store: the next holder of the host may count that loss again.',
      type: 'counter',
      samples: served((s) => s.handOver.lossFloors.unsent),
    },
    {
      name: 'netrx_nats_stream_loss_floors_unread_total',
      help: 'Loss floors that could not be read or parsed when a session took a host over: all retained loss of the host counted.',
      type: 'counter',
      samples: served((s) => s.handOver.lossFloors.unread),
    },
    {
      name: 'netrx_nats_stream_loss_floors_adopted_total',
      help: 'Loss floors a session took from loss durables made before floors existed (an upgrade, verify16c V1/V2): their acked reports count as delivered, not again.',
      type: 'counter',
      samples: served((s) => s.handOver.floorsAdopted),
    },
  ];
}
