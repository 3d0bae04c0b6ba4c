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
  readonly run: WaitingRun;
  /** The run's count below this portion: what its client got of the run so far. */
  before: number;
  /** Units of this portion still in the session's count. */
  count: number;
  /** The loss report that grew, acked once this portion reached the client (or at a close). */
  message: StreamMessage | undefined;
}

/** One run's waiting portions, oldest first (a run's growth is counted in order). */
interface WaitingRun {
  readonly instance: string;
  readonly portions: Portion[];
  head: number;
  /** At least this much of the run reached some holder's client (a floor read at a takeover). */
  atLeast: number;
}

export class WaitingLoss {
  private portions: Portion[] = [];
  private head = 0;
  private units = 0;
  /** Tracked units counted and delivered since this reader began (PartlyDelivered's marks). */
  private countedUnits = 0;
  private deliveredUnits = 0;
  /** Per host, per run: its portions waiting (a host with none owes its client nothing). */
  private readonly perHost = new Map<string, Map<string, WaitingRun>>();

  /** Loss units counted and not yet delivered. */
  get waiting(): number {
    return this.units;
  }

  /** Tracked units counted since this reader began. */
  get countedTotal(): number {
    return this.countedUnits;
  }

  /** Tracked units that have reached the client since this reader began. */
  get deliveredTotal(): number {
    return this.deliveredUnits;
  }

  /** True while some of `host`'s counted loss has not reached the client. */
  owes(host: string): boolean {
    return this.perHost.has(host);
  }

  /** The hosts owed. */
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
    let runs = this.perHost.get(host);
    if (runs === undefined) this.perHost.set(host, (runs = new Map<string, WaitingRun>()));
    let run = runs.get(instance);
    if (run === undefined)
      runs.set(instance, (run = { instance, portions: [], head: 0, atLeast: 0 }));
    const portion = { host, run, before, count, message };
    run.portions.push(portion);
    this.portions.push(portion);
    this.units += count;
    this.countedUnits += count;
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
      this.deliveredUnits += reached;
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
    const run = this.perHost.get(host)?.get(instance);
    if (run !== undefined) run.atLeast = Math.max(run.atLeast, lost);
  }

  /**
   * What the client got of each of `host`'s runs some of whose counted
   * loss waits (a run not in it: every count of it the reader has was delivered).
   */
  deliveredRuns(host: string): Map<string, number> {
    const delivered = new Map<string, number>();
    for (const run of this.perHost.get(host)?.values() ?? []) {
      // The oldest waiting portion of a run says what went before it.
      const oldest = run.portions[run.head];
      if (oldest !== undefined) delivered.set(run.instance, Math.max(oldest.before, run.atLeast));
    }
    return delivered;
  }

  private drop(portion: Portion): void {
    this.head++;
    // Compacted now and then, so the arrays do not keep every portion ever counted.
    if (this.head === this.portions.length) {
      this.portions = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.portions.length) {
      this.portions = this.portions.slice(this.head);
      this.head = 0;
    }
    // A run's portions are counted in order, so the one delivered whole is its oldest.
    const run = portion.run;
    run.head++;
    if (run.head < run.portions.length) {
      if (run.head >= 1024 && run.head * 2 >= run.portions.length) {
        run.portions.splice(0, run.head);
        run.head = 0;
      }
      return;
    }
    const runs = this.perHost.get(portion.host);
    runs?.delete(run.instance);
    if (runs?.size === 0) this.perHost.delete(portion.host);
  }
}
