// review16d D2: which consumers of a loss stream an upgrade may adopt. The
// property draws consumers built as netrx made its loss durables before
// floors (every name form, both filter forms) and foreign ones (the same,
// with one or more fields another tool would set), with ack floors and
// reports, and checks through LossDurableUpgrade that only the netrx-shaped
// ones give floors, that a foreign one is never deleted, and that the
// reader's own netrx-shaped earlier durables go.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { subjectRegex } from './fake-jetstream.js';
import {
  isLegacyLossDurable,
  isNetrxLossDurableName,
  isNetrxLossFilter,
} from './legacy-loss-durable.js';
import { lossFloorSubject } from './loss-floors.js';
import { LossDurableUpgrade, type LossUpgradePort, type StoredReport } from './loss-upgrade.js';

const SESSION = 'lab';
const STREAM = `netrx-loss-${SESSION}`;
const HOSTS = ['lab-1', 'lab-2', 'lab-3'] as const;
const encoder = new TextEncoder();

/** netrx's loss durable config before N8 (nats.ts from 5a10a3e to c5ee538). */
const netrxShape = (filter: string): Record<string, unknown> => ({
  durable_name: 'set below',
  filter_subject: filter,
  ack_policy: 'explicit',
  deliver_policy: 'all',
  max_ack_pending: 4096,
  // What nats-server 2.9.10 fills in itself: present on netrx's durables too.
  ack_wait: 30_000_000_000,
  max_deliver: -1,
  replay_policy: 'instant',
  max_waiting: 512,
});

describe('the shape of a legacy netrx loss durable', () => {
  it('names: every default netrx gave, and the reader’s own', () => {
    for (const name of [
      'netrx-reader-lab-loss', // default before review16 R2
      'netrx-reader-lab-capture-server-0-loss', // a reader id (pre-N1 and since)
      'netrx-reader-lab-lab-srv-a1b2c3d4-loss', // netrx up: entry and host
    ]) {
      expect(isNetrxLossDurableName(SESSION, name)).toBe(true);
    }
    for (const name of [
      'ops-loss-alerts',
      'netrx-reader-lab-x', // not a loss durable
      'netrx-reader-lab--loss',
      'netrx-reader-labx-a-loss', // another session's prefix
      'netrx-reader-other-a-loss',
    ]) {
      expect(isNetrxLossDurableName(SESSION, name)).toBe(false);
    }
    expect(isNetrxLossDurableName(SESSION, 'my-api-durable-loss', ['my-api-durable-loss'])).toBe(
      true,
    );
  });

  it('filters: a glob reader’s and a one-host reader’s, nothing else', () => {
    expect(isNetrxLossFilter(SESSION, 'netrxloss.lab.*.*')).toBe(true);
    expect(isNetrxLossFilter(SESSION, 'netrxloss.lab.lab-1.*')).toBe(true);
    for (const filter of [
      'netrxloss.lab.>',
      'netrxloss.>',
      'netrxloss.lab.*',
      'netrxloss.lab.lab-1.r1',
      'netrxloss.lab.*.*.*',
      'netrxloss.other.*.*',
      '',
      undefined,
    ]) {
      expect(isNetrxLossFilter(SESSION, filter)).toBe(false);
    }
  });

  it('an alerting durable as `nats consumer add` makes it is not netrx’s', () => {
    const config = { ...netrxShape('netrxloss.lab.>'), max_ack_pending: 1000 };
    expect(isLegacyLossDurable({ session: SESSION, name: 'ops-loss-alerts', config })).toBe(false);
  });
});

/** A way a consumer differs from netrx's legacy shape (each alone makes it foreign). */
const foreignFields = fc.constantFrom<Record<string, unknown>>(
  { ack_policy: 'none' },
  { ack_policy: 'all' },
  { deliver_policy: 'new' },
  { deliver_policy: 'last_per_subject' },
  { max_ack_pending: 1000 },
  { max_ack_pending: 0 },
  { max_ack_pending: 20_000 },
  { filter_subject: 'netrxloss.lab.>' },
  { filter_subject: 'netrxloss.lab.lab-1.r1' },
  { filter_subject: 'netrxloss.*.*.*' },
  { deliver_subject: 'alerts.inbox' },
  { description: 'loss alerts' },
  { headers_only: true },
  // Current netrx (N8): its acks are not deliveries either.
  { inactive_threshold: 604_800_000_000_000 },
);

const nameForm = fc.constantFrom('id', 'up', 'earlier', 'current', 'foreign');

const consumerArb = fc.record({
  nameForm,
  glob: fc.boolean(),
  filterHost: fc.constantFrom(...HOSTS),
  foreign: fc.array(foreignFields, { maxLength: 3 }),
  ackFloor: fc.nat(12),
  /** Whether the server reports the CLI's empty values (`""`, false) for fields netrx left out. */
  emptyValues: fc.boolean(),
});

const reportArb = fc.record({
  host: fc.constantFrom(...HOSTS),
  run: fc.constantFrom('run1', 'run2'),
  lost: fc.nat(30),
});

function nameOf(form: string, i: number, foreignName: string): string {
  switch (form) {
    case 'id':
      return `netrx-reader-${SESSION}-srv${i}-loss`;
    case 'up':
      return `netrx-reader-${SESSION}-entry-host${i}-a1b2c3d4-loss`;
    case 'earlier':
      return `old-api-${i}-loss`;
    case 'current':
      return `current-api-loss`;
    default:
      return `${foreignName}${i}`;
  }
}

describe('LossDurableUpgrade with foreign consumers next to legacy ones (property)', () => {
  it('only netrx-shaped durables give floors; foreign ones stay, untouched', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(consumerArb, { maxLength: 6 }),
        fc.array(reportArb, { maxLength: 12 }),
        fc.constantFrom('ops-loss-alerts-', 'alerts', 'netrx-reader-lab-x', 'netrx-reader-other-'),
        async (drawn, drawnReports, foreignName) => {
          const reports: StoredReport[] = drawnReports.map((r, k) => ({
            subject: `netrxloss.${SESSION}.${r.host}.${r.run}`,
            data: encoder.encode(JSON.stringify({ instance: r.run, lost: r.lost, prev: 0 })),
            seq: k + 1,
          }));
          const consumers = new Map<
            string,
            { config: Record<string, unknown>; ackFloor: number }
          >();
          const netrxMade: string[] = [];
          drawn.forEach((c, i) => {
            const name = nameOf(c.nameForm, i, foreignName);
            if (consumers.has(name)) return;
            const filter = `netrxloss.${SESSION}.${c.glob ? '*' : c.filterHost}.*`;
            const config = { ...netrxShape(filter), durable_name: name };
            if (c.emptyValues) Object.assign(config, { deliver_subject: '', description: '' });
            for (const fields of c.foreign) Object.assign(config, fields);
            consumers.set(name, { config, ackFloor: c.ackFloor });
            if (c.nameForm !== 'foreign' && c.foreign.length === 0) netrxMade.push(name);
          });

          // The oracle: per host and run, the highest count a netrx-made durable acked.
          const expected = new Map<string, Map<string, number>>();
          for (const name of netrxMade) {
            const { config, ackFloor } = consumers.get(name)!;
            const regex = subjectRegex(config.filter_subject as string);
            for (const [k, r] of drawnReports.entries()) {
              const seq = k + 1;
              if (seq > ackFloor || !regex.test(`netrxloss.${SESSION}.${r.host}.${r.run}`))
                continue;
              const runs = expected.get(r.host) ?? new Map<string, number>();
              runs.set(r.run, Math.max(runs.get(r.run) ?? 0, r.lost));
              expected.set(r.host, runs);
            }
          }

          const published = new Map<string, Uint8Array>();
          const deleted: string[] = [];
          const port: LossUpgradePort = {
            legacyDurables: () =>
              Promise.resolve(
                [...consumers]
                  .filter(([name]) => !deleted.includes(name))
                  .map(([name, { config, ackFloor }]) => ({ name, info: { config, ackFloor } })),
              ),
            reportsUpTo: (_stream, filter, upTo) => {
              const regex = subjectRegex(filter);
              const up = reports.filter((r) => r.seq <= upTo && regex.test(r.subject));
              return (async function* () {
                await Promise.resolve();
                yield* up;
              })();
            },
            lastMessage: (_stream, subject) => Promise.resolve(published.get(subject)),
            publish: (subject, data) => {
              published.set(subject, data);
              return Promise.resolve({ kind: 'stored', duplicate: false });
            },
            delete: (_stream, durable) => {
              deleted.push(durable);
              return Promise.resolve();
            },
          };

          const earlier = [...consumers.keys()].filter((name) => name.startsWith('old-api-'));
          const upgrade = new LossDurableUpgrade(port, STREAM, 64, new Map());
          await upgrade.adopt('current-api-loss', earlier);

          expect(upgrade.floors).toEqual(expected);
          // Exactly the hosts netrx-made durables delivered get a floor stored.
          const floorSubjects = [...expected.keys()].map((h) => lossFloorSubject(SESSION, h));
          expect([...published.keys()].sort()).toEqual(floorSubjects.sort());
          // The reader deletes its own earlier netrx durables, nothing else.
          expect(deleted.sort()).toEqual(netrxMade.filter((name) => earlier.includes(name)).sort());
        },
      ),
      { numRuns: 300 },
    );
  });
});
