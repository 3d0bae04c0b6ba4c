/**
 * The reader's counted loss and its floors (review16c N2, N5; verify16d
 * N2): the ledger of publisher runs (loss-reports.ts), the growth in the
 * session's count that has not reached the client yet (waiting-loss.ts),
 * and the floors read at a takeover and stored as the client gets the loss
 * (loss-floors.ts). The reader (reader.ts) decides what a message is; this
 * keeps every count a floor may say in one place, so a floor is never
 * ahead of what a client got nor below what another holder's client got.
 */
import type { ConsumePort, StreamMessage } from './ports.js';
import { LossFloors, type DatedLossFloor, type LossFloorStats } from './loss-floors.js';
import { LossLedger, type LossReportOutcome } from './loss-reports.js';
import { PartlyDelivered } from './partly-delivered.js';
import { WaitingLoss } from './waiting-loss.js';

export class ReaderLoss {
  private readonly ledger: LossLedger;
  private readonly waiting = new WaitingLoss();
  private readonly floors: LossFloors;
  /**
   * Hosts whose newest floor was read (`raiseTo`) at this open: only theirs
   * are stored (review16e L5). Before that read returns, this reader's
   * counts may be stale, below another holder's floor.
   */
  private readonly readThisOpen = new Set<string>();
  /** Hosts whose client got loss before their floor read returned: stored once it has. */
  private readonly held = new Set<string>();
  private readonly parts = new PartlyDelivered();

  constructor(port: ConsumePort, session: string, durable: string, maxRuns: number) {
    this.ledger = new LossLedger(maxRuns);
    this.floors = new LossFloors(port, session, durable, maxRuns);
  }

  floorStats(): LossFloorStats {
    return this.floors.stats();
  }

  /** True while some of `host`'s counted loss has not reached the client, or its floor is held. */
  owes(host: string): boolean {
    return this.waiting.owes(host) || this.held.has(host);
  }

  /** The hosts whose counted loss has not all reached the client, or whose floor is held. */
  hostsOwed(): readonly string[] {
    return [...new Set([...this.waiting.hosts(), ...this.held])];
  }

  /**
   * The session opened (again): no host's floor is read at this open yet,
   * so none is stored until it is (a reopen's counts predate another
   * holder's floors, review16e L5).
   */
  opened(): void {
    this.readThisOpen.clear();
    this.parts.opened();
  }

  /** The session closed with `message` partly delivered: acked once its rest's loss reached a client. */
  partlyDelivered(message: StreamMessage): void {
    this.parts.add(message, this.waiting.countedTotal);
  }

  /** A redelivery of a message partly delivered at a close: true if so (acked with the first). */
  redeliveredPart(message: StreamMessage): boolean {
    return this.parts.redelivered(message);
  }

  /**
   * What one report of `host`'s run adds. When it grew, the caller puts the
   * growth in the session's count next (`sink.lost`): it is the newest there,
   * and `message` (if any) is acked once it reached the client, or at `closed`.
   */
  add(
    host: string,
    instance: string,
    data: Uint8Array,
    now: number,
    message?: StreamMessage,
  ): LossReportOutcome {
    const outcome = this.ledger.add(host, instance, data, now);
    if (outcome.kind === 'grew') {
      const after = this.ledger.lostOf(host, instance) ?? outcome.by;
      this.waiting.counted(host, instance, after - outcome.by, outcome.by, message);
    }
    return outcome;
  }

  /** The newest floor of `host`, read when its claim became ours. */
  readFloor(host: string): Promise<DatedLossFloor> {
    return this.floors.read(host);
  }

  /**
   * Counts `host`'s runs above `floor` (another holder's client got that
   * much of each). Returns the runs the ledger had no slot for: their loss
   * below the floor may be counted again (the reader counts them untracked).
   */
  raiseTo(host: string, floor: DatedLossFloor, now: number): number {
    let unraised = 0;
    for (const [instance, lost] of floor.runs) {
      if (!this.ledger.raise(host, instance, lost, now, floor.reportedAt.get(instance))) unraised++;
      this.waiting.raise(host, instance, lost);
    }
    // Read, or failed to (then `floor` is empty and counted unread): what our client got
    // is stored now, raised as far as the read says. Never storing it would be wrong too:
    // the next holder would count all of it again.
    this.readThisOpen.add(host);
    if (this.held.delete(host)) this.publish(host);
    return unraised;
  }

  /**
   * Floors an old netrx's loss durable gave at an upgrade (loss-upgrade.ts):
   * counted above them. Returns the runs with no slot, as `raiseTo`.
   */
  adopt(floors: ReadonlyMap<string, ReadonlyMap<string, number>>, now: number): number {
    let unraised = 0;
    for (const [host, floor] of floors) {
      for (const [instance, lost] of floor) {
        if (!this.ledger.raise(host, instance, lost, now)) unraised++;
        // As `raiseTo` (review16e M1): a run whose growth waits here must not floor below it.
        this.waiting.raise(host, instance, lost);
      }
    }
    return unraised;
  }

  /**
   * A delivery left `lostWaiting` of the session's count waiting: the
   * reports whose growth reached the client are acked and their hosts'
   * floors stored, each run up to what the client got of it (verify16d N2:
   * not only once nothing waits).
   */
  delivered(lostWaiting: number): void {
    for (const host of this.waiting.delivered(lostWaiting)) {
      if (this.readThisOpen.has(host)) this.publish(host);
      else this.held.add(host);
    }
    this.parts.reached(this.waiting.deliveredTotal, this.waiting.waiting, lostWaiting);
  }

  /**
   * Stores `host`'s floor: every run the ledger has of it (the next holder
   * reads this one message only, so it is the whole host, never a delta),
   * a run with loss waiting at what the client got of it.
   *
   * Stored also for a host whose claim this reader has lost since its read
   * (a partition past the claim's idle threshold): its client did get that
   * loss. Left unstored, a next holder whose read comes later counts it
   * again for certain; stored, the newest floor goes below the next
   * holder's only if that holder already read and stored above it, which
   * is the case where it counted this loss again anyway (at least once).
   */
  private publish(host: string): void {
    const runs = this.ledger.runsOf(host);
    for (const [instance, delivered] of this.waiting.deliveredRuns(host)) {
      const run = runs.get(instance);
      if (run !== undefined) runs.set(instance, { lost: delivered, reportedAt: run.reportedAt });
    }
    this.floors.publish(host, runs);
  }

  /**
   * The session closed: the reports waiting are acked (their growth is in
   * the session's count, which its next report carries). Their floors wait
   * for that delivery: a process that stops first never gave it to a
   * client, so the next holder counts it (review16c N2).
   */
  closed(): void {
    this.waiting.ackAll();
  }
}
