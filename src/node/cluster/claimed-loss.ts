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
 */
/** One host's kept reports, per publisher run. */
interface HostPending {
  readonly runs: Map<string, { readonly first: Uint8Array; latest: Uint8Array | undefined }>;
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

  /** Keeps a report of a host not held; false if `maxRuns` runs are already kept. */
  keep(host: string, instance: string, data: Uint8Array): boolean {
    let entry = this.pending.get(host);
    const run = entry?.runs.get(instance);
    if (run !== undefined) {
      run.latest = data.slice();
      return true;
    }
    if (this.runs >= this.maxRuns) return false;
    if (entry === undefined) this.pending.set(host, (entry = { runs: new Map() }));
    entry.runs.set(instance, { first: data.slice(), latest: undefined });
    this.runs++;
    return true;
  }

  /** Hosts with kept reports. */
  hosts(): readonly string[] {
    return [...this.pending.keys()];
  }

  /** The claim on `host` is ours: its kept reports in order (first, then the newest of each run). */
  take(host: string): readonly HeldReport[] {
    const entry = this.pending.get(host);
    if (entry === undefined) return [];
    this.pending.delete(host);
    const reports: HeldReport[] = [];
    for (const [instance, run] of entry.runs) {
      reports.push({ instance, data: run.first });
      if (run.latest !== undefined) reports.push({ instance, data: run.latest });
      this.runs--;
    }
    return reports;
  }
}
