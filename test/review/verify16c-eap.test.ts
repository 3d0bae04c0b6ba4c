/**
 * verify16c (outside check of review16c's fixes): N6's confirming read.
 * A write whose acknowledgement was lost is taken as stored only when the
 * read finds the very bytes written. No test on main held that rule: the
 * hand mutation "any value found means stored" survived every RADIUS and
 * cluster suite (reviews/verify16c-mutate.mjs, H4). This one kills it
 * (seen failing under H4: unacknowledgedStored 1).
 */
import { describe, expect, it } from 'vitest';
import { makeFleet, mschapv2, type Node } from '../../src/node/cluster/radius-fleet.js';

describe('verify16c N6: a failed update whose key holds another value', () => {
  it('is not taken as stored (another server wrote the key meanwhile)', async () => {
    const fleet = makeFleet({ ids: ['a', 'b'], route: () => 0 });
    const update = fleet.kv.update.bind(fleet.kv);
    let updates = 0;
    fleet.kv.update = async (key, value, revision) => {
      if (++updates !== 1) return update(key, value, revision);
      // What another server stored at this revision (other bytes), then our ack "lost".
      const other = value.slice();
      other[other.length - 1] = (other[other.length - 1] ?? 0) ^ 0xff;
      await update(key, other, revision);
      return { kind: 'failed', reason: 'TIMEOUT' };
    };
    await fleet.authenticate([mschapv2]);
    const [a] = fleet.nodes as [Node, Node];
    expect(updates).toBe(1);
    console.info(`verify16c N6: ${JSON.stringify(a.shared?.stats())}`);
    expect(a.shared?.stats()).toMatchObject({ unacknowledgedStored: 0, writeFailed: 1 });
  });
});
