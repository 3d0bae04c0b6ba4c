/**
 * At least once becomes exactly once in the capture reader (reader.ts). A
 * message whose stream sequence this reader has handled (the last
 * HANDLED_WINDOW of them) is a redelivery (the server restarted before it
 * stored our ack, or `ack_wait` passed while its events waited in the
 * queue) and is skipped; acked again if its events already left.
 * Redeliveries need not come in stream order (messages given back come
 * after newer ones), so this is a set, not a high-water mark.
 *
 * A publisher batch ID (`<host>.<instance>.<batch>.t<ms>`) seen before is a
 * batch stored twice (a retry stored after the stream's duplicate window)
 * and is skipped too; a copy this reader cannot rule out as a second one
 * is counted as a possible duplicate (late-copies.ts).
 */
import { LateCopies } from './late-copies.js';
import type { StreamMessage } from './ports.js';
import { RecentKeys } from './recent-keys.js';

/** Stream sequences remembered as handled, to skip redeliveries. */
export const HANDLED_WINDOW = 65_536;
/** Publisher batch IDs (`<host>.<instance>.<batch>.t<ms>`) remembered, to skip a batch stored twice. */
export const BATCH_ID_WINDOW = 65_536;
/** How far the clocks of publishers, NATS servers and readers may differ (late-copies.ts). */
export const CLOCK_TOLERANCE_MS = 10_000;

/** What a message's batch ID says: new, stored twice (skip), or maybe a second copy (deliver, count). */
export type BatchVerdict = 'new' | 'duplicate' | 'possible-duplicate';

export class DeliveredOnce {
  /** Stream sequences handled (redeliveries are skipped). */
  private readonly handled = new RecentKeys<number>(HANDLED_WINDOW);
  /** Publisher batch IDs delivered (a batch stored twice is skipped). */
  private readonly batchIds: RecentKeys<string>;
  /** Copies this reader cannot rule out as second ones (F4 residue). */
  private readonly lateCopies: LateCopies;

  constructor(duplicateWindowMs: number, clockToleranceMs: number) {
    this.lateCopies = new LateCopies(duplicateWindowMs, clockToleranceMs);
    this.batchIds = new RecentKeys<string>(BATCH_ID_WINDOW, (id) => this.lateCopies.forgotten(id));
  }

  /** True when the message's stream sequence was handled already; else it is now. */
  redelivered(seq: number): boolean {
    if (this.handled.has(seq)) return true;
    this.handled.add(seq);
    return false;
  }

  /** Judges a message of `host` by its batch ID (one of another host's IDs is not judged). */
  batch(host: string, message: StreamMessage): BatchVerdict {
    const batchId = message.msgId;
    if (batchId === undefined || !batchId.startsWith(`${host}.`)) return 'new';
    // The same batch stored twice (retried after the duplicate window): delivered once.
    if (this.batchIds.has(batchId)) return 'duplicate';
    const possible = this.lateCopies.possibleDuplicate(host, batchId, message.storedAtMs);
    this.batchIds.add(batchId);
    return possible ? 'possible-duplicate' : 'new';
  }

  /** This reader's claim on `host` began now: copies stored from here on came to it. */
  held(host: string, now: number): void {
    this.lateCopies.held(host, now);
  }

  /** A message given back unhandled: its redelivery is new to whoever reads it. */
  forget(message: StreamMessage): void {
    this.handled.delete(message.seq);
    if (message.msgId !== undefined) this.batchIds.delete(message.msgId);
  }
}
