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
import { WaitingLoss } from './waiting-loss.js';

export class ReaderLoss {
  private readonly ledger: LossLedger;
  private readonly waiting = new WaitingLoss();
  private readonly floors: LossFloors;

  constructor(port: ConsumePort, session: string, durable: string, maxRuns: number) {
    this.ledger = new LossLedger(maxRuns);
    this.floors = new LossFloors(port, session, durable, maxRuns);
  }

  floorStats(): LossFloorStats {
    return this.floors.stats();
  }

  /** True while some of `host`'s counted loss has not reached the client (its floor waits). */
  owes(host: string): boolean {
    return this.waiting.owes(host);
  }

  /** The hosts whose counted loss has not all reached the client. */
  hostsOwed(): readonly string[] {
    return this.waiting.hosts();
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
      const runs = this.ledger.runsOf(host);
      for (const [instance, delivered] of this.waiting.deliveredRuns(host)) {
        const run = runs.get(instance);
        if (run !== undefined) runs.set(instance, { lost: delivered, reportedAt: run.reportedAt });
      }
      this.floors.publish(host, runs);
    }
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
