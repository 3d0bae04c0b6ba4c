/**
 * An in-memory JetStream for tests of the publisher and reader. The event
 * stream: a message limit with `discard: new` (stream-wide, and per subject
 * with `maxMsgsPerSubject`, as `discard_new_per_subject` does), work-queue retention as
 * nats-server 2.9.10 has it (an ack removes; a durable's filter is a claim,
 * and a new durable whose filter overlaps another's is refused with 10100
 * until that one is released by `expireIdleConsumers`, as `inactive_threshold`
 * does), `Nats-Msg-Id` de-duplication within a window the test can end
 * (`expireDuplicateWindow`), and switches to take the server
 * away (publishes answer `unsent`) or to lose acknowledgements (stored, but
 * the publisher hears `unsent` and must retry under the same ID). The loss
 * stream (subjects `netrxloss.…`): limits retention, the last
 * `lossPerSubject` messages per subject, never full; each durable consumer
 * keeps its ack floor across `consume` calls, as a JetStream durable does.
 * Delivery to consumers happens when the test calls `deliver()`.
 */
import type { Clock } from '../../runtime/index.js';
import { LOSS_DURABLE_IDLE_MS, MAX_ACK_PENDING } from './consumer-config.js';
import {
  LossDurableUpgrade,
  UPGRADE_MAX_RUNS,
  type AdoptionCache,
  type LossUpgradePort,
} from './loss-upgrade.js';
import type { PullGate } from './pull-window.js';
import type { ManagedStreamConfig, StreamAdmin } from './stream-config.js';
import type {
  ConsumePort,
  ConsumerError,
  ConsumeSpec,
  ConsumerLag,
  PublishOutcome,
  PublishPort,
  StreamMessage,
} from './ports.js';

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

interface Stored {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly seq: number;
  readonly msgId: string;
  readonly storedAtMs: number;
  delivered: boolean;
  /** Acked once, and back (the server lost the ack). */
  ackLost?: boolean;
  /** Times handed to a reader (more than once: redelivered). */
  deliveries: number;
}

/** A durable consumer of the event stream: its filter claims those subjects. */
interface Durable {
  readonly filter: string;
  readonly regex: RegExp;
  /** Bound readers (more than one: they split the messages, as on a real server). */
  readers: { onMessage: (message: StreamMessage) => void; gate: PullGate | undefined }[];
}

export class FakeJetStream implements PublishPort, ConsumePort {
  maxMsgs: number;
  /** Each subject's limit (`max_msgs_per_subject`, `discard_new_per_subject`). */
  maxMsgsPerSubject: number;
  /** Publishes fail as if disconnected. */
  down = false;
  /** Store, but answer `unsent` (the acknowledgement was lost). */
  loseAcks = false;
  private messages: Stored[] = [];
  /** Acked messages, newest last (for `redeliverAcked`). */
  private acked: Stored[] = [];
  /** Message IDs stored, and when (the duplicate window runs from there). */
  private readonly ids = new Map<string, number>();
  private readonly clock: Clock | undefined;
  private readonly duplicateWindowMs: number;
  private seq = 0;
  private readonly durables = new Map<string, Durable>();
  /** Consumes refused a claim (10100), tried again when claims expire. */
  private refusedConsumers: (() => void)[] = [];
  /** The loss stream's per-subject history. */
  lossPerSubject: number;
  private losses: { subject: string; data: Uint8Array; seq: number }[] = [];
  private lossSeq = 0;
  /** Per durable: the highest loss-stream sequence acked, and the consumer reading now. */
  private lossDurables = new Map<string, LossDurable>();

  /** Stream configs set through `admin` (the event stream's limits become `maxMsgs`…). */
  private readonly configs = new Map<string, ManagedStreamConfig>();
  counters = {
    stored: 0,
    refused: 0,
    duplicates: 0,
    unsent: 0,
    claimsRefused: 0,
    infoCalls: 0,
    trimmed: 0,
    consumersReplaced: 0,
    /** Loss durable list requests of upgrades (loss-upgrade.ts). */
    lossListCalls: 0,
  };

  constructor(options: {
    maxMsgs: number;
    maxMsgsPerSubject?: number;
    lossPerSubject?: number;
    /** Stamps stored messages (`storedAtMs`) and ends each message ID's duplicate window by time. */
    clock?: Clock;
    /** With `clock`: how long a message ID is remembered. Default 120,000 ms. */
    duplicateWindowMs?: number;
  }) {
    this.clock = options.clock;
    this.duplicateWindowMs = options.duplicateWindowMs ?? 120_000;
    this.maxMsgs = options.maxMsgs;
    this.maxMsgsPerSubject = options.maxMsgsPerSubject ?? Infinity;
    this.lossPerSubject = options.lossPerSubject ?? 1024;
  }

  /**
   * Stream administration as nats-server 2.9.10 answers it: retention and
   * storage cannot change (10052), and a lower message limit removes the
   * oldest messages at once (counted in `trimmed`), as the real server does.
   */
  readonly admin: StreamAdmin = {
    info: (stream, withSubjectCounts) => {
      const config = this.configs.get(stream);
      if (config === undefined) return Promise.resolve(undefined);
      const loss = stream.startsWith('netrx-loss-');
      const held = loss ? this.losses : this.messages;
      const perSubject = new Map<string, number>();
      for (const m of held) perSubject.set(m.subject, (perSubject.get(m.subject) ?? 0) + 1);
      return Promise.resolve({
        config,
        usage: {
          messages: held.length,
          bytes: held.reduce((sum, m) => sum + m.data.length, 0),
          ...(withSubjectCounts ? { largestSubject: Math.max(0, ...perSubject.values()) } : {}),
        },
      });
    },
    add: (stream, config) => {
      if (this.configs.has(stream)) return Promise.reject(new Error(`stream ${stream} exists`));
      this.configure(stream, config);
      return Promise.resolve();
    },
    update: (stream, config) => {
      const before = this.configs.get(stream);
      if (before === undefined) return Promise.reject(new Error(`stream not found: ${stream}`));
      if (before.retention !== config.retention || before.storage !== config.storage) {
        return Promise.reject(new Error('10052 stream configuration update can not change'));
      }
      this.configure(stream, config);
      return Promise.resolve();
    },
  };

  /** A stream's config as it is now (undefined before `admin.add`). */
  streamConfig(stream: string): ManagedStreamConfig | undefined {
    return this.configs.get(stream);
  }

  private configure(stream: string, config: ManagedStreamConfig): void {
    this.configs.set(stream, config);
    if (stream.startsWith('netrx-loss-')) return;
    const limit = (n: number) => (n <= 0 ? Infinity : n);
    this.maxMsgs = limit(config.max_msgs);
    this.maxMsgsPerSubject = limit(config.max_msgs_per_subject);
    // 2.9.10 applies a lower limit at once: the oldest messages go, whatever discard says.
    while (this.messages.length > this.maxMsgs) {
      this.messages.shift();
      this.counters.trimmed++;
    }
  }

  /** Loss-stream messages retained. */
  get lossLength(): number {
    return this.losses.length;
  }

  get length(): number {
    return this.messages.length;
  }

  publish(subject: string, data: Uint8Array, msgId: string): Promise<PublishOutcome> {
    if (this.down) {
      this.counters.unsent++;
      return Promise.resolve({ kind: 'unsent', reason: 'disconnected' });
    }
    const now = this.clock?.now() ?? 0;
    const storedAt = this.ids.get(msgId);
    if (
      storedAt !== undefined &&
      (this.clock === undefined || now - storedAt < this.duplicateWindowMs)
    ) {
      this.counters.duplicates++;
      return Promise.resolve({ kind: 'stored', duplicate: true });
    }
    if (subject.startsWith('netrxloss.')) {
      this.ids.set(msgId, now);
      this.losses.push({ subject, data: data.slice(), seq: ++this.lossSeq });
      const same = this.losses.filter((m) => m.subject === subject);
      if (same.length > this.lossPerSubject) {
        const oldest = same[0];
        this.losses = this.losses.filter((m) => m !== oldest);
      }
      return Promise.resolve({ kind: 'stored', duplicate: false });
    }
    if (
      this.messages.length >= this.maxMsgs ||
      this.messages.filter((m) => m.subject === subject).length >= this.maxMsgsPerSubject
    ) {
      this.counters.refused++;
      return Promise.resolve({ kind: 'refused', reason: 'maximum messages exceeded' });
    }
    this.ids.set(msgId, now);
    this.messages.push({
      subject,
      data: data.slice(),
      seq: ++this.seq,
      msgId,
      storedAtMs: now,
      delivered: false,
      deliveries: 0,
    });
    this.counters.stored++;
    if (this.loseAcks) {
      this.counters.unsent++;
      return Promise.resolve({ kind: 'unsent', reason: 'timeout' });
    }
    return Promise.resolve({ kind: 'stored', duplicate: false });
  }

  consume(
    spec: ConsumeSpec,
    onMessage: (message: StreamMessage) => void,
    onError?: (error: ConsumerError) => void,
    gate?: PullGate,
  ) {
    const { filter, durable } = spec;
    if (spec.stream.startsWith('netrx-loss-')) {
      if (![...this.lossDurables.values()].some((state) => state.legacy)) {
        return this.bindLoss(spec, onMessage);
      }
      // An upgrade (loss-upgrade.ts), as nats.ts runs it: old durables' acked loss
      // becomes floors before the new durable delivers anything.
      const attempt: { stopped: boolean; bound?: { stop(): void } } = { stopped: false };
      void this.upgradeLossDurable(spec)
        .then(() => {
          if (!attempt.stopped) attempt.bound = this.bindLoss(spec, onMessage);
        })
        .catch((error: unknown) => {
          onError?.({ stream: spec.stream, durable, code: undefined, message: String(error) });
        });
      return {
        stop: () => {
          attempt.stopped = true;
          attempt.bound?.stop();
        },
      };
    }
    let claim = this.durables.get(durable);
    if (claim !== undefined && claim.filter !== filter && claim.readers.length === 0) {
      this.durables.delete(durable);
      claim = undefined;
      this.counters.consumersReplaced++;
      spec.onReplaced?.(['filter_subject']);
    }
    if (claim === undefined) {
      const overlapping = [...this.durables].find(([, d]) => filtersOverlap(d.filter, filter));
      if (overlapping !== undefined) {
        this.counters.claimsRefused++;
        onError?.({
          stream: spec.stream,
          durable,
          code: 10100,
          message: `filtered consumer not unique on workqueue stream (${overlapping[0]})`,
        });
        // nats.ts's consume loop tries again: here once a claim ends (expireIdleConsumers).
        const attempt: { stopped: boolean; next?: { stop(): void } } = { stopped: false };
        this.refusedConsumers.push(() => {
          if (!attempt.stopped) attempt.next = this.consume(spec, onMessage, onError, gate);
        });
        return {
          stop: () => {
            attempt.stopped = true;
            attempt.next?.stop();
          },
        };
      }
      claim = { filter, regex: subjectRegex(filter), readers: [] };
      this.durables.set(durable, claim);
    }
    const bound = claim;
    const reader = { onMessage, gate };
    bound.readers.push(reader);
    spec.onBound?.();
    return {
      stop: () => {
        bound.readers = bound.readers.filter((r) => r !== reader);
        // Unacked messages become deliverable again (redelivery); the durable keeps its claim.
        for (const m of this.messages) m.delivered = false;
      },
    };
  }

  private bindLoss(spec: ConsumeSpec, onMessage: (message: StreamMessage) => void) {
    const { filter, durable } = spec;
    // A durable keeps the filter it was made with; one made for another filter is made
    // again (nats.ts, consumer-config.ts, review16c N4) and reads the stream from its start.
    let state = this.lossDurables.get(durable);
    if (state !== undefined && state.filter !== filter) {
      state = undefined;
      this.counters.consumersReplaced++;
      spec.onReplaced?.(['filter_subject']);
    }
    state ??= newLossDurable(filter, false);
    state.delivered = state.acked;
    state.onMessage = onMessage;
    this.lossDurables.set(durable, state);
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

  private async upgradeLossDurable(spec: ConsumeSpec): Promise<void> {
    const upgrade = new LossDurableUpgrade(
      this.lossUpgrade,
      spec.stream,
      UPGRADE_MAX_RUNS,
      this.adoptions,
    );
    await upgrade.adopt(spec.durable, spec.adopt ?? []);
    const own = this.lossDurables.get(spec.durable);
    if (own?.legacy === true) {
      // Drifted (no inactive_threshold): made again, as ensureCaptureConsumer does.
      this.lossDurables.delete(spec.durable);
      this.counters.consumersReplaced++;
      spec.onReplaced?.(
        own.filter === spec.filter
          ? ['inactive_threshold']
          : ['filter_subject', 'inactive_threshold'],
      );
    }
    if (upgrade.floors.size > 0) spec.onAdopted?.(upgrade.floors);
  }

  private readonly adoptions: AdoptionCache = new Map();

  /** The consumer calls of an upgrade (loss-upgrade.ts), on this fake's loss stream. */
  readonly lossUpgrade: LossUpgradePort = {
    legacyDurables: () => {
      this.counters.lossListCalls++;
      const legacy = [...this.lossDurables]
        .filter(([, state]) => state.legacy)
        .map(([name, state]) => ({
          name,
          info: { config: lossDurableConfig(state), ackFloor: this.ackFloor(state) },
        }));
      return Promise.resolve(legacy);
    },
    reportsUpTo: (_stream, filter, upTo) => {
      const regex = subjectRegex(filter);
      const reports = this.losses.filter((m) => m.seq <= upTo && regex.test(m.subject));
      return (async function* () {
        await Promise.resolve();
        yield* reports;
      })();
    },
    lastMessage: (stream, subject) => this.lastMessage(stream, subject),
    publish: (subject, data, msgId) => this.publish(subject, data, msgId),
    delete: (_stream, durable) => {
      this.lossDurables.delete(durable);
      return Promise.resolve();
    },
  };

  /**
   * A loss durable as a netrx before floors made it (no `inactive_threshold`),
   * whose reader was delivered every report now on `filter` and acked those
   * `acked` says (verify16c V1, V2). `config` overrides fields of netrx's
   * shape, or adds some: a threshold-less consumer another tool made (D2).
   */
  legacyLossDurable(
    durable: string,
    filter: string,
    acked: (report: { readonly subject: string; readonly seq: number }) => boolean,
    config?: Readonly<Record<string, unknown>>,
  ): void {
    const state = { ...newLossDurable(filter, true), ...(config === undefined ? {} : { config }) };
    for (const m of this.losses) {
      if (!state.regex.test(m.subject)) continue;
      state.delivered = m.seq;
      if (!acked(m)) continue;
      state.ackedSeqs.add(m.seq);
      state.acked = Math.max(state.acked, m.seq);
    }
    this.lossDurables.set(durable, state);
  }

  /** Loss durables that exist now. */
  lossDurableNames(): readonly string[] {
    return [...this.lossDurables.keys()];
  }

  /**
   * `ack_floor.stream_seq` as the server keeps it: the last report of the
   * durable's filter before the first one not acked.
   */
  private ackFloor(state: LossDurable): number {
    let floor = 0;
    for (const m of this.losses) {
      if (!state.regex.test(m.subject)) continue;
      if (!state.ackedSeqs.has(m.seq)) break;
      floor = m.seq;
    }
    return floor;
  }

  /** The newest message stored on `subject` of the loss stream (loss floors, loss-floors.ts). */
  lastMessage(_stream: string, subject: string): Promise<Uint8Array | undefined> {
    const last = this.losses.filter((m) => m.subject === subject).at(-1);
    return Promise.resolve(last?.data.slice());
  }

  /**
   * Durables with no reader bound are deleted (`inactive_threshold` passed):
   * their claims end, and consumes refused meanwhile try again.
   */
  expireIdleConsumers(): void {
    for (const [name, durable] of this.durables) {
      if (durable.readers.length === 0) this.durables.delete(name);
    }
    const retries = this.refusedConsumers;
    this.refusedConsumers = [];
    for (const retry of retries) retry();
  }

  /** The duplicate window passed: a retried message ID is stored again. */
  expireDuplicateWindow(): void {
    this.ids.clear();
  }

  streamHosts(_stream: string, session: string): Promise<readonly string[]> {
    const hosts = new Set<string>();
    for (const m of this.messages) {
      const [prefix, s, host] = m.subject.split('.');
      if (prefix === 'netrx' && s === session && host !== undefined) hosts.add(host);
    }
    return Promise.resolve([...hosts]);
  }

  /** Every ack so far is stored: none of those messages comes back (`redeliverAcked`). */
  storeAcks(): void {
    this.acked = [];
  }

  /** Messages back in the stream after an ack the server lost (`redeliverAcked`). */
  get ackLost(): number {
    return this.messages.filter((m) => m.ackLost).length;
  }

  /**
   * An event durable's consumer info: its filter's messages not delivered
   * (`num_pending`), delivered and not acked (`num_ack_pending`), and of
   * those the ones delivered more than once (`num_redelivered`).
   */
  consumerLag(_stream: string, durable: string): Promise<ConsumerLag> {
    this.counters.infoCalls++;
    const claim = this.durables.get(durable);
    if (claim === undefined) return Promise.reject(new Error(`consumer not found: ${durable}`));
    let pending = 0;
    let ackPending = 0;
    let redelivered = 0;
    for (const m of this.messages) {
      if (!claim.regex.test(m.subject)) continue;
      if (!m.delivered) pending++;
      else {
        ackPending++;
        if (m.deliveries > 1) redelivered++;
      }
    }
    return Promise.resolve({ pending, ackPending, redelivered });
  }

  /** Delivered, not acked: delivered again (as `ack_wait` passing does). */
  redeliverUnacked(): void {
    for (const m of this.messages) m.delivered = false;
  }

  redeliverAcked(n: number): void {
    const back = this.acked.splice(Math.max(0, this.acked.length - n));
    for (const m of back) {
      m.delivered = false;
      m.ackLost = true;
    }
    this.messages = [...back, ...this.messages].sort((x, y) => x.seq - y.seq);
  }

  /** Delivers up to `max` undelivered messages, in stream order, to the consumers. Returns how many. */
  deliver(max = Infinity): number {
    let count = 0;
    const skipped = new Set<object>();
    for (const message of [...this.messages]) {
      if (count >= max) break;
      if (message.delivered) continue;
      const claim = [...this.durables.values()].find((d) => d.regex.test(message.subject));
      // Unclaimed, or its durable has no reader now: it waits in the stream.
      const reader = claim?.readers[message.seq % claim.readers.length];
      if (reader === undefined) continue;
      // A gated reader (its session has no room) is not pulled from: the message stays.
      // Skipped once, skipped for the rest of this pass: its stream order is kept.
      if (skipped.has(reader) || (reader.gate !== undefined && !reader.gate.ready())) {
        skipped.add(reader);
        continue;
      }
      message.delivered = true;
      message.deliveries++;
      count++;
      reader.onMessage({
        subject: message.subject,
        data: message.data,
        seq: message.seq,
        msgId: message.msgId,
        ...(this.clock === undefined ? {} : { storedAtMs: message.storedAtMs }),
        ack: () => {
          this.messages = this.messages.filter((m) => m !== message);
          this.acked.push(message);
          if (this.acked.length > 10_000) this.acked.shift();
        },
        nak: () => {
          message.delivered = false;
        },
      });
    }
    // Loss reports after events: a refusal follows the events stored before it.
    for (const state of this.lossDurables.values()) {
      for (const m of this.losses) {
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
    return count;
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

/** A NATS filter subject as a regex: `*` one token, `>` the rest. */
export function subjectRegex(filter: string): RegExp {
  const parts = filter.split('.').map((token) => {
    if (token === '*') return '[^.]+';
    if (token === '>') return '.+';
    return token.replace(/[-]/g, '\\-');
  });
  return new RegExp(`^${parts.join('\\.')}$`);
}

/** Whether some subject matches both filters (token by token; `>` takes one or more). */
export function filtersOverlap(a: string, b: string): boolean {
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; ; i++) {
    const p = x[i];
    const q = y[i];
    if (p === '>' || q === '>') return p !== undefined && q !== undefined;
    if (p === undefined || q === undefined) return p === q;
    if (p !== '*' && q !== '*' && p !== q) return false;
  }
}
