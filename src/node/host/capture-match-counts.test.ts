// Review M3 residue: what a configured capture session's filter matched,
// counted whether or not a client has it open, is what the session itself
// counts as `matched` while one does (the dashboard's gap figure uses it).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SessionTable } from '../../capture/index.js';
import { VirtualClock } from '../../testing/index.js';
import { defineEvent, TraceRegistry } from '../../trace/index.js';
import { SessionMatchCounts } from './capture-match-counts.js';
import { startConfiguredSession, type SessionEntry } from './capture-sessions.js';

const PROVIDERS = ['alpha', 'beta', 'gamma'] as const;

function bus() {
  const clock = new VirtualClock();
  const trace = new TraceRegistry({ clock });
  const providers = PROVIDERS.map((name, i) =>
    trace.register({ guid: `00000000-0000-0000-0000-00000000000${i}`, name }),
  );
  return { clock, trace, providers };
}

const entry = (over: Partial<SessionEntry> = {}): SessionEntry => ({
  name: 's',
  providers: ['*'],
  level: 5,
  queueEvents: 65_536,
  ...over,
});

describe('SessionMatchCounts (review M3)', () => {
  it("counts what an open session matches, as the session does (property: the entry's providers, level and the events drawn)", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.constant<string[]>(['*']),
          fc.subarray([...PROVIDERS], { minLength: 1 }),
          // A GUID names a provider as well as its name.
          fc.constant<string[]>(['00000000-0000-0000-0000-000000000001']),
        ),
        fc.integer({ min: 0, max: 5 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 5 })), {
          maxLength: 60,
        }),
        (names, level, events) => {
          const { clock, trace, providers } = bus();
          const configured = entry({ providers: names, level });
          const counts = new SessionMatchCounts(trace);
          counts.sync([configured]);
          const table = new SessionTable({ registry: trace, clock });
          startConfiguredSession(table, configured);
          table.openSession(configured.name);
          for (const [which, at] of events)
            providers[which]?.write(defineEvent({ id: 1, name: 'e', level: at }));
          expect(counts.matched('s')).toBe(table.session('s')?.stats().matched);
        },
      ),
    );
  });

  it('counts while no client has the session open, keeps an unchanged entry and restarts a changed one', () => {
    const { trace, providers } = bus();
    const [alpha, beta] = providers;
    const event = defineEvent({ id: 1, name: 'e', level: 4 });
    const counts = new SessionMatchCounts(trace);
    counts.sync([entry({ name: 'all' }), entry({ name: 'beta', providers: ['beta'] })]);
    alpha?.write(event);
    beta?.write(event);
    expect([counts.matched('all'), counts.matched('beta')]).toEqual([2, 1]);
    counts.sync([entry({ name: 'all' }), entry({ name: 'beta', providers: ['alpha'] })]);
    alpha?.write(event);
    expect([counts.matched('all'), counts.matched('beta')]).toEqual([3, 1]);
    counts.sync([entry({ name: 'all' })]);
    expect(counts.matched('beta')).toBeUndefined();
    counts.close();
    expect(counts.matched('all')).toBeUndefined();
    // Nobody listens any more: the providers cost nothing again.
    expect(providers.some((p) => p.isEnabled())).toBe(false);
  });
});
