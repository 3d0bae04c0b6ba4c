import type { StreamUsage } from './stream-config.js';

/**
 * The fake JetStream's event stream storage: the messages held in stream
 * order, the limits trim (a lower `max_msgs` removes the oldest at once, as
 * nats-server 2.9.10 does), and the acked messages remembered so a test can
 * have the server "lose" acks and hand them back (`redeliverAcked`).
 * Work-queue retention: an ack removes the message.
 */

/** One message of the event stream. */
export interface StoredMessage {
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

/** How many acked messages `redeliverAcked` can bring back. */
const ACKED_KEPT = 10_000;

export class FakeEventStore {
  /** Held messages, in stream order (replaced, not mutated, when one goes). */
  messages: StoredMessage[] = [];
  /** Acked messages, newest last (for `redeliverAcked`). */
  private acked: StoredMessage[] = [];
  private seq = 0;

  get length(): number {
    return this.messages.length;
  }

  /** Messages held on `subject` (the per-subject limit counts these). */
  countOn(subject: string): number {
    return this.messages.filter((m) => m.subject === subject).length;
  }

  /** Stores a copy of `data` as the next sequence. */
  append(subject: string, data: Uint8Array, msgId: string, storedAtMs: number): void {
    this.messages.push({
      subject,
      data: data.slice(),
      seq: ++this.seq,
      msgId,
      storedAtMs,
      delivered: false,
      deliveries: 0,
    });
  }

  /** Removes the oldest messages until at most `max` are held; returns how many went. */
  trimTo(max: number): number {
    let trimmed = 0;
    while (this.messages.length > max) {
      this.messages.shift();
      trimmed++;
    }
    return trimmed;
  }

  /** An ack: the message leaves the stream (work-queue retention). */
  acknowledge(message: StoredMessage): void {
    this.messages = this.messages.filter((m) => m !== message);
    this.acked.push(message);
    if (this.acked.length > ACKED_KEPT) this.acked.shift();
  }

  /** Every ack so far is stored: none of those messages comes back (`redeliverAcked`). */
  storeAcks(): void {
    this.acked = [];
  }

  /** The last `n` acks were lost: those messages are back in the stream, undelivered. */
  redeliverAcked(n: number): void {
    const back = this.acked.splice(Math.max(0, this.acked.length - n));
    for (const m of back) {
      m.delivered = false;
      m.ackLost = true;
    }
    this.messages = [...back, ...this.messages].sort((x, y) => x.seq - y.seq);
  }

  /** Messages back in the stream after an ack the server lost. */
  get ackLost(): number {
    return this.messages.filter((m) => m.ackLost).length;
  }

  /** Delivered, not acked: delivered again (as `ack_wait` passing does). */
  redeliverUnacked(): void {
    for (const m of this.messages) m.delivered = false;
  }

  /** The hosts with events held for `session` (subjects `netrx.<session>.<host>.…`). */
  hosts(session: string): string[] {
    const hosts = new Set<string>();
    for (const m of this.messages) {
      const [prefix, s, host] = m.subject.split('.');
      if (prefix === 'netrx' && s === session && host !== undefined) hosts.add(host);
    }
    return [...hosts];
  }
}

/** A stream's usage as stream info reports it (`state.messages`, `bytes`, the largest subject). */
export function streamUsage(
  held: readonly { readonly subject: string; readonly data: Uint8Array }[],
  withSubjectCounts: boolean,
): StreamUsage {
  const perSubject = new Map<string, number>();
  for (const m of held) perSubject.set(m.subject, (perSubject.get(m.subject) ?? 0) + 1);
  return {
    messages: held.length,
    bytes: held.reduce((sum, m) => sum + m.data.length, 0),
    ...(withSubjectCounts ? { largestSubject: Math.max(0, ...perSubject.values()) } : {}),
  };
}
