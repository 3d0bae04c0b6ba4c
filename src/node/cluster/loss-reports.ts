/**
 * The reader's side of the publishers' loss reports (the session's loss
 * stream, `netrxloss.<session>.<host>.<instance>`).
 *
 * Reports are cumulative per publisher run (`instance`), so a report read
 * twice, late or after later ones never miscounts: only growth is added.
 * For a run it has no count of yet, the ledger counts from the report's
 * `prev` (the publisher's previous stored report): either the stream
 * delivers that report first, or the durable consumer acked it before (a
 * reader that restarted), so nothing is counted twice or skipped. The
 * stream keeps the last 1024 reports per run; a reader away while more
 * were written undercounts by the overwritten ones' growth.
 */
import { LOSS_DURABLE_IDLE_MS } from './consumer-config.js';
import { isInstanceName } from './subjects.js';

export interface LossReport {
  readonly instance: string;
  readonly lost: number;
  /** The count of the publisher's previous stored report (0 for its first). */
  readonly prev: number;
}

export type LossReportOutcome =
  | { readonly kind: 'grew'; readonly by: number }
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'malformed' }
  | { readonly kind: 'untracked' };

/**
 * How long the loss stream keeps a report (its `max_age`, stream-config.ts):
 * a run last reported longer ago has no report left that anyone could count
 * again, so the ledger may forget it.
 */
export const LOSS_REPORT_RETENTION_MS = LOSS_DURABLE_IDLE_MS;

/** One run the ledger tracks: its count, and when (the reader's clock) it was last reported. */
export interface TrackedRun {
  readonly lost: number;
  readonly reportedAt: number;
}

/**
 * Per `host/instance`: the cumulative loss already added, for at most
 * `maxRuns` runs (review16d D1). Only a run whose loss grew takes a slot:
 * a report that adds nothing (every run's announcement, lost 0) needs no
 * memory, since the run's next stored report counts from its `prev`, which
 * is that report's count. A slot is freed when its run was last reported
 * `retentionMs` ago: its reports have left the loss stream, so no reader
 * can meet them again, and the run's next report counts from its `prev` as
 * well. What still finds no slot (more lossy runs within one retention
 * than `maxRuns`) is `untracked`: its growth reaches no NET_EVENT_LOST, and
 * the reader counts it (`untrackedReports`).
 */
export class LossLedger {
  private readonly runs = new Map<string, TrackedRun>();
  /** Per host, its tracked runs' names: a floor is built per delivery (verify16d N2), not by a pass over all runs. */
  private readonly hostRuns = new Map<string, Set<string>>();
  /** No run expires before this: a full ledger skips its pass until then. */
  private firstExpiry = Infinity;
  private readonly maxRuns: number;
  private readonly retentionMs: number;

  constructor(maxRuns: number, retentionMs = LOSS_REPORT_RETENTION_MS) {
    this.maxRuns = maxRuns;
    this.retentionMs = retentionMs;
  }

  /** Runs tracked now (at most `maxRuns`). */
  get size(): number {
    return this.runs.size;
  }

  /** What one report of `host`'s run `instance`, read at `now`, adds. */
  add(host: string, instance: string, data: Uint8Array, now: number): LossReportOutcome {
    const report = parseLossReport(data);
    // Not a count we can add: the only safe thing is to say so (counted malformed).
    if (report === undefined || report.instance !== instance) return { kind: 'malformed' };
    const key = runKey(host, report.instance);
    const seen = this.runs.get(key)?.lost;
    const before = seen ?? report.prev;
    if (report.lost <= before) {
      if (seen !== undefined) this.track(host, report.instance, seen, now);
      return { kind: 'unchanged' };
    }
    if (seen === undefined && !this.makeRoom(now)) return { kind: 'untracked' };
    this.track(host, report.instance, report.lost, now);
    return { kind: 'grew', by: report.lost - before };
  }

  /**
   * Counts `host`'s run `instance` from at least `lost` (a loss floor,
   * loss-floors.ts): growth below it was counted by another holder. The
   * run was last reported at `reportedAt` (the floor's time, or `now`).
   * False when there was no room: that run's growth below `lost` may be
   * counted again.
   */
  raise(host: string, instance: string, lost: number, now: number, reportedAt = now): boolean {
    if (lost === 0) return true; // Nothing below it to skip: no slot needed.
    const key = runKey(host, instance);
    const seen = this.runs.get(key);
    if (seen === undefined && !this.makeRoom(now)) return false;
    const at = Math.min(now, Math.max(reportedAt, seen?.reportedAt ?? reportedAt));
    this.track(host, instance, Math.max(lost, seen?.lost ?? 0), at);
    return true;
  }

  /** The count of `host`'s run `instance` (undefined when it has no slot). */
  lostOf(host: string, instance: string): number | undefined {
    return this.runs.get(runKey(host, instance))?.lost;
  }

  /** The runs of `host` (what its loss floor says, with when each was last reported). */
  runsOf(host: string): Map<string, TrackedRun> {
    const runs = new Map<string, TrackedRun>();
    for (const instance of this.hostRuns.get(host) ?? []) {
      const run = this.runs.get(runKey(host, instance));
      if (run !== undefined) runs.set(instance, run);
    }
    return runs;
  }

  private track(host: string, instance: string, lost: number, reportedAt: number): void {
    this.runs.set(runKey(host, instance), { lost, reportedAt });
    let names = this.hostRuns.get(host);
    if (names === undefined) this.hostRuns.set(host, (names = new Set<string>()));
    names.add(instance);
    this.firstExpiry = Math.min(this.firstExpiry, reportedAt + this.retentionMs);
  }

  private forget(key: string): void {
    this.runs.delete(key);
    const [host, instance] = splitRunKey(key);
    const names = this.hostRuns.get(host);
    names?.delete(instance);
    if (names?.size === 0) this.hostRuns.delete(host);
  }

  /**
   * True when a new run fits, after forgetting the runs whose reports have
   * all expired. A whole pass, only when full: floors raise runs with their
   * own dates, so the runs are in no time order. Skipped until the first
   * run expires: a full ledger meets every report of every untracked run
   * (a pass over 4096 runs costs some 40 µs, docs/performance.md).
   */
  private makeRoom(now: number): boolean {
    if (this.runs.size < this.maxRuns) return true;
    if (now < this.firstExpiry) return false;
    this.firstExpiry = Infinity;
    for (const [key, run] of this.runs) {
      const expiry = run.reportedAt + this.retentionMs;
      if (expiry <= now) this.forget(key);
      else this.firstExpiry = Math.min(this.firstExpiry, expiry);
    }
    return this.runs.size < this.maxRuns;
  }
}

/** The host and run of a `runKey`. */
function splitRunKey(key: string): [host: string, instance: string] {
  const space = key.indexOf(' ');
  return [key.slice(0, space), key.slice(space + 1)];
}

/** Host names and run names are subject tokens: a space is in neither. */
function runKey(host: string, instance: string): string {
  return `${host} ${instance}`;
}

export function parseLossReport(data: Uint8Array): LossReport | undefined {
  if (data.length > 1024) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(data));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { instance, lost, prev } = value as { instance?: unknown; lost?: unknown; prev?: unknown };
  if (!isInstanceName(instance) || !isCount(lost)) return undefined;
  const before = prev === undefined ? 0 : prev;
  if (!isCount(before) || before > lost) return undefined;
  return { instance, lost, prev: before };
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
