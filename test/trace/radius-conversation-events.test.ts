/**
 * `netrx-radius` events of EAP conversations shared through the cluster's
 * bucket (audit16 A7): RadiusConversationShared (8, Verbose) and
 * RadiusConversationRefused (9, Warning), over the fake KV on a virtual
 * clock (src/node/cluster/radius-fleet.ts: servers behind a round-robin
 * NAS, every round at another server). Sessions listen with the Sessions
 * keyword at the level each event needs; one a level short hears nothing.
 */
import { describe, expect, it } from 'vitest';
import { nodeCrypto } from '../../src/node/runtime/index.js';
import { KEY, makeFleet, md5, mschapv2 } from '../../src/node/cluster/radius-fleet.js';
import { RADIUS_PROVIDER, RadiusKeyword } from '../../src/radius/index.js';
import { TraceLevel, TraceRegistry } from '../../src/trace/index.js';
import { VirtualClock } from '../../src/testing/index.js';
import { collect } from './support/collect.js';

const sessions = (registry: TraceRegistry, level: number) =>
  collect(registry, RADIUS_PROVIDER.name, { level, matchAnyKeyword: RadiusKeyword.Sessions });

describe('netrx-radius: conversations in the bucket', () => {
  it('RadiusConversationShared: action, round, revision as rounds are stored and restored', async () => {
    const registry = new TraceRegistry({ clock: new VirtualClock() });
    const verbose = sessions(registry, TraceLevel.Verbose);
    const information = sessions(registry, TraceLevel.Information);
    const fleet = makeFleet({ ids: ['a', 'b', 'c'], trace: registry });
    const result = await fleet.authenticate([mschapv2]);
    expect(result?.outcome).toBe('success');
    // Each Challenge's state stored by the server that answered, restored by the next; the
    // Accept's record stored as `finished`. The revision is the bucket's.
    expect(verbose.named('RadiusConversationShared')).toEqual([
      { action: 'stored', round: 1, revision: 1 },
      { action: 'restored', round: 1, revision: 1 },
      { action: 'stored', round: 2, revision: 2 },
      { action: 'restored', round: 2, revision: 2 },
      { action: 'stored', round: 3, revision: 3 },
      { action: 'restored', round: 3, revision: 3 },
      { action: 'finished', round: 4, revision: 4 },
    ]);
    expect(verbose.events.find((e) => e.name === 'RadiusConversationShared')).toMatchObject({
      id: 8,
      level: TraceLevel.Verbose,
      keywords: RadiusKeyword.Sessions,
    });
    // A Verbose event: a session at Information hears none of it.
    expect(information.named('RadiusConversationShared')).toEqual([]);
  });

  it('RadiusConversationShared local-fallback: the bucket away at a first round', async () => {
    const registry = new TraceRegistry({ clock: new VirtualClock() });
    const verbose = sessions(registry, TraceLevel.Verbose);
    const fleet = makeFleet({ ids: ['a', 'b', 'c'], trace: registry });
    fleet.kv.down = true;
    const result = await fleet.authenticate([mschapv2]);
    expect(result?.outcome).toBe('success');
    const fallbacks = verbose.named('RadiusConversationShared');
    expect(fallbacks.length).toBeGreaterThan(0);
    // Never in the bucket: no round, no revision.
    for (const fallback of fallbacks) {
      expect(fallback).toEqual({ action: 'local-fallback', round: 0, revision: 0 });
    }
  });

  it('RadiusConversationRefused: reason, for a record sealed with another key', async () => {
    const registry = new TraceRegistry({ clock: new VirtualClock() });
    const warning = sessions(registry, TraceLevel.Warning);
    const error = sessions(registry, TraceLevel.Error);
    const fleet = makeFleet({
      ids: ['a', 'b'],
      keys: [KEY, nodeCrypto.randomBytes(32)],
      trace: registry,
    });
    const result = await fleet.authenticate([md5]);
    expect(result?.outcome).toBe('success');
    expect(warning.named('RadiusConversationRefused')).toEqual([{ reason: 'authentication' }]);
    expect(warning.events.find((e) => e.name === 'RadiusConversationRefused')).toMatchObject({
      id: 9,
      level: TraceLevel.Warning,
      keywords: RadiusKeyword.Sessions,
    });
    // A Warning event: a session at Error hears none of it.
    expect(error.named('RadiusConversationRefused')).toEqual([]);
  });
});
