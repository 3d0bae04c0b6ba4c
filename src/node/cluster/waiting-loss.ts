/**
 * Which of the reader's counted loss has reached its client (verify16d N2).
 *
 * Each growth of a publisher run that the reader puts in the session's
 * count (`sink.lost`) is one portion here, oldest first, with the run's
 * count before it. The session reports loss in the order it was counted:
 * a buffer's NET_EVENT_LOST carries the loss counted before its last event
 * (or that no queued event precedes), so the loss still waiting after a
 * delivery (`lostWaiting`) is always the newest that was counted. Hence
 * after a delivery every portion but the newest `lostWaiting` units has
 * reached the client, and a portion cut by that line reached it up to the
 * cut. The session's count holds more than these portions (queue refusals,
 * malformed items, events discarded at a close), none of it tracked here:
 * that only makes the line fall later among the portions, so what this
 * says was delivered always was (a floor is never ahead of the client).
 *
 * A run's floor is its count before its oldest waiting portion, and never
 * below a floor another holder stored for it (`raise`, read at a takeover).
 */
import type { StreamMessage } from './ports.js';

/** One run's growth in the session's count, not yet (wholly) delivered. */
interface Portion {
  readonly host: string;
  readonly instance: string;
  /** The run's count below this portion: what its client got of the run so far. */
  before: number;
  /** Units of this portion still in the session's count. */
  count: number;
  /** At least this much of the run reached some holder's client (a floor read at a takeover). */
  atLeast: number;
  /** The loss report that grew, acked once this portion reached the client (or at a close). */
  message: StreamMessage | undefined;
}

export class WaitingLoss {
  private portions: Portion[] = [];
  private head = 0;
  private units = 0;
  /** Per host: its portions waiting (a host with none owes its client nothing). */
  private readonly perHost = new Map<string, number>();

  /** Loss units counted and not yet delivered. */
  get waiting(): number {
    return this.units;
  }

  /** True while some of `host`'s counted loss has not reached the client. */
  owes(host: string): boolean {
    return this.perHost.has(host);
  }

  /** The hosts owed, in the order their oldest waiting loss was counted. */
  hosts(): readonly string[] {
    return [...this.perHost.keys()];
  }

  /** `count` units of `host`'s run `instance` (whose count was `before`) went into the session's count. */
  counted(
    host: string,
    instance: string,
    before: number,
    count: number,
    message?: StreamMessage,
  ): void {
    if (count <= 0) return;
    this.portions.push({ host, instance, before, count, atLeast: 0, message });
    this.units += count;
    this.perHost.set(host, (this.perHost.get(host) ?? 0) + 1);
  }

  /**
   * A delivery left `lostWaiting` units of the session's count waiting:
   * the portions older than those have reached the client. Returns the
   * hosts whose delivered count grew (their floors may say so now) and
   * acks the reports of the portions delivered whole.
   */
  delivered(lostWaiting: number): ReadonlySet<string> {
    const grew = new Set<string>();
    while (this.units > lostWaiting) {
      const portion = this.portions[this.head];
      if (portion === undefined) break;
      const reached = Math.min(portion.count, this.units - lostWaiting);
      portion.before += reached;
      portion.count -= reached;
      this.units -= reached;
      grew.add(portion.host);
      if (portion.count > 0) break;
      portion.message?.ack();
      this.drop(portion);
    }
    return grew;
  }

  /** The session closed: the reports are acked (their growth is in the session's count, carried on). */
  ackAll(): void {
    for (let i = this.head; i < this.portions.length; i++) {
      const portion = this.portions[i];
      if (portion === undefined) continue;
      portion.message?.ack();
      portion.message = undefined;
    }
  }

  /** Another holder's client got `lost` of this run: no floor of ours says less. */
  raise(host: string, instance: string, lost: number): void {
    for (let i = this.head; i < this.portions.length; i++) {
      const portion = this.portions[i];
      if (portion?.host === host && portion.instance === instance) {
        portion.atLeast = Math.max(portion.atLeast, lost);
      }
    }
  }

  /**
   * What the client got of each of `host`'s runs some of whose counted
   * loss waits (a run not in it: every count of it the reader has was delivered).
   */
  deliveredRuns(host: string): Map<string, number> {
    const runs = new Map<string, number>();
    if (!this.perHost.has(host)) return runs;
    for (let i = this.head; i < this.portions.length; i++) {
      const portion = this.portions[i];
      // The oldest waiting portion of a run says what went before it.
      if (portion?.host !== host || runs.has(portion.instance)) continue;
      runs.set(portion.instance, Math.max(portion.before, portion.atLeast));
    }
    return runs;
  }

  private drop(portion: Portion): void {
    this.head++;
    const left = (this.perHost.get(portion.host) ?? 1) - 1;
    if (left === 0) this.perHost.delete(portion.host);
    else this.perHost.set(portion.host, left);
    // Compacted now and then, so the array does not keep every portion ever counted.
    if (this.head === this.portions.length) {
      this.portions = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.portions.length) {
      this.portions = this.portions.slice(this.head);
      this.head = 0;
    }
  }
}
