/**
 * Loss floors (review16c N2, N5): per host, the cumulative loss of each
 * publisher run that has reached a client of the host's holder. The holder
 * publishes its floor as its client gets the loss (a delivered
 * NET_EVENT_LOST carried some of the host's counted loss, verify16d N2:
 * also when more waits, reader-loss.ts; a session closed first publishes
 * it at its next such delivery after a reopen), on the subject
 * `netrxfloor.<session>.<host>` of the session's floor stream (its own,
 * `max_msgs_per_subject: 1`: one floor per host, review16e L3; only readers
 * publish there). The next holder of the host, a standby or a cold
 * replacement alike, reads the newest floor before it counts any of the
 * host's reports, and counts only growth above it:
 *
 * - the holder died before its client got the loss: the floor is below
 *   it, so the next holder counts it (N2);
 * - the holder's client got it: the floor covers it, so a replacement
 *   that reads every retained report again counts none of it (N5);
 * - a standby beside a live holder counts nothing until it holds the host
 *   (R5).
 *
 * A netrx before the floor stream stored floors in the loss stream, on
 * `netrxloss.<session>.<host>.floor.acked` (1,024 kept per host, which
 * filled the stream: L3). The read takes that legacy floor too, per run
 * the higher count, so the floors an old reader stored before the upgrade
 * (or still stores, in a mixed fleet) are not counted again here; this
 * reader never stores one there.
 *
 * The one window left is a holder that dies after its client got a
 * buffer's loss and before NATS stored that buffer's floor (one publish
 * round trip): the next holder counts that buffer's loss again (at least
 * once, as for events).
 *
 * A floor also says when each run was last reported (`reportedAt`, the
 * holder's clock, review16d D1), so the next holder forgets a run as the
 * loss stream does, not a retention after each takeover; a floor without
 * it (an older netrx, an adopted one) dates its runs at the takeover.
 */
import type { ConsumePort, PublishPort } from './ports.js';
import type { TrackedRun } from './loss-reports.js';
import { floorStreamName, isInstanceName, lossStreamName } from './subjects.js';

/** The floor of one host: per publisher run, the loss its holders' clients got. */
export type LossFloor = ReadonlyMap<string, number>;

/** A floor as read: its runs' counts, and when those it dates were last reported. */
export interface DatedLossFloor {
  readonly runs: LossFloor;
  readonly reportedAt: ReadonlyMap<string, number>;
}

/** Where a host's floor is stored: its subject in the session's floor stream. */
export function lossFloorSubject(session: string, host: string): string {
  return `netrxfloor.${session}.${host}`;
}

/**
 * Where a netrx before the floor stream stored a host's floor, in the loss
 * stream (five tokens: no loss durable's filter, `netrxloss.<session>.<host|*>.*`,
 * delivers it). Read at a takeover, never written.
 */
export function legacyLossFloorSubject(session: string, host: string): string {
  return `netrxloss.${session}.${host}.floor.acked`;
}

/**
 * Two floors of one host as one: per run the higher count. A run is dated
 * (`reportedAt`) at the later of its dates, and undated (the takeover's
 * time) when a floor that has it gives it none, as `LossLedger.raise`
 * takes a floor's date: never earlier than either says.
 */
export function mergeLossFloors(a: DatedLossFloor, b: DatedLossFloor): DatedLossFloor {
  const runs = new Map(a.runs);
  for (const [instance, lost] of b.runs) {
    runs.set(instance, Math.max(lost, runs.get(instance) ?? 0));
  }
  const reportedAt = new Map<string, number>();
  for (const instance of runs.keys()) {
    const dates = [a, b]
      .filter((floor) => floor.runs.has(instance))
      .map((floor) => floor.reportedAt.get(instance));
    if (dates.every((at) => at !== undefined)) reportedAt.set(instance, Math.max(...dates));
  }
  return { runs, reportedAt };
}

export function encodeLossFloor(
  floor: LossFloor,
  reportedAt?: ReadonlyMap<string, number>,
): Uint8Array {
  const runs = Object.fromEntries(floor);
  const body =
    reportedAt === undefined ? { runs } : { runs, reportedAt: Object.fromEntries(reportedAt) };
  return new TextEncoder().encode(JSON.stringify(body));
}

/** When a floor's runs were last reported (runs it dates with no valid time are left out). */
export function parseLossFloorReportedAt(data: Uint8Array): Map<string, number> {
  const dated = new Map<string, number>();
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(data));
  } catch {
    return dated;
  }
  const reportedAt = (value as { reportedAt?: unknown } | null)?.reportedAt;
  if (typeof reportedAt !== 'object' || reportedAt === null) return dated;
  for (const [instance, at] of Object.entries(reportedAt)) {
    if (isInstanceName(instance) && Number.isSafeInteger(at)) dated.set(instance, at as number);
  }
  return dated;
}

/** A floor as stored; undefined when it is not one (then it counts as none). */
export function parseLossFloor(data: Uint8Array, maxRuns: number): LossFloor | undefined {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(data));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const runs = (value as { runs?: unknown }).runs;
  if (typeof runs !== 'object' || runs === null || Array.isArray(runs)) return undefined;
  const floor = new Map<string, number>();
  for (const [instance, lost] of Object.entries(runs)) {
    if (!isInstanceName(instance) || !Number.isSafeInteger(lost) || (lost as number) < 0) {
      return undefined;
    }
    if (floor.size >= maxRuns) break;
    floor.set(instance, lost as number);
  }
  return floor;
}

export interface LossFloorStats {
  /** Floors published (the holder's client got the loss). */
  readonly published: number;
  /** Floors not stored (server away): the next holder may count that loss again. */
  readonly unsent: number;
  /** Floors that could not be read or parsed at a takeover: all kept loss counted. */
  readonly unread: number;
}

/** A reader's floors: read at a takeover, published as its client gets the loss. */
export class LossFloors {
  private readonly port: ConsumePort;
  private readonly session: string;
  private readonly durable: string;
  private readonly maxRuns: number;
  private sent = 0;
  private counters = { published: 0, unsent: 0, unread: 0 };

  constructor(port: ConsumePort, session: string, durable: string, maxRuns: number) {
    this.port = port;
    this.session = session;
    this.durable = durable;
    this.maxRuns = maxRuns;
  }

  stats(): LossFloorStats {
    return { ...this.counters };
  }

  /**
   * The newest floor of `host`: the floor stream's, raised by the legacy one
   * in the loss stream (an older netrx's). Empty when there is neither; a
   * floor that cannot be read or parsed counts `unread` and is taken as none.
   */
  async read(host: string): Promise<DatedLossFloor> {
    const [current, legacy] = await Promise.all([
      this.readOne(floorStreamName(this.session), lossFloorSubject(this.session, host)),
      this.readOne(lossStreamName(this.session), legacyLossFloorSubject(this.session, host)),
    ]);
    return mergeLossFloors(current, legacy);
  }

  private async readOne(stream: string, subject: string): Promise<DatedLossFloor> {
    const none = { runs: new Map<string, number>(), reportedAt: new Map<string, number>() };
    if (this.port.lastMessage === undefined) return none;
    try {
      const data = await this.port.lastMessage(stream, subject);
      if (data === undefined) return none;
      const floor = parseLossFloor(data, this.maxRuns);
      if (floor === undefined) this.counters.unread++;
      return floor === undefined
        ? none
        : { runs: floor, reportedAt: parseLossFloorReportedAt(data) };
    } catch {
      this.counters.unread++;
      return none;
    }
  }

  /** Stores `runs` as `host`'s newest floor (not awaited: a floor not stored is counted `unsent`). */
  publish(host: string, runs: ReadonlyMap<string, TrackedRun>): void {
    const floor = new Map([...runs].map(([instance, run]) => [instance, run.lost]));
    const reportedAt = new Map([...runs].map(([instance, run]) => [instance, run.reportedAt]));
    // The reader's port may publish too (the NATS link and the fake do): floors need it.
    const publish = (this.port as Partial<PublishPort>).publish;
    if (publish === undefined || floor.size === 0) return;
    // Unique per floor: a retry of the duplicate window is never what is wanted here.
    const msgId = `${this.durable}.${host}.floor.${++this.sent}.${Date.now()}`;
    this.counters.published++;
    void publish
      .call(this.port, this.subject(host), encodeLossFloor(floor, reportedAt), msgId)
      .then((outcome) => {
        if (outcome.kind !== 'stored') this.counters.unsent++;
      });
  }

  private subject(host: string): string {
    // Only the floor stream: the legacy subject is read, never written (review16e L3).
    return lossFloorSubject(this.session, host);
  }
}
