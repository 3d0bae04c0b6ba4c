import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NetrxError } from '../../runtime/index.js';
import { VirtualClock } from '../../testing/index.js';
import { FakeJetStream } from './fake-jetstream.js';
import {
  BUDGET_SETTINGS,
  describeStreamChange,
  lowers,
  planStreamUpdate,
  reconcileCaptureStreams,
  resolveStreamLimits,
  wantedEventStream,
  wantedLossStream,
  type ManagedStreamConfig,
  type StreamChange,
} from './stream-config.js';
import { STREAM_FULL_SUBJECTS } from './stream-budget.js';
import { makeHost, settle } from './test-kit.js';

/** A stream as netrx before review16 R1 created it: one stream-wide limit, no per-subject budget. */
function olderNetrxStream(session: string, maxMsgs: number): ManagedStreamConfig {
  return {
    ...wantedEventStream(session, {
      maxMsgsPerSubject: 1,
      duplicateWindowMs: 120_000,
      replicas: 1,
      budgetGiven: true,
    }),
    max_msgs: maxMsgs,
    max_msgs_per_subject: -1,
    discard_new_per_subject: false,
  };
}

const limit = fc.oneof(fc.constant(-1), fc.integer({ min: 1, max: 5000 }));

const configArb = (retention: fc.Arbitrary<ManagedStreamConfig['retention']>) =>
  fc.record({
    subjects: fc.constantFrom(['netrx.lab.>'], ['netrx.lab.>', 'x.>'], ['netrx.old.>']),
    retention,
    storage: fc.constantFrom('file' as const, 'memory' as const),
    discard: fc.constantFrom('new' as const, 'old' as const),
    max_msgs: limit,
    max_msgs_per_subject: limit,
    discard_new_per_subject: fc.boolean(),
    max_bytes: fc.oneof(fc.constant(-1), fc.integer({ min: 1, max: 1_000_000 })),
    max_msg_size: fc.oneof(fc.constant(-1), fc.integer({ min: 1, max: 70_000 })),
    max_age: fc.constantFrom(0, 1e9),
    duplicate_window: fc.constantFrom(60e9, 120e9),
    num_replicas: fc.integer({ min: 1, max: 5 }),
  });

const usageArb = fc.record({
  messages: fc.integer({ min: 0, max: 6000 }),
  bytes: fc.integer({ min: 0, max: 2_000_000 }),
  largestSubject: fc.integer({ min: 0, max: 6000 }),
});

const FLOORED = ['max_msgs', 'max_msgs_per_subject', 'max_bytes'] as const;
const usageOf = {
  max_msgs: 'messages',
  max_msgs_per_subject: 'largestSubject',
  max_bytes: 'bytes',
} as const;

describe('planStreamUpdate: an existing stream brought to the wanted limits', () => {
  it('changes what differs, never lowers a limit below what the stream holds, keeps storage (fast-check)', () => {
    fc.assert(
      fc.property(
        configArb(fc.constant('workqueue')),
        configArb(fc.constant('workqueue')),
        usageArb,
        fc.boolean(),
        (existing, asked, usage, keepBudget) => {
          // A publisher that gave no budget (verify16c V3 residue): the stream's own, where it has one.
          const wanted = { ...asked };
          if (keepBudget) {
            for (const setting of BUDGET_SETTINGS) {
              if (existing[setting] > 0) wanted[setting] = existing[setting];
            }
          }
          // The stream cannot hold more than its own limits allow.
          const held = {
            messages:
              existing.max_msgs > 0 ? Math.min(usage.messages, existing.max_msgs) : usage.messages,
            bytes: existing.max_bytes > 0 ? Math.min(usage.bytes, existing.max_bytes) : usage.bytes,
            largestSubject:
              existing.max_msgs_per_subject > 0
                ? Math.min(usage.largestSubject, existing.max_msgs_per_subject)
                : usage.largestSubject,
          };
          const plan = planStreamUpdate('netrx-lab', existing, asked, held, { keepBudget });
          const after = plan.update ?? existing;
          expect(after.storage).toBe(existing.storage);
          for (const setting of Object.keys(wanted) as (keyof ManagedStreamConfig)[]) {
            if (setting === 'storage') continue;
            if (setting === 'num_replicas') {
              // Raised, never lowered (verify16c V3).
              expect(after.num_replicas).toBe(Math.max(existing.num_replicas, wanted.num_replicas));
              continue;
            }
            const floored = (FLOORED as readonly string[]).includes(setting);
            if (!floored) expect(after[setting]).toEqual(wanted[setting]);
          }
          for (const setting of FLOORED) {
            const floor = held[usageOf[setting]];
            if (lowers(existing[setting], wanted[setting]) && floor > wanted[setting]) {
              // Lowered to `wanted` it would remove unread messages: held at what the stream holds.
              expect(after[setting]).toBe(floor);
            } else {
              expect(after[setting]).toBe(wanted[setting]);
            }
          }
          // Each setting that differed is told once, with what became of it.
          const told = plan.changes.map((c) => c.setting);
          expect(new Set(told).size).toBe(told.length);
          for (const setting of Object.keys(wanted) as (keyof ManagedStreamConfig)[]) {
            const differs =
              JSON.stringify([existing[setting]].flat().sort()) !==
              JSON.stringify([wanted[setting]].flat().sort());
            expect(told.includes(setting)).toBe(differs);
          }
          // Applied, the plan is what the stream is: planning again changes nothing.
          expect(planStreamUpdate('netrx-lab', after, wanted, held).update).toBeUndefined();
          expect(plan.update === undefined).toBe(
            plan.changes.every((c) => c.outcome !== 'updated' && c.to === c.have),
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses a stream of another retention, naming the stream and the setting', () => {
    const existing = {
      ...wantedEventStream('lab', resolveStreamLimits({ maxBytes: 1 << 20 })),
      retention: 'limits' as const,
    };
    const wanted = wantedEventStream('lab', resolveStreamLimits({ maxBytes: 1 << 20 }));
    let caught: unknown;
    try {
      planStreamUpdate('netrx-lab', existing, wanted, { messages: 0, bytes: 0 });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(NetrxError);
    expect((caught as NetrxError).code).toBe('ERR_NATS_STREAM_UNCHANGEABLE');
    expect((caught as NetrxError).message).toMatch(
      /^stream netrx-lab: retention is limits, netrx needs workqueue/,
    );
  });

  it('a publisher that gave no budget leaves the stream’s; one that gave one brings it (verify16c V3 residue)', () => {
    // Made by the operator's publishers: a 64 MiB budget, three replicas.
    const made = wantedEventStream(
      'lab',
      resolveStreamLimits({ maxBytes: 64 * 1024 * 1024, replicas: 3 }),
    );
    const usage = { messages: 0, bytes: 0, largestSubject: 0 };
    const byDefault = resolveStreamLimits({});
    expect(byDefault.budgetGiven).toBe(false);
    // Failed before: max_msgs_per_subject 8192 → 128 and max_msgs 131072 → 2048 (updated).
    const kept = planStreamUpdate('netrx-lab', made, wantedEventStream('lab', byDefault), usage, {
      keepBudget: !byDefault.budgetGiven,
    });
    expect(kept.update).toBeUndefined();
    expect(kept.changes.map((c) => [c.setting, c.outcome])).toEqual([['num_replicas', 'kept']]);
    const given = resolveStreamLimits({ maxBytes: 1024 * 1024 });
    expect(given.budgetGiven).toBe(true);
    const resized = planStreamUpdate('netrx-lab', made, wantedEventStream('lab', given), usage, {
      keepBudget: !given.budgetGiven,
    });
    expect(resized.changes.map((c) => [c.setting, c.outcome, c.to])).toEqual([
      ['num_replicas', 'kept', '3'],
      ['max_msgs_per_subject', 'updated', '128'],
      ['max_msgs', 'updated', '2048'],
    ]);
    // A stream without a per-subject budget (an older netrx) takes the default one.
    const older = olderNetrxStream('lab', 10);
    const upgraded = planStreamUpdate(
      'netrx-lab',
      older,
      wantedEventStream('lab', byDefault),
      usage,
      {
        keepBudget: true,
      },
    );
    expect(upgraded.update?.max_msgs_per_subject).toBe(128);
    expect(upgraded.update?.max_msgs).toBe(10);
  });

  it('tells a person what changed, in one line', () => {
    const change: StreamChange = {
      stream: 'netrx-lab',
      setting: 'max_msgs_per_subject',
      have: '-1',
      want: '128',
      outcome: 'held',
      to: '300',
    };
    expect(describeStreamChange(change)).toBe(
      'stream netrx-lab: max_msgs_per_subject -1 → 128 (held at 300: the stream holds that much now, lower would remove unread messages)',
    );
  });
});

describe('ensureStream over an older stream (the fake, 2.9.10 update rules)', () => {
  it('a stream an older netrx created takes the per-subject budget: the refusals follow the new limits', async () => {
    const clock = new VirtualClock();
    const stream = new FakeJetStream({ maxMsgs: Infinity });
    await stream.admin.add('netrx-lab', olderNetrxStream('lab', 10));
    await stream.admin.add('netrx-loss-lab', {
      ...wantedLossStream('lab', resolveStreamLimits({ maxBytes: 1 << 20 })),
      max_msgs_per_subject: 16,
    });
    // prod-1, read by nobody, fills the old stream-wide limit: lab-1 is refused with it.
    const prod = makeHost(clock, stream, 'prod-1', { instance: 'p1' });
    for (let i = 0; i < 12; i++) await prod.emitAlone(i);
    const lab = makeHost(clock, stream, 'lab-1', { instance: 'l1' });
    await lab.emitAlone(0);
    expect([prod.publisher.stats().stored, prod.publisher.stats().refused]).toEqual([10, 2]);
    expect(lab.publisher.stats().refused).toBe(1);

    // A host starts with the new limits: 4 messages per host and provider.
    const done = await reconcileCaptureStreams(
      stream.admin,
      'lab',
      resolveStreamLimits({ maxBytes: 1 << 20, maxMsgs: 4 }),
    );
    const changes = done.flatMap((d) => d.changes);
    // prod-1's subject holds 10: its budget is held there, not lowered (2.9.10 would remove 6 unread).
    expect(changes).toContainEqual(
      expect.objectContaining({
        stream: 'netrx-lab',
        setting: 'max_msgs_per_subject',
        outcome: 'held',
        to: '10',
      }),
    );
    expect(changes).toContainEqual(
      expect.objectContaining({
        stream: 'netrx-lab',
        setting: 'max_msgs',
        outcome: 'updated',
        to: String(4 * STREAM_FULL_SUBJECTS),
      }),
    );
    expect(changes).toContainEqual(
      expect.objectContaining({
        stream: 'netrx-loss-lab',
        setting: 'max_msgs_per_subject',
        outcome: 'updated',
        to: '1024',
      }),
    );
    expect(stream.counters.trimmed).toBe(0);
    expect(stream.length).toBe(10);
    // lab-1 is stored again while prod-1 stays refused alone.
    for (let i = 1; i <= 10; i++) await lab.emitAlone(i);
    await prod.emitAlone(99);
    expect(lab.publisher.stats().stored).toBe(10);
    expect(prod.publisher.stats().refused).toBe(3);

    // A second start while prod-1's subject still holds 10: still held there, nothing removed.
    const again = await reconcileCaptureStreams(
      stream.admin,
      'lab',
      resolveStreamLimits({ maxBytes: 1 << 20, maxMsgs: 4 }),
    );
    expect(again.flatMap((d) => d.changes)).toContainEqual(
      expect.objectContaining({ setting: 'max_msgs_per_subject', outcome: 'held', to: '10' }),
    );
    expect(stream.counters.trimmed).toBe(0);
    await settle();
  });

  it('a budget lowered while the stream holds less is lowered exactly, and the refusals follow it', async () => {
    const clock = new VirtualClock();
    const stream = new FakeJetStream({ maxMsgs: Infinity });
    await reconcileCaptureStreams(
      stream.admin,
      'lab',
      resolveStreamLimits({ maxBytes: 1 << 20, maxMsgs: 50 }),
    );
    expect(stream.streamConfig('netrx-lab')?.max_msgs_per_subject).toBe(50);
    const done = await reconcileCaptureStreams(
      stream.admin,
      'lab',
      resolveStreamLimits({ maxBytes: 1 << 20, maxMsgs: 3 }),
    );
    expect(done[0]?.changes.map((c) => [c.setting, c.outcome, c.to])).toEqual([
      ['max_msgs_per_subject', 'updated', '3'],
      ['max_msgs', 'updated', String(3 * STREAM_FULL_SUBJECTS)],
    ]);
    const lab = makeHost(clock, stream, 'lab-1');
    for (let i = 0; i < 5; i++) await lab.emitAlone(i);
    expect([lab.publisher.stats().stored, lab.publisher.stats().refused]).toEqual([3, 2]);
  });

  it('a default-flag publisher creates a stream with the default budget and leaves an existing one’s (verify16c V3 residue)', async () => {
    const stream = new FakeJetStream({ maxMsgs: Infinity });
    await reconcileCaptureStreams(stream.admin, 'fresh', resolveStreamLimits({}));
    expect(stream.streamConfig('netrx-fresh')?.max_msgs_per_subject).toBe(128);
    await reconcileCaptureStreams(
      stream.admin,
      'lab',
      resolveStreamLimits({ maxBytes: 1 << 20, maxMsgs: 500 }),
    );
    const done = await reconcileCaptureStreams(stream.admin, 'lab', resolveStreamLimits({}));
    expect(done.flatMap((d) => d.changes)).toEqual([]);
    expect(stream.streamConfig('netrx-lab')).toMatchObject({
      max_msgs_per_subject: 500,
      max_msgs: 500 * STREAM_FULL_SUBJECTS,
    });
  });

  it('a reader (createOnly) creates a missing stream but never changes the publishers’ limits', async () => {
    const stream = new FakeJetStream({ maxMsgs: Infinity });
    await reconcileCaptureStreams(
      stream.admin,
      'lab',
      resolveStreamLimits({ maxBytes: 1 << 20, maxMsgs: 7 }),
    );
    const done = await reconcileCaptureStreams(
      stream.admin,
      'lab',
      resolveStreamLimits({ maxBytes: 1 << 20 }),
      { createOnly: true },
    );
    expect(done.flatMap((d) => d.changes)).toEqual([]);
    expect(stream.streamConfig('netrx-lab')?.max_msgs_per_subject).toBe(7);
  });

  it('a reader still refuses a stream of another retention', async () => {
    const stream = new FakeJetStream({ maxMsgs: Infinity });
    await stream.admin.add('netrx-lab', { ...olderNetrxStream('lab', 10), retention: 'limits' });
    await expect(
      reconcileCaptureStreams(stream.admin, 'lab', resolveStreamLimits({ maxBytes: 1 << 20 }), {
        createOnly: true,
      }),
    ).rejects.toMatchObject({ code: 'ERR_NATS_STREAM_UNCHANGEABLE' });
  });
});
