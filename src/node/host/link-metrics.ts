/**
 * The `/metrics` families every link adapter of the host has (VXLAN, pcap
 * replay, the synthetic pair), written once so the names, help texts and
 * labels cannot drift apart between adapter kinds.
 */
import type { AdapterStats } from '../../link/index.js';
import { samplesOf, type MetricFamily } from './metrics.js';

export function adapterMetrics(
  stats: AdapterStats,
  labels: Record<string, string>,
): MetricFamily[] {
  return [
    {
      name: 'netrx_link_frames_indicated_total',
      help: 'Frames indicated to the bindings of an adapter.',
      type: 'counter',
      samples: [{ labels, value: stats.indicated }],
    },
    {
      name: 'netrx_link_frames_accepted_total',
      help: 'Frames a binding accepted.',
      type: 'counter',
      samples: [{ labels, value: stats.accepted }],
    },
    {
      name: 'netrx_link_frames_dropped_total',
      help: 'Received frames dropped before any binding, by reason.',
      type: 'counter',
      samples: samplesOf(stats.dropped, 'reason', labels),
    },
    {
      name: 'netrx_link_frames_send_dropped_total',
      help: 'Frames not sent, by reason.',
      type: 'counter',
      samples: samplesOf(stats.sendDropped, 'reason', labels),
    },
  ];
}
