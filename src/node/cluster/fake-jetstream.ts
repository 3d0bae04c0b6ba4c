/**
 * An in-memory JetStream for tests of the publisher and reader. The event
 * stream: a message limit with `discard: new`, work-queue retention (an ack
 * removes), `Nats-Msg-Id` de-duplication, and switches to take the server
 * away (publishes answer `unsent`) or to lose acknowledgements (stored, but
 * the publisher hears `unsent` and must retry under the same ID). The loss
 * stream (subjects `netrxloss.…`): limits retention, the last
 * `lossPerSubject` messages per subject, never full; each durable consumer
 * keeps its ack floor across `consume` calls, as a JetStream durable does.
 * Delivery to consumers happens when the test calls `deliver()`.
 */
import type {
  ConsumePort,
  ConsumeSpec,
  PublishOutcome,
  PublishPort,
  StreamMessage,
} from './ports.js';

interface Stored {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly seq: number;
  delivered: boolean;
}

export class FakeJetStream implements PublishPort, ConsumePort {
  maxMsgs: number;
  /** Publishes fail as if disconnected. */
  down = false;
  /** Store, but answer `unsent` (the acknowledgement was lost). */
  loseAcks = false;
  private messages: Stored[] = [];
  /** Acked messages, newest last (for `redeliverAcked`). */
  private acked: Stored[] = [];
  private readonly ids = new Set<string>();
  private seq = 0;
  private consumers: {
    filter: RegExp;
    onMessage: (message: StreamMessage) => void;
    stopped: boolean;
  }[] = [];
  counters = { stored: 0, refused: 0, duplicates: 0, unsent: 0 };
  /** The loss stream's per-subject history. */
  lossPerSubject: number;
  private losses: { subject: string; data: Uint8Array; seq: number }[] = [];
  private lossSeq = 0;
  /** Per durable: the highest loss-stream sequence acked, and the consumer reading now. */
  private lossDurables = new Map<
    string,
    { acked: number; delivered: number; filter: RegExp; onMessage?: (m: StreamMessage) => void }
  >();

  constructor(options: { maxMsgs: number; lossPerSubject?: number }) {
    this.maxMsgs = options.maxMsgs;
    this.lossPerSubject = options.lossPerSubject ?? 1024;
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
    if (this.ids.has(msgId)) {
      this.counters.duplicates++;
      return Promise.resolve({ kind: 'stored', duplicate: true });
    }
    if (subject.startsWith('netrxloss.')) {
      this.ids.add(msgId);
      this.losses.push({ subject, data: data.slice(), seq: ++this.lossSeq });
      const same = this.losses.filter((m) => m.subject === subject);
      if (same.length > this.lossPerSubject) {
        const oldest = same[0];
        this.losses = this.losses.filter((m) => m !== oldest);
      }
      return Promise.resolve({ kind: 'stored', duplicate: false });
    }
    if (this.messages.length >= this.maxMsgs) {
      this.counters.refused++;
      return Promise.resolve({ kind: 'refused', reason: 'maximum messages exceeded' });
    }
    this.ids.add(msgId);
    this.messages.push({ subject, data: data.slice(), seq: ++this.seq, delivered: false });
    this.counters.stored++;
    if (this.loseAcks) {
      this.counters.unsent++;
      return Promise.resolve({ kind: 'unsent', reason: 'timeout' });
    }
    return Promise.resolve({ kind: 'stored', duplicate: false });
  }

  consume(spec: ConsumeSpec, onMessage: (message: StreamMessage) => void) {
    const { filter, durable } = spec;
    if (spec.stream.startsWith('netrx-loss-')) {
      const state = this.lossDurables.get(durable) ?? { acked: 0, delivered: 0, filter: /$^/ };
      state.filter = subjectRegex(filter);
      state.delivered = state.acked;
      state.onMessage = onMessage;
      this.lossDurables.set(durable, state);
      return {
        stop: () => {
          // Unacked messages are delivered again to the next consumer of this durable.
          state.delivered = state.acked;
          delete state.onMessage;
        },
      };
    }
    const consumer = { filter: subjectRegex(filter), onMessage, stopped: false };
    this.consumers.push(consumer);
    return {
      stop: () => {
        consumer.stopped = true;
        // Unacked messages become deliverable again (redelivery).
        for (const m of this.messages) m.delivered = false;
        this.consumers = this.consumers.filter((c) => c !== consumer);
      },
    };
  }

  /** Delivered, not acked: delivered again (as `ack_wait` passing does). */
  redeliverUnacked(): void {
    for (const m of this.messages) m.delivered = false;
  }

  redeliverAcked(n: number): void {
    const back = this.acked.splice(Math.max(0, this.acked.length - n));
    for (const m of back) m.delivered = false;
    this.messages = [...back, ...this.messages].sort((x, y) => x.seq - y.seq);
  }

  /** Delivers up to `max` undelivered messages, in stream order, to the consumers. Returns how many. */
  deliver(max = Infinity): number {
    let count = 0;
    for (const message of [...this.messages]) {
      if (count >= max) break;
      if (message.delivered) continue;
      const consumer = this.consumers.find((c) => !c.stopped && c.filter.test(message.subject));
      if (consumer === undefined) continue;
      message.delivered = true;
      count++;
      consumer.onMessage({
        subject: message.subject,
        data: message.data,
        seq: message.seq,
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
        if (m.seq <= state.delivered || !state.filter.test(m.subject)) continue;
        state.delivered = m.seq;
        onMessage({
          subject: m.subject,
          data: m.data,
          seq: m.seq,
          ack: () => {
            state.acked = Math.max(state.acked, m.seq);
          },
          nak: () => undefined,
        });
      }
    }
    return count;
  }
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
