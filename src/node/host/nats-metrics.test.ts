import { describe, expect, it } from 'vitest';
import type { StreamSessionSourceStats } from '../cluster/index.js';
import { formatMetrics } from './metrics.js';
import { lagStatus } from './capture-nats.js';
import { natsCaptureMetrics, type StreamSessionHandOverStats } from './nats-metrics.js';

const readerStats: StreamSessionSourceStats & { handOver: StreamSessionHandOverStats } = {
  messages: 0,
  events: 0,
  queueLost: 0,
  publisherLost: 0,
  malformed: 0,
  filtered: 0,
  untrackedReports: 0,
  redelivered: 0,
  duplicates: 0,
  duplicatesPossible: 0,
  duplicatesPossibleByHost: {},
  claimedHosts: 2,
  releasedHosts: 1,
  consumerErrors: {},
  open: true,
  handOver: {
    consumersReplaced: 0,
    eventConsumersReplaced: {},
    eventConsumersGone: {},
    lossFloors: { published: 0, unsent: 0, unread: 0 },
    floorsAdopted: 0,
  },
};

describe('capture.nats /metrics', () => {
  it('exports consumer errors by code and each host consumer lag as gauges', () => {
    const text = formatMetrics(
      natsCaptureMetrics({
        consumerErrors: 3,
        consumerErrorCodes: { '10100': 2, other: 1 },
        publish: [],
        serve: [
          {
            session: 'lab',
            ...readerStats,
            lag: {
              pending: 12,
              ackPending: 5,
              redelivered: 1,
              oldestSampleAgeMs: 2500,
              samples: 4,
              failures: 0,
              hosts: [
                {
                  host: 'lab-1',
                  durable: 'd-lab-1',
                  pending: 10,
                  ackPending: 5,
                  redelivered: 1,
                  ageMs: 2500,
                },
                {
                  host: 'lab-2',
                  durable: 'd-lab-2',
                  pending: 2,
                  ackPending: 0,
                  redelivered: 0,
                  ageMs: 0,
                },
              ],
            },
          },
          { session: 'idle', ...readerStats, lag: undefined },
        ],
      }),
    );
    const lines = text.split('\n');
    for (const line of [
      'netrx_nats_consumer_errors_total 3',
      'netrx_nats_consumer_error_codes_total{code="10100"} 2',
      'netrx_nats_consumer_error_codes_total{code="other"} 1',
      'netrx_nats_consumer_pending_messages{session="lab",host="lab-1"} 10',
      'netrx_nats_consumer_pending_messages{session="lab",host="lab-2"} 2',
      'netrx_nats_consumer_ack_pending_messages{session="lab",host="lab-1"} 5',
      'netrx_nats_consumer_redelivered_messages{session="lab",host="lab-1"} 1',
      'netrx_nats_consumer_lag_sample_age_seconds{session="lab",host="lab-1"} 2.5',
      '# TYPE netrx_nats_consumer_pending_messages gauge',
      '# TYPE netrx_nats_consumer_error_codes_total counter',
    ])
      expect(lines, line).toContain(line);
    expect(text).not.toContain('session="idle",host');
  });
});

describe('capture.nats /health lag', () => {
  it('shows a served session lag: sums, the oldest sample age, per host; nothing when the port cannot tell', () => {
    expect(lagStatus(undefined)).toEqual({});
    expect(
      lagStatus({
        pending: 3,
        ackPending: 4,
        redelivered: 1,
        oldestSampleAgeMs: 1234.6,
        samples: 9,
        failures: 1,
        hosts: [
          { host: 'lab-1', durable: 'd', pending: 3, ackPending: 4, redelivered: 1, ageMs: 1234.6 },
        ],
      }),
    ).toEqual({
      lag: {
        pending: 3,
        ackPending: 4,
        redelivered: 1,
        oldestSampleAgeMs: 1235,
        hosts: [{ host: 'lab-1', pending: 3, ackPending: 4, redelivered: 1, ageMs: 1235 }],
      },
    });
  });
});
