/**
 * Copies a reader cannot rule out (review F4's residue, issue #16). A
 * publish whose acknowledgement was lost is retried under its batch ID; a
 * retry that reaches the stream after its duplicate window is stored again.
 * The reader skips a copy whose batch ID it remembers (`BATCH_ID_WINDOW`),
 * but a reader process restarted between two copies remembers nothing, so
 * loss stays exact (every event is stored at least once or counted lost)
 * and "once each" cannot be kept in that case. It is counted instead: a
 * copy whose ID this reader does not remember is a *possible duplicate*
 * when
 *
 * - it was stored late: the server's store time is at least the window
 *   (less `clockToleranceMs`) after the batch's first send (batch-id.ts),
 *   so an earlier copy may be in the stream's past; a copy stored inside
 *   the window cannot be a second one (the server would have refused it as
 *   a duplicate of the first);
 * - and this reader cannot have seen the first: it was first sent before
 *   this reader's claim on the host began (a copy stored while this reader
 *   held the claim came to it), or an ID at least that recent has been
 *   forgotten (evicted from the window).
 *
 * So a reader that held its claim throughout stays exact and counts
 * nothing; a restarted one counts exactly the late copies it cannot judge.
 * Clocks (publishers, NATS servers, readers) are assumed within
 * `clockToleranceMs` of each other.
 */
import { firstSentOf } from './batch-id.js';

export class LateCopies {
  /** Per host: when this reader's claim began (its last bind). */
  private readonly heldSince = new Map<string, number>();
  /** The newest first send among forgotten batch IDs. */
  private newestForgotten = -Infinity;

  constructor(
    private readonly windowMs: number,
    private readonly toleranceMs: number,
  ) {
    if (!Number.isFinite(windowMs) || windowMs <= 0) {
      throw new RangeError(`duplicateWindowMs must be positive: got ${windowMs}`);
    }
    if (!Number.isFinite(toleranceMs) || toleranceMs < 0 || toleranceMs >= windowMs) {
      throw new RangeError(
        `clockToleranceMs must be from 0 to below the window: got ${toleranceMs}`,
      );
    }
  }

  /** This reader's claim on `host` (re)began at `now` (every bind: a rebind is a new start). */
  held(host: string, now: number): void {
    this.heldSince.set(host, now);
  }

  /** A remembered batch ID was forgotten (the window is full). */
  forgotten(id: string): void {
    const sent = firstSentOf(id);
    if (sent !== undefined && sent > this.newestForgotten) this.newestForgotten = sent;
  }

  /** Whether a copy of `id` this reader does not remember may have been delivered before. */
  possibleDuplicate(host: string, id: string, storedAtMs: number | undefined): boolean {
    const sent = firstSentOf(id);
    // No time on either side (an older publisher, a port without store times): not judged.
    if (sent === undefined || storedAtMs === undefined) return false;
    if (storedAtMs - sent < this.windowMs - this.toleranceMs) return false;
    const since = this.heldSince.get(host);
    const sawAnyEarlierCopy =
      since !== undefined && since + this.toleranceMs <= sent && sent > this.newestForgotten;
    return !sawAnyEarlierCopy;
  }
}
