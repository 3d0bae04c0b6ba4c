/**
 * Messages partly delivered when a session closed (reader-acks.ts
 * `release`): their rest is counted lost only in the session's count,
 * carried to the next open, so each is acked once a client got that loss.
 * A process killed first leaves them unacked: the next holder delivers
 * them again (their first events twice, at least once), else nobody would
 * count their rest.
 *
 * When that loss reached the client (review16e L4, seed 711112693): the
 * session reports loss in the order it was counted, and a close counts the
 * rest after every report counted before it and before any report of the
 * next open. So a message's rest has reached the client once every tracked
 * unit counted before the close did (`before`) and what the session still
 * holds (`lostWaiting`) is no more than the tracked units counted since
 * (untracked loss only moves that line later). Acking only once nothing
 * waited at all left the message unacked while a later report's loss
 * waited: a holder killed then had its client count the rest, and the next
 * holder delivered those events again (sum 6 of 5).
 */
import type { StreamMessage } from './ports.js';

interface Part {
  message: StreamMessage;
  /** Tracked loss units counted before the close (WaitingLoss `countedTotal`). */
  readonly before: number;
  /** Set at the next open: its rest is in that open's count. */
  armed: boolean;
}

export class PartlyDelivered {
  private readonly parts = new Map<number, Part>();

  /** The session closed with `message` partly delivered, after `before` tracked units were counted. */
  add(message: StreamMessage, before: number): void {
    this.parts.set(message.seq, { message, before, armed: false });
  }

  /** The session opened: the rests of the messages kept are in its count now. */
  opened(): void {
    for (const part of this.parts.values()) part.armed = true;
  }

  /** A redelivery of a kept message: it is the copy to ack. True if it was kept. */
  redelivered(message: StreamMessage): boolean {
    const part = this.parts.get(message.seq);
    if (part === undefined) return false;
    part.message = message;
    return true;
  }

  /**
   * A delivery: `deliveredTotal` tracked units have reached the client in
   * all, `waiting` tracked units wait, and the session holds `lostWaiting`.
   */
  reached(deliveredTotal: number, waiting: number, lostWaiting: number): void {
    for (const [seq, part] of this.parts) {
      const reached =
        lostWaiting === 0 ||
        (part.armed && deliveredTotal >= part.before && lostWaiting <= waiting);
      if (!reached) continue;
      part.message.ack();
      this.parts.delete(seq);
    }
  }
}
