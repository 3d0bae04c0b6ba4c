/**
 * `netrx_radius_cluster_state_total` carries the finished-record events
 * (issue 16): `finished` when an authentication's last round wrote its
 * answer to the bucket, `finished-answered` when a lost answer was sent
 * again from it. `netrx_radius_cluster_forwards_total{result}` and
 * `netrx_radius_cluster_served_total{result}` move when a round is
 * forwarded to its owner (audit16 A8: no test read them).
 */
import { describe, expect, it } from 'vitest';
import type { RadiusUdpServerStats } from '../radius/index.js';
import { makeFleet, md5, mschapv2, type Node } from '../cluster/radius-fleet.js';
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

/** One node's families, from its server's and cluster's stats (the fields these families read). */
function familiesOf(node: Node) {
  const stats = {
    ...node.server.stats(),
    received: 0,
    cluster: node.cluster.stats(),
  } as unknown as RadiusUdpServerStats;
  return radiusMetrics({ stats, auths: [], radsec: undefined, workers: [] });
}

/** The fleet's total of `family`'s sample labelled result=`result`. */
function total(nodes: readonly Node[], family: string, result: string): number {
  let sum = 0;
  for (const node of nodes) {
    const found = familiesOf(node).find((f) => f.name === family);
    if (found === undefined) throw new Error(`no ${family}`);
    const sample = found.samples.find((s) => s.labels?.['result'] === result);
    if (sample === undefined) throw new Error(`no ${family}{result="${result}"}`);
    sum += sample.value;
  }
  return sum;
}

const FORWARDS = 'netrx_radius_cluster_forwards_total';
const SERVED = 'netrx_radius_cluster_served_total';

describe('radius metrics: the forwarding families (audit16 A8)', () => {
  it('a forwarded round moves forwards_total{answered} at the receiver and served_total{served} at the owner', async () => {
    // No bucket: every later round reaching another server is forwarded to the owner.
    const fleet = makeFleet({ ids: ['a', 'b'], keys: [undefined, undefined], methods: [md5] });
    for (const node of fleet.nodes) {
      expect(total([node], FORWARDS, 'answered')).toBe(0);
      expect(total([node], SERVED, 'served')).toBe(0);
    }
    expect(await fleet.authenticate([md5])).toMatchObject({ outcome: 'success' });
    const forwarded = fleet.nodes.reduce((n, node) => n + node.cluster.stats().forwarded, 0);
    expect(forwarded).toBeGreaterThan(0);
    expect(total(fleet.nodes, FORWARDS, 'answered')).toBe(forwarded);
    expect(total(fleet.nodes, SERVED, 'served')).toBe(forwarded);
    // The owner (a, which took the first round) served them; b forwarded them.
    const [a, b] = fleet.nodes as [Node, Node];
    expect(total([a], SERVED, 'served')).toBe(forwarded);
    expect(total([b], FORWARDS, 'answered')).toBe(forwarded);
    for (const result of ['owner-dropped', 'owner-unavailable', 'timeout', 'failed', 'busy']) {
      expect(total(fleet.nodes, FORWARDS, result)).toBe(0);
    }
  });

  it('the owner gone: forwards_total{owner-unavailable} moves; every forward answered was served', async () => {
    const fleet = makeFleet({ ids: ['a', 'b', 'c'], keys: [undefined, undefined, undefined] });
    const a = fleet.nodes[0] as Node;
    const original = a.server.receive.bind(a.server);
    a.server.receive = (datagram, from, service) => {
      original(datagram, from, service);
      a.cluster.close();
      fleet.live.delete(a);
    };
    expect((await fleet.authenticate([mschapv2]))?.outcome).toBe('timeout');
    expect(total(fleet.nodes, FORWARDS, 'owner-unavailable')).toBeGreaterThan(0);
    // Whatever else went to a live owner (the NAS's retries start over there) was served by it.
    expect(total(fleet.nodes, SERVED, 'served')).toBe(total(fleet.nodes, FORWARDS, 'answered'));
  });
});
