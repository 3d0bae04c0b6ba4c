import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeLossFloor,
  legacyLossFloorSubject,
  lossFloorSubject,
  parseLossFloor,
} from './loss-floors.js';
import {
  DeliveredFloors,
  LossDurableUpgrade,
  LossFloorNotStored,
  raisedFloor,
  type AdoptionCache,
  type LossUpgradePort,
  type StoredReport,
} from './loss-upgrade.js';
import type { PublishOutcome } from './ports.js';
import { hasNoIdleThreshold, isLegacyLossDurable } from './legacy-loss-durable.js';

const STREAM = 'netrx-loss-lab';
const encoder = new TextEncoder();

function report(seq: number, host: string, instance: string, lost: number, prev = 0): StoredReport {
  return {
    subject: `netrxloss.lab.${host}.${instance}`,
    data: encoder.encode(JSON.stringify({ instance, lost, prev })),
    seq,
  };
}

/** A loss stream and its durables as a LossUpgradePort, counting each call. */
function stubPort(options: {
  reports?: StoredReport[];
  durables?: Record<string, { config: Record<string, unknown>; ackFloor: number }>;
  floors?: Record<string, Uint8Array>;
  publish?: PublishOutcome;
}) {
  const calls = {
    list: 0,
    read: 0,
    publish: 0,
    delete: [] as string[],
    lastMessage: [] as string[],
  };
  const published: { subject: string; data: Uint8Array }[] = [];
  const durables = { ...options.durables };
  const port: LossUpgradePort = {
    legacyDurables: () => {
      calls.list++;
      const legacy = Object.entries(durables)
        .filter(([, info]) => hasNoIdleThreshold(info.config))
        .map(([name, info]) => ({ name, info }));
      return Promise.resolve(legacy);
    },
    reportsUpTo: (_stream, _filter, upTo) => {
      calls.read++;
      const reports = (options.reports ?? []).filter((r) => r.seq <= upTo);
      return (async function* () {
        await Promise.resolve();
        yield* reports;
      })();
    },
    lastMessage: (stream, subject) => {
      calls.lastMessage.push(`${stream} ${subject}`);
      return Promise.resolve(
        published.filter((p) => p.subject === subject).at(-1)?.data ?? options.floors?.[subject],
      );
    },
    publish: (subject, data) => {
      calls.publish++;
      const outcome = options.publish ?? { kind: 'stored', duplicate: false };
      if (outcome.kind === 'stored') published.push({ subject, data });
      return Promise.resolve(outcome);
    },
    delete: (_stream, durable) => {
      calls.delete.push(durable);
      delete durables[durable];
      return Promise.resolve();
    },
  };
  return { port, calls, published };
}

const legacy = (filter = 'netrxloss.lab.*.*') => ({
  filter_subject: filter,
  ack_policy: 'explicit',
  deliver_policy: 'all',
  max_ack_pending: 4096,
});
const current = { ...legacy(), inactive_threshold: 6.048e14 };

describe('a legacy loss durable (verify16c V1, V2)', () => {
  it('is one made without inactive_threshold: every durable since floors has one (N8)', () => {
    const durable = (config: Record<string, unknown>) =>
      isLegacyLossDurable({ session: 'lab', name: 'netrx-reader-lab-a-loss', config });
    expect(durable(legacy())).toBe(true);
    expect(durable({ ...legacy(), inactive_threshold: 0 })).toBe(true);
    expect(durable(current)).toBe(false);
  });
});

describe('floors from acked reports', () => {
  it("are each host's runs' highest counts (property: any order, other sessions and floors skipped)", () => {
    const reportArb = fc.record({
      host: fc.constantFrom('lab-1', 'lab-2', 'lab-3'),
      run: fc.constantFrom('run1', 'run2'),
      lost: fc.nat(50),
      session: fc.constantFrom('lab', 'lab', 'other'),
    });
    fc.assert(
      fc.property(
        fc.array(reportArb, { maxLength: 30 }),
        fc.integer({ min: 1, max: 8 }),
        (rs, maxRuns) => {
          const delivered = new DeliveredFloors('lab', maxRuns);
          const expected = new Map<string, number>();
          const order: string[] = [];
          rs.forEach((r, i) => {
            const subject = `netrxloss.${r.session}.${r.host}.${r.run}`;
            const data = encoder.encode(JSON.stringify({ instance: r.run, lost: r.lost }));
            delivered.add({ subject, data, seq: i + 1 });
            // A floor on its five-token subject is not a report.
            delivered.add({ subject: `netrxloss.lab.${r.host}.floor.acked`, data, seq: i + 1 });
            if (r.session !== 'lab') return;
            const key = `${r.host}/${r.run}`;
            if (!expected.has(key)) {
              if (order.length >= maxRuns) return;
              order.push(key);
            }
            expected.set(key, Math.max(expected.get(key) ?? 0, r.lost));
          });
          const got = new Map<string, number>();
          for (const [host, runs] of delivered.floors) {
            for (const [run, lost] of runs) got.set(`${host}/${run}`, lost);
          }
          expect(got).toEqual(expected);
        },
      ),
    );
  });

  it('raise a stored floor run by run, and only when they are higher (property)', () => {
    const floorArb = fc
      .dictionary(fc.constantFrom('run1', 'run2', 'run3'), fc.nat(20))
      .map((d) => new Map(Object.entries(d)));
    fc.assert(
      fc.property(floorArb, floorArb, (stored, delivered) => {
        const raised = raisedFloor(stored, delivered);
        const higher = [...delivered].some(([run, lost]) => (stored.get(run) ?? -1) < lost);
        expect(raised !== undefined).toBe(higher);
        const result = raised ?? stored;
        for (const [run, lost] of [...stored, ...delivered]) {
          expect(result.get(run)).toBeGreaterThanOrEqual(lost);
        }
        for (const [run, lost] of result) {
          expect(lost).toBe(Math.max(stored.get(run) ?? 0, delivered.get(run) ?? 0));
        }
      }),
    );
  });
});

describe('LossDurableUpgrade', () => {
  it('costs one consumer list request when there is no legacy durable', async () => {
    const { port, calls } = stubPort({});
    const upgrade = new LossDurableUpgrade(port, STREAM, 64, new Map());
    await upgrade.adopt('netrx-reader-lab-new-loss', ['netrx-reader-lab-old-loss']);
    expect(calls).toEqual({ list: 1, read: 0, publish: 0, delete: [], lastMessage: [] });
    expect(upgrade.floors.size).toBe(0);
  });

  it("adopts an old id's legacy durable: reports at or below its ack floor become floors, then it is deleted", async () => {
    const reports = [
      report(1, 'lab-1', 'run1', 2),
      report(2, 'lab-2', 'run1', 1),
      report(3, 'lab-1', 'run1', 5, 2),
      report(4, 'lab-1', 'run2', 3),
    ];
    const { port, calls, published } = stubPort({
      reports,
      durables: { old: { config: legacy(), ackFloor: 3 } },
    });
    const upgrade = new LossDurableUpgrade(port, STREAM, 64, new Map());
    await upgrade.adopt('new', ['old']);
    expect(calls.delete).toEqual(['old']);
    // run2's report (seq 4) is above the ack floor: not delivered, so no floor for it.
    expect(upgrade.floors).toEqual(
      new Map([
        ['lab-1', new Map([['run1', 5]])],
        ['lab-2', new Map([['run1', 1]])],
      ]),
    );
    const floor = published.find((p) => p.subject === lossFloorSubject('lab', 'lab-1'));
    expect(parseLossFloor(floor!.data, 64)).toEqual(new Map([['run1', 5]]));
  });

  it('leaves a current durable alone: its acks are not deliveries (a standby, a close)', async () => {
    const { port, calls } = stubPort({
      reports: [report(1, 'lab-1', 'run1', 4)],
      durables: { old: { config: current, ackFloor: 1 } },
    });
    const upgrade = new LossDurableUpgrade(port, STREAM, 64, new Map());
    await upgrade.adopt('new', ['old']);
    await upgrade.adopt('old', []);
    expect(calls).toMatchObject({ read: 0, publish: 0, delete: [] });
    expect(upgrade.floors.size).toBe(0);
  });

  it("takes another server's legacy durable's floors too, and leaves it to that server", async () => {
    const { port, calls } = stubPort({
      reports: [report(1, 'lab-1', 'run1', 4), report(2, 'lab-2', 'run1', 2)],
      durables: {
        'netrx-reader-lab-mine-loss': { config: legacy(), ackFloor: 0 },
        'netrx-reader-lab-theirs-loss': { config: legacy(), ackFloor: 2 },
      },
    });
    const cache: AdoptionCache = new Map();
    const upgrade = new LossDurableUpgrade(port, STREAM, 64, cache);
    await upgrade.adopt('netrx-reader-lab-mine-loss', []);
    expect(calls.delete).toEqual([]);
    expect(upgrade.floors.get('lab-1')).toEqual(new Map([['run1', 4]]));
    // Its ack floor has not moved: the next bind reuses what it read.
    const again = new LossDurableUpgrade(port, STREAM, 64, cache);
    await again.adopt('netrx-reader-lab-mine-loss', []);
    expect(calls.read).toBe(1);
    expect(again.floors).toEqual(upgrade.floors);
  });

  it('keeps a higher stored floor and publishes nothing for it', async () => {
    const stored = encodeLossFloor(new Map([['run1', 9]]));
    const { port, calls } = stubPort({
      reports: [report(1, 'lab-1', 'run1', 4)],
      durables: { own: { config: legacy(), ackFloor: 1 } },
      floors: { [lossFloorSubject('lab', 'lab-1')]: stored },
    });
    const upgrade = new LossDurableUpgrade(port, STREAM, 64, new Map());
    await upgrade.adopt('own', []);
    expect(calls.publish).toBe(0);
    expect(upgrade.floors.get('lab-1')).toEqual(new Map([['run1', 9]]));
  });

  it('stores the adopted floor in the floor stream, raised by a legacy floor (review16e L3)', async () => {
    // An old reader's floor in the loss stream: run2 above what the durable acked.
    const oldReaders = encodeLossFloor(
      new Map([
        ['run1', 2],
        ['run2', 6],
      ]),
    );
    const { port, calls, published } = stubPort({
      reports: [report(1, 'lab-1', 'run1', 4)],
      durables: { own: { config: legacy(), ackFloor: 1 } },
      floors: { [legacyLossFloorSubject('lab', 'lab-1')]: oldReaders },
    });
    const upgrade = new LossDurableUpgrade(port, STREAM, 64, new Map());
    await upgrade.adopt('own', []);
    const expected = new Map([
      ['run1', 4],
      ['run2', 6],
    ]);
    expect(upgrade.floors.get('lab-1')).toEqual(expected);
    expect(calls.lastMessage.sort()).toEqual([
      'netrx-loss-lab netrxloss.lab.lab-1.floor.acked',
      'netrxfloor-lab netrxfloor.lab.lab-1',
    ]);
    // Stored only in the floor stream, the whole floor.
    expect(published.map((p) => p.subject)).toEqual([lossFloorSubject('lab', 'lab-1')]);
    expect(parseLossFloor(published[0]?.data ?? new Uint8Array(), 8)).toEqual(expected);
  });

  it('an old durable with no acks gives no floor and is still deleted (V2: it would live for ever)', async () => {
    const { port, calls } = stubPort({
      reports: [report(1, 'lab-1', 'run1', 4)],
      durables: { old: { config: legacy(), ackFloor: 0 } },
    });
    const upgrade = new LossDurableUpgrade(port, STREAM, 64, new Map());
    await upgrade.adopt('new', ['old']);
    expect(calls).toMatchObject({ read: 0, publish: 0, delete: ['old'] });
    expect(upgrade.floors.size).toBe(0);
  });

  it('keeps the old durable when a floor cannot be stored (the next bind tries again)', async () => {
    const { port, calls } = stubPort({
      reports: [report(1, 'lab-1', 'run1', 4)],
      durables: { old: { config: legacy(), ackFloor: 1 } },
      publish: { kind: 'unsent', reason: 'disconnected' },
    });
    const upgrade = new LossDurableUpgrade(port, STREAM, 64, new Map());
    await expect(upgrade.adopt('new', ['old'])).rejects.toBeInstanceOf(LossFloorNotStored);
    expect(calls.delete).toEqual([]);
  });
});
