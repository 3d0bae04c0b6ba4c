/**
 * Which loss reports a reader counts (review16 R5): only those of hosts it
 * holds the claim for. Two servers of one serve entry both read every loss
 * report (each has its own loss durable), but only the holder of a host's
 * claim delivered that host's events, so only it may say what was lost.
 *
 * A report of a host not held (yet) is kept, the first and the newest per
 * publisher run (the counts are cumulative: those two carry all the growth
 * the ledger needs, see loss-reports.ts). When the claim becomes ours they
 * are counted above the host's loss floor (loss-floors.ts): what an earlier
 * holder's client got is not counted again, what it never got is (review16c
 * N2, N5).
 *
 * A run's reports that add nothing before its first growth (its
 * announcement, lost 0) are not kept: the first report kept counts from
 * its own `prev`, which is their count, so they need no slot (review16d
 * D1). A run kept and not reported for the loss stream's retention is
 * forgotten when room is needed: its reports have left the stream, and the
 * host's holder delivered them long ago (a standby takes a dead holder's
 * hosts within a claim's expiry).
 */
import { LOSS_REPORT_RETENTION_MS, parseLossReport } from './loss-reports.js';

/** One run's kept reports: the first that grew and the newest after it. */
interface KeptRun {
  readonly first: Uint8Array;
  latest: Uint8Array | undefined;
  keptAt: number;
}

export interface HeldReport {
  readonly instance: string;
  readonly data: Uint8Array;
}

export class ClaimedLoss {
  /** Per host, per run. */
  private readonly pending = new Map<string, Map<string, KeptRun>>();
  private readonly maxRuns: number;
  private readonly retentionMs: number;
  private runs = 0;
  /** No kept run expires before this: a full keeper skips its pass until then. */
  private firstExpiry = Infinity;

  constructor(maxRuns: number, retentionMs = LOSS_REPORT_RETENTION_MS) {
    this.maxRuns = maxRuns;
    this.retentionMs = retentionMs;
  }

  /** Runs kept now (at most `maxRuns`). */
  get size(): number {
    return this.runs;
  }

  /**
   * Keeps a report of a host not held, read at `now`; false if `maxRuns`
   * runs are already kept (the report is untracked). True for a report
   * that needs no keeping too: the host is named all the same.
   */
  keep(host: string, instance: string, data: Uint8Array, now: number): boolean {
    let runs = this.pending.get(host);
    const run = runs?.get(instance);
    if (run !== undefined) {
      run.latest = data.slice();
      run.keptAt = now;
      this.firstExpiry = Math.min(this.firstExpiry, now + this.retentionMs);
      return true;
    }
    const report = parseLossReport(data);
    // Adds nothing (kept malformed ones are counted so at `take`): the next one counts from it.
    if (report?.instance === instance && report.lost <= report.prev) return true;
    if (!this.makeRoom(now)) return false;
    if (runs === undefined) this.pending.set(host, (runs = new Map<string, KeptRun>()));
    runs.set(instance, { first: data.slice(), latest: undefined, keptAt: now });
    this.runs++;
    this.firstExpiry = Math.min(this.firstExpiry, now + this.retentionMs);
    return true;
  }

  /** Hosts with kept reports. */
  hosts(): readonly string[] {
    return [...this.pending.keys()];
  }

  /** The claim on `host` is ours: its kept reports in order (first, then the newest of each run). */
  take(host: string): readonly HeldReport[] {
    const runs = this.pending.get(host);
    if (runs === undefined) return [];
    this.pending.delete(host);
    const reports: HeldReport[] = [];
    for (const [instance, run] of runs) {
      reports.push({ instance, data: run.first });
      if (run.latest !== undefined) reports.push({ instance, data: run.latest });
      this.runs--;
    }
    return reports;
  }

  /** True when a new run fits, after forgetting runs kept longer than the loss stream keeps them. */
  private makeRoom(now: number): boolean {
    if (this.runs < this.maxRuns) return true;
    if (now < this.firstExpiry) return false;
    this.firstExpiry = Infinity;
    for (const [host, runs] of this.pending) {
      for (const [instance, run] of runs) {
        const expiry = run.keptAt + this.retentionMs;
        if (expiry > now) {
          this.firstExpiry = Math.min(this.firstExpiry, expiry);
          continue;
        }
        runs.delete(instance);
        this.runs--;
      }
      if (runs.size === 0) this.pending.delete(host);
    }
    return this.runs < this.maxRuns;
  }
}
