/**
 * An in-memory JetStream stream for tests of the publisher and reader: a
 * message limit with `discard: new`, work-queue retention (an ack removes),
 * `Nats-Msg-Id` de-duplication, and switches to take the server away
 * (publishes answer `unsent`) or to lose acknowledgements (stored, but the
 * publisher hears `unsent` and must retry under the same ID). Delivery to
 * consumers happens when the test calls `deliver()`.
 */
import type { ConsumePort, PublishOutcome, PublishPort, StreamMessage } from './ports.js';

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

  constructor(options: { maxMsgs: number }) {
    this.maxMsgs = options.maxMsgs;
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

  consume(filter: string, _durable: string, onMessage: (message: StreamMessage) => void) {
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
      });
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
