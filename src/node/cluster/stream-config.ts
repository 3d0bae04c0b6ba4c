/**
 * A capture session's streams (events, loss, and the readers' floors) as
 * netrx wants them, and bringing an existing stream to that (issue #16, review16 R1/F3 follow-up). A stream
 * created by an older netrx (no per-subject budget, another byte budget) or
 * before the session's buffer settings changed would otherwise keep its old
 * limits forever, and the change would be ignored silently.
 *
 * What JetStream (nats-server 2.9.10) lets `streams.update` change is
 * changed: subjects, discard, the message limits, `max_bytes`,
 * `max_msg_size`, the duplicate window, replicas. Two settings it refuses
 * (10052): retention and storage. A retention other than work queue breaks
 * fan-in itself (an ack would not remove, claims would not be exclusive),
 * so it is an error naming the stream and the setting
 * (ERR_NATS_STREAM_UNCHANGEABLE); another storage only changes durability,
 * so it is kept and told (`kept`). Replicas are raised, never lowered
 * (`kept`): the publisher that starts last with the default of one must not
 * take an operator's three away (verify16c V3).
 *
 * The budget (`max_msgs`, `max_msgs_per_subject`) is applied to an
 * existing stream only when the starting publisher asked for one
 * (`--stream-bytes`, `--stream-messages`, `capture.nats.streamBytes`,
 * `capture.nats.streamMessages`: `budgetGiven`), so a publisher with
 * default flags leaves the budget an operator or another publisher set
 * (verify16c V3 residue); it only gives a budget to a stream that has none
 * (-1: one an older netrx made without the per-subject budget, review16
 * R1). `max_bytes` is not a budget here: netrx never sets one (see
 * CaptureStreamLimits), and lifting an older one removes nothing.
 *
 * A limit is never lowered below what the stream holds: 2.9.10 applies a
 * lower `max_msgs` at once by removing the oldest messages (seen: 8 stored,
 * `max_msgs` 10 → 5, 3 removed), which on the work queue is unread events
 * lost with no count. Such a limit is `held` at what the stream holds (a
 * later start lowers it further as readers drain).
 */
import { NetrxError } from '../../runtime/index.js';
import { STREAM_FULL_SUBJECTS, streamMessageLimit } from './stream-budget.js';
import {
  floorStreamName,
  floorStreamSubjects,
  lossStreamName,
  lossStreamSubjects,
  sessionSubjects,
  streamName,
} from './subjects.js';

/** How long the loss stream keeps a report, and the floor stream a floor: 7 days. */
const LOSS_MAX_AGE_NS = 7 * 24 * 3600 * 1_000_000_000;

/** Loss reports kept per publisher run: enough for a reader away for minutes (reports are paced). */
export const LOSS_REPORTS_PER_RUN = 1024;

/**
 * The largest event message a stream takes: a publisher's batch (at most
 * 64 KiB, `maxBatchBytes`) plus room for its subject and headers.
 */
export const STREAM_MAX_MESSAGE_BYTES = 65_536 + 1024;

/** The stream's duplicate window unless a session asks for another. */
export const DEFAULT_DUPLICATE_WINDOW_MS = 120_000;

/** The stream settings netrx manages, in JetStream's own names and units (nanoseconds). */
export interface ManagedStreamConfig {
  readonly subjects: readonly string[];
  readonly retention: 'workqueue' | 'limits' | 'interest';
  readonly storage: 'file' | 'memory';
  readonly discard: 'new' | 'old';
  readonly max_msgs: number;
  readonly max_msgs_per_subject: number;
  readonly discard_new_per_subject: boolean;
  readonly max_bytes: number;
  readonly max_msg_size: number;
  readonly max_age: number;
  readonly duplicate_window: number;
  readonly num_replicas: number;
}

export type ManagedSetting = keyof ManagedStreamConfig;

/** What a stream holds now: the floor of its limits (see `held`). */
export interface StreamUsage {
  readonly messages: number;
  readonly bytes: number;
  /** The most messages any one subject holds (asked only when a per-subject limit would fall). */
  readonly largestSubject?: number;
}

/** One setting an existing stream had otherwise. */
export interface StreamChange {
  readonly stream: string;
  readonly setting: ManagedSetting;
  readonly have: string;
  readonly want: string;
  /**
   * `updated` to `want`; `held` at `to` (above `want`: the stream holds
   * that much now); `kept` as it is (JetStream cannot change it).
   */
  readonly outcome: 'updated' | 'held' | 'kept';
  /** What the stream has after this call. */
  readonly to: string;
}

/** The settings of a capture session's limits (CaptureStreamLimits in nats.ts, resolved). */
export interface ResolvedStreamLimits {
  readonly maxMsgsPerSubject: number;
  readonly duplicateWindowMs: number;
  readonly replicas: number;
  /**
   * The publisher asked for this budget (a byte budget or a message limit
   * given): an existing stream's budget is brought to it. Otherwise it is
   * the default, for a stream this call creates (verify16c V3 residue).
   */
  readonly budgetGiven: boolean;
}

/** A stream's budget when its publisher gives none: the default session's (16 × 64 KiB). */
export const DEFAULT_STREAM_BYTES = 1024 * 1024;

/** The settings a publisher's budget sets (see `ResolvedStreamLimits.budgetGiven`). */
export const BUDGET_SETTINGS = ['max_msgs', 'max_msgs_per_subject'] as const;

/** The event stream of `session`: work queue, `discard: new`, the per-subject budget (R1). */
export function wantedEventStream(
  session: string,
  limits: ResolvedStreamLimits,
): ManagedStreamConfig {
  return {
    subjects: [sessionSubjects(session)],
    retention: 'workqueue',
    storage: 'file',
    discard: 'new',
    // Per host and provider (R1): an unread host is refused alone, not the session.
    max_msgs_per_subject: limits.maxMsgsPerSubject,
    discard_new_per_subject: true,
    max_msgs: limits.maxMsgsPerSubject * STREAM_FULL_SUBJECTS,
    // No byte limit (see CaptureStreamLimits): the publishers' batch cut bounds the bytes.
    // A backstop of maxMsgs × (max_msg_size + 512) was tried: 2.9.10 reserves it
    // against the store and refused the interop suite's streams (10047).
    max_bytes: -1,
    max_msg_size: STREAM_MAX_MESSAGE_BYTES,
    max_age: 0,
    duplicate_window: limits.duplicateWindowMs * 1_000_000,
    num_replicas: limits.replicas,
  };
}

/**
 * The loss stream of `session`: never full for a new report (old ones give
 * way, discard old), and a reader needs only the newest of a run (the counts
 * are cumulative).
 */
export function wantedLossStream(
  session: string,
  limits: ResolvedStreamLimits,
): ManagedStreamConfig {
  return {
    subjects: [lossStreamSubjects(session)],
    retention: 'limits',
    storage: 'file',
    discard: 'old',
    max_msgs_per_subject: LOSS_REPORTS_PER_RUN,
    discard_new_per_subject: false,
    max_msgs: 1_000_000,
    max_bytes: 256 * 1024 * 1024,
    max_msg_size: -1,
    max_age: LOSS_MAX_AGE_NS,
    duplicate_window: limits.duplicateWindowMs * 1_000_000,
    num_replicas: limits.replicas,
  };
}

/**
 * The floor stream of `session` (review16e L3): each host's newest loss
 * floor and no other, `max_msgs_per_subject: 1` with discard old, so a
 * lossy host's thousands of floors take one message, and a quiet host's
 * only floor is never evicted by another host's (no stream-wide limit but
 * the hosts: one message each). No rollup headers: a stream that allows
 * them can be wiped by one `Nats-Rollup: all` (review16e-floor-retention).
 * Kept as long as the reports it floors.
 */
export function wantedFloorStream(
  session: string,
  limits: ResolvedStreamLimits,
): ManagedStreamConfig {
  return {
    subjects: [floorStreamSubjects(session)],
    retention: 'limits',
    storage: 'file',
    discard: 'old',
    max_msgs_per_subject: 1,
    discard_new_per_subject: false,
    max_msgs: -1,
    max_bytes: -1,
    max_msg_size: -1,
    max_age: LOSS_MAX_AGE_NS,
    duplicate_window: limits.duplicateWindowMs * 1_000_000,
    num_replicas: limits.replicas,
  };
}

/** Checks and resolves a session's stream limits (defaults as CaptureStreamLimits documents). */
export function resolveStreamLimits(limits: {
  readonly maxBytes?: number;
  readonly maxMsgs?: number;
  readonly batchBytes?: number;
  readonly defaultBudget?: boolean;
  readonly duplicateWindowMs?: number;
  readonly replicas?: number;
}): ResolvedStreamLimits {
  const replicas = limits.replicas ?? 1;
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 5) {
    throw new RangeError(`replicas must be an integer from 1 to 5: got ${replicas}`);
  }
  const maxMsgsPerSubject =
    limits.maxMsgs ??
    streamMessageLimit(limits.maxBytes ?? DEFAULT_STREAM_BYTES, limits.batchBytes);
  if (!Number.isSafeInteger(maxMsgsPerSubject) || maxMsgsPerSubject < 1) {
    throw new RangeError(`maxMsgs must be a positive integer: got ${maxMsgsPerSubject}`);
  }
  const duplicateWindowMs = limits.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS;
  if (!Number.isSafeInteger(duplicateWindowMs) || duplicateWindowMs < 1000) {
    throw new RangeError(
      `duplicateWindowMs must be an integer of at least 1000: got ${duplicateWindowMs}`,
    );
  }
  const budgetGiven =
    (limits.maxBytes !== undefined || limits.maxMsgs !== undefined) &&
    limits.defaultBudget !== true;
  return { maxMsgsPerSubject, duplicateWindowMs, replicas, budgetGiven };
}

/** Limits whose lowering removes stored messages, and the usage that is their floor. */
const FLOORED: readonly {
  readonly setting: 'max_msgs' | 'max_msgs_per_subject' | 'max_bytes';
  readonly usage: (usage: StreamUsage) => number | undefined;
}[] = [
  { setting: 'max_msgs', usage: (u) => u.messages },
  { setting: 'max_msgs_per_subject', usage: (u) => u.largestSubject },
  { setting: 'max_bytes', usage: (u) => u.bytes },
];

/** Whether lowering `setting` from `have` to `want` could remove messages (-1: no limit). */
export function lowers(have: number, want: number): boolean {
  return want !== -1 && (have === -1 || have <= 0 || want < have);
}

export interface StreamPlan {
  /** The config to update the stream with, or undefined when it already is as wanted. */
  readonly update: ManagedStreamConfig | undefined;
  readonly changes: readonly StreamChange[];
}

/**
 * Compares an existing stream with the wanted one. Throws
 * ERR_NATS_STREAM_UNCHANGEABLE when its retention differs (see the file
 * comment). `usage.largestSubject` must be given when
 * `needsSubjectCounts(existing, wanted)`. With `keepBudget` (the
 * publisher gave no budget) the existing stream's BUDGET_SETTINGS stay as
 * they are, except one it has none of (-1), which takes the wanted one.
 */
export function planStreamUpdate(
  stream: string,
  existing: ManagedStreamConfig,
  wantedAsked: ManagedStreamConfig,
  usage: StreamUsage,
  options: { readonly keepBudget?: boolean } = {},
): StreamPlan {
  const wanted = options.keepBudget === true ? keptBudget(existing, wantedAsked) : wantedAsked;
  if (existing.retention !== wanted.retention) {
    throw new NetrxError(
      'ERR_NATS_STREAM_UNCHANGEABLE',
      `stream ${stream}: retention is ${existing.retention}, netrx needs ${wanted.retention}, ` +
        `and JetStream cannot change a stream's retention: delete the stream ` +
        `(nats stream rm ${stream}) so that netrx creates it again`,
    );
  }
  const changes: StreamChange[] = [];
  const next: Record<string, unknown> = { ...wanted };
  const note = (setting: ManagedSetting, outcome: StreamChange['outcome'], to: unknown) =>
    changes.push({
      stream,
      setting,
      have: show(existing[setting]),
      want: show(wanted[setting]),
      outcome,
      to: show(to),
    });
  if (existing.storage !== wanted.storage) {
    // Durability only: kept, and told (JetStream refuses the change).
    next['storage'] = existing.storage;
    note('storage', 'kept', existing.storage);
  }
  const floored = new Set<string>();
  if (existing.num_replicas > wanted.num_replicas) {
    // Never lowered (verify16c V3): a publisher started with the default (1) would
    // otherwise take an operator's three replicas away. Raising is applied.
    next['num_replicas'] = existing.num_replicas;
    floored.add('num_replicas');
    note('num_replicas', 'kept', existing.num_replicas);
  }
  for (const { setting, usage: floorOf } of FLOORED) {
    const have = existing[setting];
    const want = wanted[setting];
    if (have === want || !lowers(have, want)) continue;
    const floor = floorOf(usage);
    if (floor === undefined) throw new TypeError(`planStreamUpdate: usage of ${setting} needed`);
    if (floor > want) {
      // Lowering it to `want` would remove unread messages now: as low as it can go.
      const to = have === -1 || have <= 0 ? floor : Math.min(have, floor);
      next[setting] = to;
      floored.add(setting);
      note(setting, 'held', to);
    }
  }
  for (const setting of Object.keys(wanted) as ManagedSetting[]) {
    if (setting === 'storage' || floored.has(setting)) continue;
    if (!same(existing[setting], wanted[setting])) note(setting, 'updated', wanted[setting]);
  }
  const config = next as unknown as ManagedStreamConfig;
  const differs = (Object.keys(wanted) as ManagedSetting[]).some(
    (setting) => !same(existing[setting], config[setting]),
  );
  return { update: differs ? config : undefined, changes };
}

/** `wanted` with the existing stream's budget where it has one (a default-flag publisher). */
function keptBudget(
  existing: ManagedStreamConfig,
  wanted: ManagedStreamConfig,
): ManagedStreamConfig {
  const kept: Record<string, unknown> = { ...wanted };
  for (const setting of BUDGET_SETTINGS) {
    if (existing[setting] > 0) kept[setting] = existing[setting];
  }
  return kept as unknown as ManagedStreamConfig;
}

/** Whether planning needs the largest subject's count (the per-subject limit would fall). */
export function needsSubjectCounts(
  existing: ManagedStreamConfig,
  wanted: ManagedStreamConfig,
): boolean {
  const have = existing.max_msgs_per_subject;
  const want = wanted.max_msgs_per_subject;
  return have !== want && lowers(have, want);
}

/** The JetStream administration a plan needs: the real manager (nats.ts) or the fake's. */
export interface StreamAdmin {
  /** The stream's managed settings and usage, or undefined when there is none. */
  info(
    stream: string,
    withSubjectCounts: boolean,
  ): Promise<{ config: ManagedStreamConfig; usage: StreamUsage } | undefined>;
  add(stream: string, config: ManagedStreamConfig): Promise<void>;
  update(stream: string, config: ManagedStreamConfig): Promise<void>;
}

/** What `ensureStream` did to one stream. */
export interface StreamReconciliation {
  readonly stream: string;
  readonly created: boolean;
  readonly changes: readonly StreamChange[];
}

/** Creates `stream` as wanted, or brings the existing one as close to it as JetStream allows. */
export async function reconcileStream(
  admin: StreamAdmin,
  stream: string,
  asked: ManagedStreamConfig,
  options: { readonly createOnly?: boolean; readonly keepBudget?: boolean } = {},
): Promise<StreamReconciliation> {
  let found = await admin.info(stream, false);
  if (found === undefined) {
    await admin.add(stream, asked);
    return { stream, created: true, changes: [] };
  }
  if (options.createOnly === true) {
    // A reader's guess at the limits must not override the publishers': retention only.
    planStreamUpdate(
      stream,
      found.config,
      { ...found.config, retention: asked.retention },
      found.usage,
    );
    return { stream, created: false, changes: [] };
  }
  const wanted = options.keepBudget === true ? keptBudget(found.config, asked) : asked;
  if (needsSubjectCounts(found.config, wanted)) found = (await admin.info(stream, true)) ?? found;
  const plan = planStreamUpdate(stream, found.config, wanted, found.usage);
  if (plan.update !== undefined) await admin.update(stream, plan.update);
  return { stream, created: false, changes: plan.changes };
}

/**
 * The streams of a capture session: events, then loss, then with
 * `floorStream` (a reader: only readers use it) the floor stream. The floor
 * stream is always brought to netrx's settings, `createOnly` or not: its
 * settings are no publisher's to choose, and the readers that share it
 * want the same (replicas only raised, as for any stream).
 */
export async function reconcileCaptureStreams(
  admin: StreamAdmin,
  session: string,
  limits: ResolvedStreamLimits,
  options: { readonly createOnly?: boolean; readonly floorStream?: boolean } = {},
): Promise<readonly StreamReconciliation[]> {
  const { createOnly } = options;
  const byPublishers = createOnly === undefined ? {} : { createOnly };
  const done = [
    await reconcileStream(admin, streamName(session), wantedEventStream(session, limits), {
      ...byPublishers,
      keepBudget: !limits.budgetGiven,
    }),
    await reconcileStream(
      admin,
      lossStreamName(session),
      wantedLossStream(session, limits),
      byPublishers,
    ),
  ];
  if (options.floorStream === true) {
    const floors = wantedFloorStream(session, limits);
    done.push(await reconcileStream(admin, floorStreamName(session), floors));
  }
  return done;
}

/** One line for a person: `stream netrx-lab: max_msgs_per_subject 1024 → 128 (updated)`. */
export function describeStreamChange(change: StreamChange): string {
  const why =
    change.outcome === 'held'
      ? `held at ${change.to}: the stream holds that much now, lower would remove unread messages`
      : change.outcome === 'kept'
        ? `kept: JetStream cannot change it (delete the stream to take ${change.want})`
        : 'updated';
  return `stream ${change.stream}: ${change.setting} ${change.have} → ${change.want} (${why})`;
}

function same(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    const sorted = (list: readonly unknown[]) => list.map(String).sort().join('\n');
    return a.length === b.length && sorted(a) === sorted(b);
  }
  return a === b;
}

function show(value: unknown): string {
  return Array.isArray(value) ? value.join(',') : String(value);
}
