/**
 * A count per host of origin, bounded: the reader's per-host figures for
 * /metrics and /health (issue 16: which host's events may repeat, whose
 * claim was reset). A session's host set comes from the stream (any
 * publisher names itself), so the map keeps at most `maxHosts` names; the
 * counts of hosts past that go to OTHER_HOSTS, never dropped, so the sum
 * over the hosts is always the session's figure.
 */

/** Where the counts of hosts past the bound go: not a host token (`A-Z a-z 0-9 _ -`), so it names none. */
export const OTHER_HOSTS = '(other)';

export class HostCounts {
  private readonly counts = new Map<string, number>();
  private sum = 0;

  constructor(private readonly maxHosts: number) {}

  add(host: string, by = 1): void {
    const key = this.counts.has(host) || this.counts.size < this.maxHosts ? host : OTHER_HOSTS;
    this.counts.set(key, (this.counts.get(key) ?? 0) + by);
    this.sum += by;
  }

  /** The count over every host. */
  get total(): number {
    return this.sum;
  }

  /** Per host, with `zeroFor` hosts at 0 where they have no count (hosts a reader holds). */
  byHost(zeroFor: Iterable<string> = []): Readonly<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const host of zeroFor) out[host] = 0;
    for (const [host, count] of this.counts) out[host] = count;
    return out;
  }
}
