import { LOSS_DURABLE_IDLE_MS, MAX_ACK_PENDING } from './consumer-config.js';
import { subjectRegex } from './fake-jetstream-subjects.js';
import {
  LossDurableUpgrade,
  UPGRADE_MAX_RUNS,
  type AdoptionCache,
  type LossUpgradePort,
} from './loss-upgrade.js';
import type { ConsumeSpec, ConsumerError, PublishPort, StreamMessage } from './ports.js';

/**
 * The fake JetStream's loss stream (subjects `netrxloss.…`): limits
 * retention, the last `perSubject` messages per subject, never full. Each
 * durable consumer keeps its ack floor across `consume` calls, as a
 * JetStream durable does; durables a netrx before loss floors made
 * (`legacyLossDurable`) are upgraded as nats.ts does (loss-upgrade.ts)
 * before the new durable delivers anything.
 */

/** A loss durable: where it resumes (`acked`), and every sequence acked (its ack floor). */
interface LossDurable {
  acked: number;
  delivered: number;
  readonly ackedSeqs: Set<number>;
  readonly filter: string;
  readonly regex: RegExp;
  /** Made by a netrx before loss floors: no `inactive_threshold` (loss-upgrade.ts). */
  readonly legacy: boolean;
  /** Fields that differ from netrx's shape: a consumer somebody else made (review16d D2). */
  readonly config?: Readonly<Record<string, unknown>>;
  onMessage?: (m: StreamMessage) => void;
}

interface LossReport {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly seq: number;
}

/** The counters of `FakeJetStream` this part moves. */
interface LossCounters {
  consumersReplaced: number;
  /** Loss durable list requests of upgrades (loss-upgrade.ts). */
  lossListCalls: number;
}

export class FakeLossStream {
  private reports: LossReport[] = [];
  private seq = 0;
  /** Per durable: the highest loss-stream sequence acked, and the consumer reading now. */
  private readonly durables = new Map<string, LossDurable>();
  private readonly adoptions: AdoptionCache = new Map();

  constructor(
    private readonly counters: LossCounters,
    /** The whole fake's publish (an upgrade's floors go through its de-duplication). */
    private readonly publish: PublishPort['publish'],
    /** The whole fake's newest message of a subject (an upgrade reads the floor stream too). */
    private readonly lastMessageOf: LossUpgradePort['lastMessage'],
    /** The per-subject history kept. */
    public perSubject: number,
  ) {}

  /** Reports retained. */
  get length(): number {
    return this.reports.length;
  }

  /** What stream info counts. */
  get held(): readonly LossReport[] {
    return this.reports;
  }

  /** Stores a copy of `data`; the oldest report of `subject` goes past `perSubject`. */
  store(subject: string, data: Uint8Array): void {
    this.reports.push({ subject, data: data.slice(), seq: ++this.seq });
    const same = this.reports.filter((m) => m.subject === subject);
    if (same.length > this.perSubject) {
      const oldest = same[0];
      this.reports = this.reports.filter((m) => m !== oldest);
    }
  }

  consume(
    spec: ConsumeSpec,
    onMessage: (message: StreamMessage) => void,
    onError?: (error: ConsumerError) => void,
  ): { stop(): void } {
    if (![...this.durables.values()].some((state) => state.legacy)) {
      return this.bind(spec, onMessage);
    }
    // An upgrade (loss-upgrade.ts), as nats.ts runs it: old durables' acked loss
    // becomes floors before the new durable delivers anything.
    const attempt: { stopped: boolean; bound?: { stop(): void } } = { stopped: false };
    void this.upgrade(spec)
      .then(() => {
        if (!attempt.stopped) attempt.bound = this.bind(spec, onMessage);
      })
      .catch((error: unknown) => {
        onError?.({
          stream: spec.stream,
          durable: spec.durable,
          code: undefined,
          message: String(error),
        });
      });
    return {
      stop: () => {
        attempt.stopped = true;
        attempt.bound?.stop();
      },
    };
  }

  private bind(spec: ConsumeSpec, onMessage: (message: StreamMessage) => void) {
    const { filter, durable } = spec;
    // A durable keeps the filter it was made with; one made for another filter is made
    // again (nats.ts, consumer-config.ts, review16c N4) and reads the stream from its start.
    let state = this.durables.get(durable);
    if (state !== undefined && state.filter !== filter) {
      state = undefined;
      this.counters.consumersReplaced++;
      spec.onReplaced?.(['filter_subject']);
    }
    state ??= newLossDurable(filter, false);
    state.delivered = state.acked;
    state.onMessage = onMessage;
    this.durables.set(durable, state);
    spec.onBound?.();
    const bound = state;
    return {
      stop: () => {
        // Unacked messages are delivered again to the next consumer of this durable.
        bound.delivered = bound.acked;
        delete bound.onMessage;
      },
    };
  }

  private async upgrade(spec: ConsumeSpec): Promise<void> {
    const upgrade = new LossDurableUpgrade(
      this.upgradePort,
      spec.stream,
      UPGRADE_MAX_RUNS,
      this.adoptions,
    );
    await upgrade.adopt(spec.durable, spec.adopt ?? []);
    const own = this.durables.get(spec.durable);
    if (own?.legacy === true) {
      // Drifted (no inactive_threshold): made again, as ensureCaptureConsumer does.
      this.durables.delete(spec.durable);
      this.counters.consumersReplaced++;
      spec.onReplaced?.(
        own.filter === spec.filter
          ? ['inactive_threshold']
          : ['filter_subject', 'inactive_threshold'],
      );
    }
    if (upgrade.floors.size > 0) spec.onAdopted?.(upgrade.floors);
  }

  /** The consumer calls of an upgrade (loss-upgrade.ts), on this loss stream. */
  readonly upgradePort: LossUpgradePort = {
    legacyDurables: () => {
      this.counters.lossListCalls++;
      const legacy = [...this.durables]
        .filter(([, state]) => state.legacy)
        .map(([name, state]) => ({
          name,
          info: { config: lossDurableConfig(state), ackFloor: this.ackFloor(state) },
        }));
      return Promise.resolve(legacy);
    },
    reportsUpTo: (_stream, filter, upTo) => {
      const regex = subjectRegex(filter);
      const reports = this.reports.filter((m) => m.seq <= upTo && regex.test(m.subject));
      return (async function* () {
        await Promise.resolve();
        yield* reports;
      })();
    },
    lastMessage: (stream, subject) => this.lastMessageOf(stream, subject),
    publish: (subject, data, msgId) => this.publish(subject, data, msgId),
    delete: (_stream, durable) => {
      this.durables.delete(durable);
      return Promise.resolve();
    },
  };

  /**
   * A loss durable as a netrx before floors made it (no `inactive_threshold`),
   * whose reader was delivered every report now on `filter` and acked those
   * `acked` says (verify16c V1, V2). `config` overrides fields of netrx's
   * shape, or adds some: a threshold-less consumer another tool made (D2).
   */
  legacyDurable(
    durable: string,
    filter: string,
    acked: (report: { readonly subject: string; readonly seq: number }) => boolean,
    config?: Readonly<Record<string, unknown>>,
  ): void {
    const state = { ...newLossDurable(filter, true), ...(config === undefined ? {} : { config }) };
    for (const m of this.reports) {
      if (!state.regex.test(m.subject)) continue;
      state.delivered = m.seq;
      if (!acked(m)) continue;
      state.ackedSeqs.add(m.seq);
      state.acked = Math.max(state.acked, m.seq);
    }
    this.durables.set(durable, state);
  }

  /** Loss durables that exist now. */
  durableNames(): readonly string[] {
    return [...this.durables.keys()];
  }

  /**
   * `ack_floor.stream_seq` as the server keeps it: the last report of the
   * durable's filter before the first one not acked.
   */
  private ackFloor(state: LossDurable): number {
    let floor = 0;
    for (const m of this.reports) {
      if (!state.regex.test(m.subject)) continue;
      if (!state.ackedSeqs.has(m.seq)) break;
      floor = m.seq;
    }
    return floor;
  }

  /** The newest report stored on `subject` (loss floors, loss-floors.ts). */
  lastMessage(subject: string): Promise<Uint8Array | undefined> {
    const last = this.reports.filter((m) => m.subject === subject).at(-1);
    return Promise.resolve(last?.data.slice());
  }

  /** Hands every bound durable the reports of its filter it has not been handed. */
  deliver(): void {
    for (const state of this.durables.values()) {
      for (const m of this.reports) {
        const onMessage = state.onMessage;
        if (onMessage === undefined) break;
        if (m.seq <= state.delivered || !state.regex.test(m.subject)) continue;
        state.delivered = m.seq;
        onMessage({
          subject: m.subject,
          data: m.data,
          seq: m.seq,
          ack: () => {
            state.acked = Math.max(state.acked, m.seq);
            state.ackedSeqs.add(m.seq);
          },
          nak: () => undefined,
        });
      }
    }
  }
}

function newLossDurable(filter: string, legacy: boolean): LossDurable {
  return {
    acked: 0,
    delivered: 0,
    ackedSeqs: new Set(),
    filter,
    regex: subjectRegex(filter),
    legacy,
  };
}

/** A loss durable's config as consumer info tells it (the fields an upgrade reads). */
function lossDurableConfig(state: LossDurable): Readonly<Record<string, unknown>> {
  return {
    filter_subject: state.filter,
    ack_policy: 'explicit',
    deliver_policy: 'all',
    max_ack_pending: MAX_ACK_PENDING,
    ...(state.legacy ? {} : { inactive_threshold: LOSS_DURABLE_IDLE_MS * 1_000_000 }),
    ...state.config,
  };
}
