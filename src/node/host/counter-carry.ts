/**
 * The host, not each service instance, owns the totals (review H1). A
 * service keeps its counters in the instance, so a reload that restarts it
 * (or a refused reload that brings the old configuration back on a fresh
 * instance) would start them again from 0, and Prometheus would read a
 * counter reset (`resets()`, `increase()`) for a non-event.
 *
 * So when an instance stops, the host records its counter samples (family
 * name and labels → value) under the service's name, and adds them to what
 * the next instance of that name reports. A series the carried instances
 * counted and the running one has not produced yet is still reported, with
 * the carried value, so it neither vanishes nor goes stale. Gauges (open
 * connections, queue depths) describe the present: they are never carried.
 * The same holds for the dashboard snapshot's totals (dashboard-snapshot.ts).
 */
import {
  NO_COUNTS,
  addSnapshotCounts,
  snapshotCounts,
  withoutKept,
  type SnapshotCounts,
} from './dashboard-snapshot.js';
import type { HostService } from './host.js';
import type { MetricFamily, MetricSample } from './metrics.js';

interface CarriedSeries {
  readonly labels: Readonly<Record<string, string>>;
  value: number;
}

interface CarriedFamily {
  readonly help: string;
  /** By `seriesKey(labels)`, in the order first seen. */
  readonly series: Map<string, CarriedSeries>;
}

/** One key per label set, whatever order the labels were written in. */
function seriesKey(labels: Readonly<Record<string, string>> | undefined): string {
  return JSON.stringify(Object.entries(labels ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)));
}

export class CounterCarry {
  /** Service name → family name → carried series. */
  readonly #carried = new Map<string, Map<string, CarriedFamily>>();

  /**
   * Adds the counters of an instance of `service` that is about to stop
   * (call it before `stop()`: a stopped instance may report nothing).
   */
  record(service: string, families: readonly MetricFamily[]): void {
    let byFamily = this.#carried.get(service);
    for (const family of families) {
      if (family.type !== 'counter') continue;
      if (byFamily === undefined)
        this.#carried.set(service, (byFamily = new Map<string, CarriedFamily>()));
      let carried = byFamily.get(family.name);
      if (carried === undefined)
        byFamily.set(family.name, (carried = { help: family.help, series: new Map() }));
      for (const sample of family.samples) {
        const key = seriesKey(sample.labels);
        const series = carried.series.get(key);
        if (series === undefined)
          carried.series.set(key, { labels: { ...sample.labels }, value: sample.value });
        else series.value += sample.value;
      }
    }
  }

  /**
   * An instance stopped earlier started again (a rollback) and still holds
   * `families` itself: take them out of the carry, or they would count twice.
   */
  restored(service: string, families: readonly MetricFamily[]): void {
    const byFamily = this.#carried.get(service);
    if (byFamily === undefined) return;
    for (const family of families) {
      const carried = family.type === 'counter' ? byFamily.get(family.name) : undefined;
      if (carried === undefined) continue;
      for (const sample of family.samples) {
        const series = carried.series.get(seriesKey(sample.labels));
        if (series !== undefined) series.value = Math.max(0, series.value - sample.value);
      }
    }
  }

  /**
   * `families` as the running instance of `service` reports them, with what
   * its stopped predecessors counted added to each counter series, and the
   * carried series it has not produced yet appended.
   */
  apply(service: string, families: readonly MetricFamily[]): MetricFamily[] {
    const byFamily = this.#carried.get(service);
    if (byFamily === undefined) return [...families];
    const out: MetricFamily[] = [];
    const reported = new Set<string>();
    for (const family of families) {
      const carried = family.type === 'counter' ? byFamily.get(family.name) : undefined;
      if (carried === undefined) {
        out.push(family);
        continue;
      }
      reported.add(family.name);
      const seen = new Set<string>();
      const samples: MetricSample[] = family.samples.map((sample) => {
        const key = seriesKey(sample.labels);
        seen.add(key);
        const before = carried.series.get(key)?.value ?? 0;
        return { ...sample, value: sample.value + before };
      });
      for (const [key, series] of carried.series)
        if (!seen.has(key)) samples.push({ labels: series.labels, value: series.value });
      out.push({ ...family, samples });
    }
    // Families the running instance does not report at all (yet): the carried values alone.
    for (const [name, carried] of byFamily) {
      if (reported.has(name)) continue;
      out.push({
        name,
        help: carried.help,
        type: 'counter',
        samples: [...carried.series.values()].map((s) => ({ labels: s.labels, value: s.value })),
      });
    }
    return out;
  }
}

/**
 * What the host's services counted, kept across their restarts: the
 * `/metrics` counters (CounterCarry) and the dashboard snapshot's totals.
 */
export class ServiceTotals {
  readonly #counters = new CounterCarry();
  readonly #snapshots = new Map<string, SnapshotCounts>();

  /** Call before `service` stops: what it counted is kept for the next instance of its name. */
  stopping(service: HostService): void {
    this.#counters.record(service.name, service.metrics?.() ?? []);
    const carried = this.#snapshots.get(service.name) ?? NO_COUNTS;
    this.#snapshots.set(service.name, addSnapshotCounts(carried, snapshotCounts(service)));
  }

  /** Call once a stopped instance has started again (a rollback): it may have kept its counts. */
  restored(service: HostService): void {
    this.#counters.restored(service.name, service.metrics?.() ?? []);
    const carried = this.#snapshots.get(service.name);
    if (carried !== undefined)
      this.#snapshots.set(service.name, withoutKept(carried, snapshotCounts(service)));
  }

  /** The running `service`'s metrics, carried counters added. */
  metrics(service: HostService): MetricFamily[] {
    return this.#counters.apply(service.name, service.metrics?.() ?? []);
  }

  /** The running `service`'s snapshot totals, carried ones added. */
  snapshotCounts(service: HostService): SnapshotCounts {
    const own = snapshotCounts(service);
    const carried = this.#snapshots.get(service.name);
    return carried === undefined ? own : addSnapshotCounts(carried, own);
  }
}
