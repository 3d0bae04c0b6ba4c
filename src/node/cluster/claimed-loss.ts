/**
 * Which loss reports a reader counts (review16 R5): only those of hosts it
 * holds the claim for. Two servers of one serve entry both read every loss
 * report (each has its own loss durable), but only the holder of a host's
 * claim delivered that host's events, so only it may say what was lost.
 *
 * A report of a host not held (yet) is kept, the first and the newest per
 * publisher run (the counts are cumulative: those two carry all the growth
 * the ledger needs, see loss-reports.ts). When the claim becomes ours they
 * are counted, unless the claim was refused (10100) meanwhile: then another
 * reader held the host while they were written and has counted them, so
 * they only set where this reader's counting starts.
 */

/** One host's kept reports, per publisher run. */
interface HostPending {
  readonly runs: Map<string, { readonly first: Uint8Array; latest: Uint8Array | undefined }>;
  /** Another reader held the claim while these were kept (they are its loss). */
  othersLoss: boolean;
}

export interface HeldReport {
  readonly instance: string;
  readonly data: Uint8Array;
}

export class ClaimedLoss {
  private readonly pending = new Map<string, HostPending>();
  private readonly maxRuns: number;
  private runs = 0;

  constructor(maxRuns: number) {
    this.maxRuns = maxRuns;
  }

  /**
   * Keeps a report of a host not held (`othersLoss`: its claim is refused
   * now); false if `maxRuns` runs are already kept.
   */
  keep(host: string, instance: string, data: Uint8Array, othersLoss: boolean): boolean {
    let entry = this.pending.get(host);
    if (entry !== undefined && othersLoss) entry.othersLoss = true;
    const run = entry?.runs.get(instance);
    if (run !== undefined) {
      run.latest = data.slice();
      return true;
    }
    if (this.runs >= this.maxRuns) return false;
    if (entry === undefined) this.pending.set(host, (entry = { runs: new Map(), othersLoss }));
    entry.runs.set(instance, { first: data.slice(), latest: undefined });
    this.runs++;
    return true;
  }

  /** Another reader holds `host`'s claim: what is kept for it is that reader's loss. */
  refused(host: string): void {
    const entry = this.pending.get(host);
    if (entry !== undefined) entry.othersLoss = true;
  }

  /**
   * The claim on `host` is ours: its kept reports in order (first, then the
   * newest of each run), and whether they are another reader's loss.
   */
  take(host: string): { readonly reports: readonly HeldReport[]; readonly othersLoss: boolean } {
    const entry = this.pending.get(host);
    if (entry === undefined) return { reports: [], othersLoss: false };
    this.pending.delete(host);
    const reports: HeldReport[] = [];
    for (const [instance, run] of entry.runs) {
      reports.push({ instance, data: run.first });
      if (run.latest !== undefined) reports.push({ instance, data: run.latest });
      this.runs--;
    }
    return { reports, othersLoss: entry.othersLoss };
  }

  clear(): void {
    this.pending.clear();
    this.runs = 0;
  }
}
