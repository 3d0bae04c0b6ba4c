/**
 * The reader's ack bookkeeping (reader.ts): a message is acked once every
 * event it put in the session's queue has left in a completed receive, in
 * stream order, not when it is queued. Messages whose events are still
 * queued wait here, oldest first; a session that closes gives back those
 * none of whose events were delivered (`nak`, the next reader delivers
 * them) and hands those partly delivered to the reader (their rest is
 * counted lost; acked once a client got that loss, reader.ts).
 */
import type { StreamMessage } from './ports.js';

/** A message whose queued events have not all left in a receive yet. */
export interface Unacked {
  readonly message: StreamMessage;
  remaining: number;
  /** Events it put in the queue. */
  queued: number;
  /** Its events are being queued now (a receive can complete in the middle). */
  filling: boolean;
}

export class UnackedMessages {
  private list: Unacked[] = [];
  private head = 0;
  private readonly seqs = new Set<number>();

  /** Messages unacked because their events wait in the session's queue. */
  get size(): number {
    return this.list.length - this.head;
  }

  /** Whether the message of stream sequence `seq` is still waiting for its events to leave. */
  has(seq: number): boolean {
    return this.seqs.has(seq);
  }

  /** In the list before its events are queued: a receive completing on the way counts them. */
  add(message: StreamMessage): Unacked {
    const entry: Unacked = { message, remaining: 0, queued: 0, filling: true };
    this.list.push(entry);
    this.seqs.add(message.seq);
    return entry;
  }

  /** `count` queued events, oldest first, reached the client: ack the messages they emptied. */
  delivered(count: number): void {
    let left = count;
    // Also acks heads none of whose events are queued (handed over behind others).
    while (this.head < this.list.length) {
      const head = this.list[this.head] as Unacked;
      const taken = Math.min(left, head.remaining);
      head.remaining -= taken;
      left -= taken;
      if (head.remaining > 0 || head.filling) break;
      this.head++;
      this.seqs.delete(head.message.seq);
      head.message.ack();
    }
    if (this.head > 1024 && this.head * 2 > this.list.length) {
      this.list = this.list.slice(this.head);
      this.head = 0;
    }
  }

  /** Every event of `entry`'s message is in the session (or counted): acked once they left. */
  handedOver(entry: Unacked): void {
    entry.filling = false;
    if (entry.remaining > 0) return;
    // None queued, or all already taken by a receive.
    const last = this.list.length - 1;
    if (last >= this.head && this.list[last] === entry) {
      this.list.pop();
      this.seqs.delete(entry.message.seq);
      entry.message.ack();
      return;
    }
    // Behind others still queued: the next `delivered` acks it in order.
    this.delivered(0);
  }

  /**
   * The session closed with these still queued: a message partly delivered
   * goes to `partlyDelivered`, not given back (that would deliver its first
   * events twice; its rest is counted lost in the session's count, and the
   * reader acks it once a client got that loss), one none of whose events
   * were delivered is given back (`forget` first, so its redelivery is new
   * to whoever reads it). Returns the events given back.
   */
  release(
    forget: (message: StreamMessage) => void,
    partlyDelivered: (message: StreamMessage) => void,
  ): number {
    let givenBack = 0;
    for (let i = this.head; i < this.list.length; i++) {
      const entry = this.list[i] as Unacked;
      this.seqs.delete(entry.message.seq);
      if (entry.remaining < entry.queued) {
        partlyDelivered(entry.message);
        continue;
      }
      forget(entry.message);
      entry.message.nak();
      givenBack += entry.remaining;
    }
    this.list = [];
    this.head = 0;
    return givenBack;
  }
}
