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

/** Per `host/instance`: the cumulative loss already added, for at most `maxRuns` runs. */
export class LossLedger {
  private readonly seen = new Map<string, number>();
  private readonly maxRuns: number;

  constructor(maxRuns: number) {
    this.maxRuns = maxRuns;
  }

  /** What one report of `host`'s run `instance` adds. */
  add(host: string, instance: string, data: Uint8Array): LossReportOutcome {
    const report = parseLossReport(data);
    // Not a count we can add: the only safe thing is to say so (counted malformed).
    if (report === undefined || report.instance !== instance) return { kind: 'malformed' };
    const key = `${host}/${report.instance}`;
    const seen = this.seen.get(key);
    if (seen === undefined && this.seen.size >= this.maxRuns) return { kind: 'untracked' };
    const before = seen ?? report.prev;
    if (report.lost <= before) {
      // A run's first report that adds nothing (its announcement, lost 0) still tells its
      // count: recorded, or the next one read (a kept newest, claimed-loss.ts) would count
      // only from its own `prev` and miss the growth of the reports between (review16c N10).
      if (seen === undefined) this.seen.set(key, report.lost);
      return { kind: 'unchanged' };
    }
    this.seen.set(key, report.lost);
    return { kind: 'grew', by: report.lost - before };
  }

  /**
   * Counts `host`'s run `instance` from at least `lost` (a loss floor,
   * loss-floors.ts): growth below it was counted by another holder.
   */
  raise(host: string, instance: string, lost: number): void {
    const key = `${host}/${instance}`;
    const seen = this.seen.get(key);
    if (seen === undefined && this.seen.size >= this.maxRuns) return;
    if (seen === undefined || seen < lost) this.seen.set(key, lost);
  }

  /** The counts of `host`'s runs (what its loss floor says). */
  runsOf(host: string): Map<string, number> {
    const runs = new Map<string, number>();
    const prefix = `${host}/`;
    for (const [key, lost] of this.seen) {
      if (key.startsWith(prefix)) runs.set(key.slice(prefix.length), lost);
    }
    return runs;
  }
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
