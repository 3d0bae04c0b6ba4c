/**
 * A stream reader's lag, as the server sees it (issue #16 section 3): per
 * host consumer, the messages it has yet to deliver (`num_pending`),
 * delivered and not acked (`num_ack_pending`: events waiting in the
 * session's queue, or a client that stopped receiving) and, of those,
 * delivered more than once (`num_redelivered`). Asked with one consumer
 * info request per consumer per interval (default 5 s), never per scrape,
 * so `/metrics` and `/health` read the last sample and its age: a sample
 * that stops coming back (NATS away) shows as an age that grows, not as a
 * lag of zero. A host whose lag (pending + ack pending) reaches the
 * threshold is told once (`onThreshold`) until it falls below again.
 */
import type { Clock, Timer } from '../../runtime/index.js';
import type { ConsumePort, ConsumerLag, ConsumerLagPort } from './ports.js';

/** One consumer to sample. */
export interface LagTarget {
  readonly host: string;
  readonly stream: string;
  readonly durable: string;
}

export interface HostLag extends ConsumerLag {
  readonly host: string;
  readonly durable: string;
  /** How old this sample is, in milliseconds. */
  readonly ageMs: number;
}

/** A session's lag: its host consumers' last samples and their sums. */
export interface SessionLag {
  readonly pending: number;
  readonly ackPending: number;
  readonly redelivered: number;
  /** The age of the oldest host sample (undefined before the first). */
  readonly oldestSampleAgeMs: number | undefined;
  readonly hosts: readonly HostLag[];
  /** Info requests answered and failed since the sampler was made. */
  readonly samples: number;
  readonly failures: number;
}

export interface LagCrossing {
  readonly host: string;
  readonly durable: string;
  /** pending + ack pending when it reached the threshold. */
  readonly lag: number;
  readonly threshold: number;
}

/** How a reader samples (`StreamSessionSourceOptions.lag`). */
export interface LagSettings {
  /** Default LAG_SAMPLE_EVERY_MS. */
  readonly everyMs?: number;
  /** Messages (pending + ack pending) at which `onThreshold` is told. Default LAG_THRESHOLD. */
  readonly threshold?: number;
  readonly onThreshold?: (crossing: LagCrossing) => void;
}

export interface LagSamplerOptions extends LagSettings {
  readonly port: ConsumerLagPort;
  readonly clock: Clock;
  /** The consumers to sample now (asked at every interval: hosts come and go). */
  readonly targets: () => readonly LagTarget[];
}

export const LAG_SAMPLE_EVERY_MS = 5000;
/** A quarter of a consumer's max_ack_pending (4096) behind: a client that stopped receiving. */
export const LAG_THRESHOLD = 1024;

interface Sample extends ConsumerLag {
  readonly durable: string;
  readonly at: number;
}

export class LagSampler {
  private readonly port: ConsumerLagPort;
  private readonly clock: Clock;
  private readonly targets: () => readonly LagTarget[];
  private readonly everyMs: number;
  private readonly threshold: number;
  private readonly onThreshold: ((crossing: LagCrossing) => void) | undefined;
  private readonly samples = new Map<string, Sample>();
  /** Hosts at or above the threshold (told once until they fall below). */
  private readonly above = new Set<string>();
  private timer: Timer | undefined;
  private inFlight = false;
  private running = false;
  private answered = 0;
  private failed = 0;

  constructor(options: LagSamplerOptions) {
    this.port = options.port;
    this.clock = options.clock;
    this.targets = options.targets;
    this.everyMs = options.everyMs ?? LAG_SAMPLE_EVERY_MS;
    this.threshold = options.threshold ?? LAG_THRESHOLD;
    this.onThreshold = options.onThreshold;
    if (!(this.everyMs > 0))
      throw new RangeError(`lag everyMs must be positive: got ${this.everyMs}`);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule();
  }

  /** Stops sampling and forgets the samples (the consumers are gone with the session). */
  stop(): void {
    this.running = false;
    this.timer?.cancel();
    this.timer = undefined;
    this.samples.clear();
    this.above.clear();
  }

  private schedule(): void {
    this.timer = this.clock.setTimer(this.everyMs, () => {
      this.timer = undefined;
      void this.sample().then(() => {
        if (this.running && this.timer === undefined) this.schedule();
      });
    });
  }

  /** One round: one info request per target (skipped while the last round is still out). */
  async sample(): Promise<void> {
    if (this.inFlight) return;
    this.inFlight = true;
    try {
      const targets = this.targets();
      const wanted = new Set(targets.map((t) => t.host));
      for (const host of this.samples.keys()) if (!wanted.has(host)) this.forget(host);
      await Promise.all(targets.map((target) => this.sampleOne(target)));
    } finally {
      this.inFlight = false;
    }
  }

  private async sampleOne(target: LagTarget): Promise<void> {
    let lag: ConsumerLag;
    try {
      lag = await this.port.consumerLag(target.stream, target.durable);
    } catch {
      // The last sample stays, growing older: its age says the lag is unknown now.
      this.failed++;
      return;
    }
    this.answered++;
    if (!this.running) return;
    this.samples.set(target.host, { ...lag, durable: target.durable, at: this.clock.now() });
    const behind = lag.pending + lag.ackPending;
    if (behind < this.threshold) {
      this.above.delete(target.host);
    } else if (!this.above.has(target.host)) {
      this.above.add(target.host);
      this.onThreshold?.({
        host: target.host,
        durable: target.durable,
        lag: behind,
        threshold: this.threshold,
      });
    }
  }

  private forget(host: string): void {
    this.samples.delete(host);
    this.above.delete(host);
  }

  lag(): SessionLag {
    const now = this.clock.now();
    const hosts: HostLag[] = [...this.samples].map(([host, s]) => ({
      host,
      durable: s.durable,
      pending: s.pending,
      ackPending: s.ackPending,
      redelivered: s.redelivered,
      ageMs: now - s.at,
    }));
    const sum = (pick: (h: HostLag) => number) => hosts.reduce((n, h) => n + pick(h), 0);
    return {
      pending: sum((h) => h.pending),
      ackPending: sum((h) => h.ackPending),
      redelivered: sum((h) => h.redelivered),
      oldestSampleAgeMs: hosts.length === 0 ? undefined : Math.max(...hosts.map((h) => h.ageMs)),
      hosts,
      samples: this.answered,
      failures: this.failed,
    };
  }
}

/** A reader's sampler, when its port answers consumer info (a port that cannot has no lag to show). */
export function lagSamplerFor(
  port: ConsumePort,
  clock: Clock,
  settings: LagSettings | undefined,
  targets: () => readonly LagTarget[],
): LagSampler | undefined {
  if (port.consumerLag === undefined) return undefined;
  // Asked through the port each time (a wrapper's link can change under it).
  const ask: ConsumerLagPort = {
    consumerLag: (stream, durable) =>
      port.consumerLag?.(stream, durable) ?? Promise.reject(new Error('no consumer info')),
  };
  return new LagSampler({ ...settings, port: ask, clock, targets });
}
