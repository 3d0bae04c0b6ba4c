/**
 * `/metrics` for `capture.nats` (review D6; the connection's own families,
 * connected and reconnects, are the nats service's): what each publishing session
 * stored, had refused by its stream (`discard: new`: full) or dropped, what
 * waits to be stored (the publish side's lag), and what each session read
 * from a stream delivered or lost. The reading side's lag (messages the
 * consumer has yet to fetch) is the server's to say and needs a consumer
 * info request per scrape: not asked here (`nats consumer info` says it).
 */
import type { CapturePublisherStats, StreamSessionSourceStats } from '../cluster/index.js';
import type { MetricFamily } from './metrics.js';

export interface NatsCaptureMetricsInput {
  readonly consumerErrors: number;
  readonly publish: readonly (CapturePublisherStats & { readonly session: string })[];
  readonly serve: readonly (StreamSessionSourceStats & { readonly session: string })[];
}

export function natsCaptureMetrics(input: NatsCaptureMetricsInput): MetricFamily[] {
  const published = (result: string, pick: (p: CapturePublisherStats) => number) =>
    input.publish.map((p) => ({ labels: { session: p.session, result }, value: pick(p) }));
  return [
    {
      name: 'netrx_nats_consumer_errors_total',
      help: 'Stream consumers that failed and were restarted.',
      type: 'counter',
      samples: [{ labels: {}, value: input.consumerErrors }],
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
  ];
}
