/**
 * Acknowledgements written together. The client flushes its socket on a
 * microtask after the first command it queues, and a consumer's messages
 * are handed out one microtask apart, so acking each message as it is
 * handled cost one socket write per message (43% of the reader's time at
 * ~100 k events/s). Held here until the turn ends (or `maxPending` gather),
 * the acks of one delivered batch leave in one write.
 *
 * Each message is still acked on its own: the session's stream is a work
 * queue, and nats-server 2.9.10 refuses any ack policy but `explicit` on
 * one (`workqueue stream requires explicit ack`, 10098), so `ack: all` with
 * one ack per batch is not available. What is held is at most one turn of
 * acks: a reader process killed in between has those messages delivered
 * again to the next reader (at least once, as before, for one turn instead
 * of one microtask).
 */
export interface AckBatcherOptions {
  /** Acks held at most: the next one writes them all at once. Below the consumer's `max_ack_pending`. */
  readonly maxPending: number;
  /** Runs `flush` once the current turn's work is done (`setImmediate` in a process). */
  readonly schedule: (flush: () => void) => void;
}

export class AckBatcher {
  private readonly maxPending: number;
  private readonly schedule: (flush: () => void) => void;
  private pending: (() => void)[] = [];
  private scheduled = false;
  /** Times the held acks were written out. */
  flushes = 0;

  constructor(options: AckBatcherOptions) {
    if (!Number.isInteger(options.maxPending) || options.maxPending < 1) {
      throw new RangeError(`maxPending must be a positive integer: got ${options.maxPending}`);
    }
    this.maxPending = options.maxPending;
    this.schedule = options.schedule;
  }

  /** Acks held, not yet written. */
  get size(): number {
    return this.pending.length;
  }

  add(ack: () => void): void {
    this.pending.push(ack);
    if (this.pending.length >= this.maxPending) {
      this.flush();
      return;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      this.schedule(() => {
        this.scheduled = false;
        this.flush();
      });
    }
  }

  /** Writes every held ack now, oldest first (also before a consumer stops). */
  flush(): void {
    if (this.pending.length === 0) return;
    const acks = this.pending;
    this.pending = [];
    this.flushes++;
    for (const ack of acks) ack();
  }
}
