/**
 * verify16c (outside check of review16c's fixes): ensureStream now brings
 * an existing stream to the starting publisher's limits (F4 residue). A
 * publisher started with default flags (`capture publish` without
 * `--replicas`, `--stream-bytes`) then rewrites a stream that another
 * publisher, or the operator, made with three replicas and a larger
 * budget. docs/cluster.md's bucket row still says the capture streams'
 * replicas are "the setting of whoever creates it". It failed on main
 * f41d324 (num_replicas 3 → 1); replicas are now raised, never lowered.
 */
import { describe, expect, it } from 'vitest';
import {
  planStreamUpdate,
  resolveStreamLimits,
  wantedEventStream,
} from '../../src/node/cluster/stream-config.js';

describe('verify16c: a publisher with default flags meets a three-replica stream', () => {
  const made = wantedEventStream(
    'lab',
    resolveStreamLimits({ maxBytes: 64 * 1024 * 1024, replicas: 3 }),
  );
  const defaults = wantedEventStream('lab', resolveStreamLimits({ maxBytes: 1024 * 1024 }));

  it('the stream keeps its three replicas (failed on f41d324: num_replicas 3 → 1)', () => {
    const plan = planStreamUpdate('netrx-lab', made, defaults, {
      messages: 0,
      bytes: 0,
      largestSubject: 0,
    });
    console.info(
      `verify16c: ${plan.changes.map((c) => `${c.setting} ${c.have} → ${c.to} (${c.outcome})`).join(', ')}`,
    );
    expect(plan.update?.num_replicas ?? made.num_replicas).toBe(3);
  });
});
