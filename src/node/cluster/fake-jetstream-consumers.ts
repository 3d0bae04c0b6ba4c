import type { Clock } from '../../runtime/index.js';
import { filtersOverlap, subjectRegex } from './fake-jetstream-subjects.js';
import type { FakeEventStore } from './fake-jetstream-store.js';
import type { ConsumeSpec, ConsumerError, ConsumerLag, StreamMessage } from './ports.js';
import type { PullGate } from './pull-window.js';

/**
 * The fake JetStream's event stream consumers, as nats-server 2.9.10 runs
 * them on a work-queue stream: a durable's filter is a claim, and a new
 * durable whose filter overlaps another's is refused with 10100 until that
 * one is released by `expireIdleConsumers` (as `inactive_threshold` does).
 * Readers bound to one durable split its messages; a gated reader is not
 * pulled from while its session has no room. Delivery happens when the test
 * calls `deliver()`.
 */

/** A durable consumer of the event stream: its filter claims those subjects. */
interface Durable {
  readonly filter: string;
  readonly regex: RegExp;
  /** Bound readers (more than one: they split the messages, as on a real server). */
  readers: { onMessage: (message: StreamMessage) => void; gate: PullGate | undefined }[];
}

/** The counters of `FakeJetStream` this part moves. */
interface ConsumerCounters {
  claimsRefused: number;
  consumersReplaced: number;
  infoCalls: number;
}

export class FakeEventConsumers {
  private readonly durables = new Map<string, Durable>();
  /** Consumes refused a claim (10100), tried again when claims expire. */
  private refusedConsumers: (() => void)[] = [];

  constructor(
    private readonly store: FakeEventStore,
    private readonly counters: ConsumerCounters,
    /** With a clock, delivered messages carry `storedAtMs`. */
    private readonly clock: Clock | undefined,
  ) {}

  consume(
    spec: ConsumeSpec,
    onMessage: (message: StreamMessage) => void,
    onError?: (error: ConsumerError) => void,
    gate?: PullGate,
  ): { stop(): void } {
    const { filter, durable } = spec;
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
        this.store.redeliverUnacked();
      },
    };
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

  /**
   * An event durable's consumer info: its filter's messages not delivered
   * (`num_pending`), delivered and not acked (`num_ack_pending`), and of
   * those the ones delivered more than once (`num_redelivered`).
   */
  consumerLag(durable: string): Promise<ConsumerLag> {
    this.counters.infoCalls++;
    const claim = this.durables.get(durable);
    if (claim === undefined) return Promise.reject(new Error(`consumer not found: ${durable}`));
    let pending = 0;
    let ackPending = 0;
    let redelivered = 0;
    for (const m of this.store.messages) {
      if (!claim.regex.test(m.subject)) continue;
      if (!m.delivered) pending++;
      else {
        ackPending++;
        if (m.deliveries > 1) redelivered++;
      }
    }
    return Promise.resolve({ pending, ackPending, redelivered });
  }

  /** Delivers up to `max` undelivered messages, in stream order, to the readers. Returns how many. */
  deliver(max: number): number {
    let count = 0;
    const skipped = new Set<object>();
    for (const message of [...this.store.messages]) {
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
        ack: () => this.store.acknowledge(message),
        nak: () => {
          message.delivered = false;
        },
      });
    }
    return count;
  }
}
