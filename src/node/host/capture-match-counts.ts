/**
 * What each configured capture session's filter matched since the host
 * started (or since its entry last changed), whether or not a client had
 * it open. A session counts `matched` only while open (MS-LREC queues
 * nothing before that), but a dashboard page weighing a gap needs the
 * count over the gap, when its copy of the session was closed (review M3,
 * ui/src/gap-loss.ts). So the host keeps a counting listener per entry, on
 * the same providers at the same level as the session itself: the count is
 * what the session would have matched. It costs the encoding of those
 * providers' events while nobody else listens (the packet-capture
 * provider's already are: the dashboard's pcapng history listens).
 */
import type { TraceRegistry, TraceSubscription } from '../../trace/index.js';
import type { SessionEntry } from './capture-sessions.js';

interface Counting {
  /** The entry it was built from, as JSON: a changed entry counts again from zero. */
  readonly entry: string;
  matched: number;
  readonly subscriptions: readonly TraceSubscription[];
}

export class SessionMatchCounts {
  private readonly counting = new Map<string, Counting>();

  constructor(private readonly trace: TraceRegistry) {}

  /** Counts for exactly `entries` from now on: unchanged ones keep their count. */
  sync(entries: readonly SessionEntry[]): void {
    const wanted = new Map(entries.map((entry) => [entry.name, entry]));
    for (const [name, counting] of this.counting) {
      const entry = wanted.get(name);
      if (entry !== undefined && JSON.stringify(entry) === counting.entry) continue;
      for (const subscription of counting.subscriptions) subscription.disable();
      this.counting.delete(name);
    }
    for (const entry of entries) if (!this.counting.has(entry.name)) this.count(entry);
  }

  /** Events `name`'s filter matched, or undefined for a name not configured. */
  matched(name: string): number | undefined {
    return this.counting.get(name)?.matched;
  }

  close(): void {
    this.sync([]);
  }

  private count(entry: SessionEntry): void {
    const subscriptions: TraceSubscription[] = [];
    const counting: Counting = { entry: JSON.stringify(entry), matched: 0, subscriptions };
    const listener = () => {
      counting.matched++;
    };
    for (const provider of entry.providers)
      subscriptions.push(this.trace.enable(provider, listener, { level: entry.level }));
    this.counting.set(entry.name, counting);
  }
}
