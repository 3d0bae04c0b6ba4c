/**
 * `netrx_radius_cluster_state_total` carries the finished-record events
 * (issue 16): `finished` when an authentication's last round wrote its
 * answer to the bucket, `finished-answered` when a lost answer was sent
 * again from it.
 */
import { describe, expect, it } from 'vitest';
import type { RadiusUdpServerStats } from '../radius/index.js';
import { makeFleet, mschapv2 } from '../cluster/radius-fleet.js';
import { radiusMetrics } from './radius-metrics.js';

describe('radius metrics: the cluster state family', () => {
  it('counts finished records and the answers sent again from them', async () => {
    const fleet = makeFleet({ ids: ['a'], methods: [mschapv2] });
    expect(await fleet.authenticate([mschapv2])).toMatchObject({ outcome: 'success' });
    const node = fleet.nodes[0];
    if (node === undefined) throw new Error('no node');
    // Only the fields this family and the ones before it read; the rest of a UDP server's stats are not needed here.
    const stats = {
      ...node.server.stats(),
      received: 0,
      cluster: node.cluster.stats(),
    } as unknown as RadiusUdpServerStats;
    const family = radiusMetrics({ stats, auths: [], radsec: undefined, workers: [] }).find(
      (f) => f.name === 'netrx_radius_cluster_state_total',
    );
    const sample = (event: string) =>
      family?.samples.find((s) => s.labels?.['event'] === event)?.value;
    expect(sample('finished')).toBe(1);
    expect(sample('finished-answered')).toBe(0);
    expect(family?.help).toContain('finished-answered');
    // A lost ack is not two servers answering one round (review16c N6): its own events.
    expect(sample('unacknowledged-stored')).toBe(0);
    expect(sample('unacknowledged-conflict')).toBe(0);
    expect(family?.help).toContain('unacknowledged-conflict');
  });
});
