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
 * The floor stream (subjects `netrxfloor.…`): one message per subject,
 * discard old (review16e L3). Delivery to consumers happens when the test calls `deliver()`.
 *
 * This file is the face tests use: publishing (de-duplication, the
 * switches, the limits) and stream administration. The parts behind it:
 * event storage (`fake-jetstream-store.ts`), event consumers and delivery
 * (`fake-jetstream-consumers.ts`), the loss stream and its durables
 * (`fake-jetstream-loss.ts`), the floor stream (`fake-jetstream-floors.ts`), subject filters (`fake-jetstream-subjects.ts`).
 */
import type { Clock } from '../../runtime/index.js';
import { FakeEventConsumers } from './fake-jetstream-consumers.js';
import { FakeFloorStream } from './fake-jetstream-floors.js';
import { FakeLossStream } from './fake-jetstream-loss.js';
import { FakeEventStore, streamUsage } from './fake-jetstream-store.js';
import type { LossUpgradePort } from './loss-upgrade.js';
import type { PullGate } from './pull-window.js';
import type { ManagedStreamConfig, StreamAdmin } from './stream-config.js';
import { isFloorStream } from './subjects.js';
import type {
  ConsumePort,
  ConsumerError,
  ConsumeSpec,
  ConsumerLag,
  PublishOutcome,
  PublishPort,
  StreamMessage,
} from './ports.js';

export { filtersOverlap, subjectRegex } from './fake-jetstream-subjects.js';

const isLossStream = (stream: string) => stream.startsWith('netrx-loss-');

export class FakeJetStream implements PublishPort, ConsumePort {
  maxMsgs: number;
  /** Each subject's limit (`max_msgs_per_subject`, `discard_new_per_subject`). */
  maxMsgsPerSubject: number;
  /** Publishes fail as if disconnected. */
  down = false;
  /** Store, but answer `unsent` (the acknowledgement was lost). */
  loseAcks = false;
  /** Message IDs stored, and when (the duplicate window runs from there). */
  private readonly ids = new Map<string, number>();
  private readonly clock: Clock | undefined;
  private readonly duplicateWindowMs: number;
  private readonly events = new FakeEventStore();
  private readonly consumers: FakeEventConsumers;
  private readonly loss: FakeLossStream;
  private readonly floors = new FakeFloorStream();

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
    this.consumers = new FakeEventConsumers(this.events, this.counters, this.clock);
    this.loss = new FakeLossStream(
      this.counters,
      (subject, data, msgId) => this.publish(subject, data, msgId),
      (stream, subject) => this.lastMessage(stream, subject),
      options.lossPerSubject ?? 1024,
    );
  }

  /** The loss stream's per-subject history. */
  get lossPerSubject(): number {
    return this.loss.perSubject;
  }

  set lossPerSubject(n: number) {
    this.loss.perSubject = n;
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
      const held = isFloorStream(stream)
        ? this.floors.held
        : isLossStream(stream)
          ? this.loss.held
          : this.events.messages;
      return Promise.resolve({ config, usage: streamUsage(held, withSubjectCounts) });
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
    if (isLossStream(stream) || isFloorStream(stream)) return;
    const limit = (n: number) => (n <= 0 ? Infinity : n);
    this.maxMsgs = limit(config.max_msgs);
    this.maxMsgsPerSubject = limit(config.max_msgs_per_subject);
    // 2.9.10 applies a lower limit at once: the oldest messages go, whatever discard says.
    this.counters.trimmed += this.events.trimTo(this.maxMsgs);
  }

  /** Loss-stream messages retained. */
  get lossLength(): number {
    return this.loss.length;
  }

  /** Floor-stream messages retained (one per host that has a floor). */
  get floorLength(): number {
    return this.floors.length;
  }

  /** Floors stored in the floor stream, the ones replaced since included. */
  get floorsStored(): number {
    return this.floors.stored;
  }

  get length(): number {
    return this.events.length;
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
      this.loss.store(subject, data);
      return Promise.resolve({ kind: 'stored', duplicate: false });
    }
    if (subject.startsWith('netrxfloor.')) {
      this.ids.set(msgId, now);
      this.floors.store(subject, data);
      return Promise.resolve({ kind: 'stored', duplicate: false });
    }
    if (
      this.events.length >= this.maxMsgs ||
      this.events.countOn(subject) >= this.maxMsgsPerSubject
    ) {
      this.counters.refused++;
      return Promise.resolve({ kind: 'refused', reason: 'maximum messages exceeded' });
    }
    this.ids.set(msgId, now);
    this.events.append(subject, data, msgId, now);
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
  ): { stop(): void } {
    return isLossStream(spec.stream)
      ? this.loss.consume(spec, onMessage, onError)
      : this.consumers.consume(spec, onMessage, onError, gate);
  }

  /** The consumer calls of an upgrade (loss-upgrade.ts), on this fake's loss stream. */
  get lossUpgrade(): LossUpgradePort {
    return this.loss.upgradePort;
  }

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
    this.loss.legacyDurable(durable, filter, acked, config);
  }

  /** Loss durables that exist now. */
  lossDurableNames(): readonly string[] {
    return this.loss.durableNames();
  }

  /** The newest message stored on `subject` of the floor stream or the loss stream (loss-floors.ts). */
  lastMessage(stream: string, subject: string): Promise<Uint8Array | undefined> {
    return isFloorStream(stream)
      ? this.floors.lastMessage(subject)
      : this.loss.lastMessage(subject);
  }

  /**
   * Durables with no reader bound are deleted (`inactive_threshold` passed):
   * their claims end, and consumes refused meanwhile try again.
   */
  expireIdleConsumers(): void {
    this.consumers.expireIdleConsumers();
  }

  /** The duplicate window passed: a retried message ID is stored again. */
  expireDuplicateWindow(): void {
    this.ids.clear();
  }

  streamHosts(_stream: string, session: string): Promise<readonly string[]> {
    return Promise.resolve(this.events.hosts(session));
  }

  /** Every ack so far is stored: none of those messages comes back (`redeliverAcked`). */
  storeAcks(): void {
    this.events.storeAcks();
  }

  /** Messages back in the stream after an ack the server lost (`redeliverAcked`). */
  get ackLost(): number {
    return this.events.ackLost;
  }

  /**
   * An event durable's consumer info: its filter's messages not delivered
   * (`num_pending`), delivered and not acked (`num_ack_pending`), and of
   * those the ones delivered more than once (`num_redelivered`).
   */
  consumerLag(_stream: string, durable: string): Promise<ConsumerLag> {
    return this.consumers.consumerLag(durable);
  }

  /** Delivered, not acked: delivered again (as `ack_wait` passing does). */
  redeliverUnacked(): void {
    this.events.redeliverUnacked();
  }

  /** The last `n` acks were lost: those messages come back, undelivered. */
  redeliverAcked(n: number): void {
    this.events.redeliverAcked(n);
  }

  /** Delivers up to `max` undelivered messages, in stream order, to the consumers. Returns how many. */
  deliver(max = Infinity): number {
    const count = this.consumers.deliver(max);
    // Loss reports after events: a refusal follows the events stored before it.
    this.loss.deliver();
    return count;
  }
}
