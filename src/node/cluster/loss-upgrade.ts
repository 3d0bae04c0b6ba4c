/**
 * The upgrade from a netrx that kept no loss floors (verify16c V1, V2),
 * run at every bind while its old durables exist. Its loss durables hold, in their ack floor, what its
 * readers counted; the floors (loss-floors.ts) do not exist yet. Without
 * this step the new loss durable reads every retained report, finds no
 * floor and counts all of that loss again: a phantom NET_EVENT_LOST.
 *
 * So each time a reader binds its loss durable, every *legacy* loss
 * durable of the session (`LossDurableUpgrade`) gives its ack floor: each
 * report at or below its `ack_floor.stream_seq` on its filter is taken as
 * delivered, per host and publisher run the highest count becomes a floor,
 * stored on the host's floor subject in the floor stream when it is higher
 * than the newest one stored there or on the legacy subject of the loss
 * stream (review16e L3; awaited: a floor not stored fails the bind, which is tried
 * again, with the old durables still there), and handed to the reader
 * before its own durable delivers anything. Then the reader's own legacy
 * durables go: its current one, drifted for want of `inactive_threshold`
 * (V1, made again by consumer-config.ts), and its pre-N1 default id's (V2,
 * legacy-reader-id.ts).
 *
 * Only durables of the shape netrx gave its loss durables before floors
 * are adopted (legacy-loss-durable.ts): another consumer of the stream, an
 * operator's alerting durable say, acks for its own reasons, and taking
 * its ack floor would suppress loss with no count (review16d D2).
 *
 * What an ack meant decides which durables are legacy:
 *
 * - A current reader acks reports it does not count: those of a host held
 *   by another reader (a standby, review16 R5) or whose floor is being
 *   read (kept in memory, acked at once), and at a close, counted ones
 *   whose NET_EVENT_LOST no client got. Its ack floor is not a delivery
 *   mark. It needs none: it publishes a floor whenever its client got
 *   loss, so a drifted current durable (review16c N4, new `--hosts`) is
 *   deleted and made again as before, and the new one counts above those
 *   floors. Every loss durable made since floors exist has an
 *   `inactive_threshold` (review16c N8) and none made before has one: a
 *   netrx-shaped loss durable without it is legacy, one with it is never
 *   adopted.
 * - A legacy reader (main c5ee538 and before) acked what it counted
 *   (delivered, or carried by its session's last count), what it kept of a
 *   host another reader held (R5 existed), and reports with no growth.
 *   Its acks of a standby are taken as the holder's deliveries: the holder
 *   read the same reports on its own durable and counted them. Where that
 *   holder died before its client got them (the old N2), the loss was
 *   never delivered before the upgrade and stays uncounted after it: an
 *   undercount, never a second count.
 *
 * Reports removed by the loss stream's limits before the upgrade are not
 * read; their growth is carried by the later reports of their run (counts
 * are cumulative). An old durable shared by two machines (the pre-N1 id
 * collision) covers both machines' acks, which is what both delivered.
 */
import type { PublishOutcome } from './ports.js';
import {
  legacyLossFloorSubject,
  lossFloorSubject,
  parseLossFloor,
  encodeLossFloor,
  type LossFloor,
} from './loss-floors.js';
import { parseLossReport } from './loss-reports.js';
import { floorStreamName, parseSubject } from './subjects.js';
import { isLegacyLossDurable } from './legacy-loss-durable.js';

/** Publisher runs an upgrade takes floors for (the reader's default `maxPublishers`). */
export const UPGRADE_MAX_RUNS = 4096;

/** Per host: the loss floor taken from adopted durables (publisher run → count delivered). */
export type AdoptedFloors = ReadonlyMap<string, LossFloor>;

/** One loss report as stored. */
export interface StoredReport {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly seq: number;
}

/** What a loss durable's consumer info says, as far as an upgrade needs it. */
export interface LossDurableInfo {
  readonly config: Readonly<Record<string, unknown>>;
  /** `ack_floor.stream_seq`: every message of its filter at or below it was acked. */
  readonly ackFloor: number;
}

/** The JetStream calls an upgrade needs (nats-loss-upgrade.ts; the fake answers them too). */
export interface LossUpgradePort {
  /**
   * The consumers of `stream` made without `inactive_threshold` (one list
   * request); which of them netrx made is `LossDurableUpgrade`'s to judge.
   */
  legacyDurables(
    stream: string,
  ): Promise<readonly { readonly name: string; readonly info: LossDurableInfo }[]>;
  /** The reports on `filter` with a stream sequence at or below `upTo`, in stream order. */
  reportsUpTo(stream: string, filter: string, upTo: number): AsyncIterable<StoredReport>;
  lastMessage(stream: string, subject: string): Promise<Uint8Array | undefined>;
  publish(subject: string, data: Uint8Array, msgId: string): Promise<PublishOutcome>;
  delete(stream: string, durable: string): Promise<void>;
}

/**
 * The floors that reports at or below an ack floor say were delivered:
 * per host of `session`, each run's highest count, for at most `maxRuns`
 * runs. Reports that are not a run's count (malformed, another session)
 * are skipped.
 */
export class DeliveredFloors {
  readonly floors = new Map<string, Map<string, number>>();
  private readonly session: string;
  private readonly maxRuns: number;
  private runs = 0;

  constructor(session: string, maxRuns: number) {
    this.session = session;
    this.maxRuns = maxRuns;
  }

  add(report: StoredReport): void {
    const subject = parseSubject(report.subject, 'netrxloss');
    if (subject === undefined || subject.session !== this.session) return;
    const parsed = parseLossReport(report.data);
    if (parsed === undefined || parsed.instance !== subject.provider) return;
    let host = this.floors.get(subject.host);
    const before = host?.get(parsed.instance);
    if (before === undefined) {
      if (this.runs >= this.maxRuns) return;
      this.runs++;
    }
    if (host === undefined) this.floors.set(subject.host, (host = new Map<string, number>()));
    if (before === undefined || parsed.lost > before) host.set(parsed.instance, parsed.lost);
  }
}

/** `stored` raised by `delivered`, run by run; undefined when it raises nothing. */
export function raisedFloor(stored: LossFloor, delivered: LossFloor): LossFloor | undefined {
  const merged = new Map(stored);
  let raised = false;
  for (const [instance, lost] of delivered) {
    if ((merged.get(instance) ?? -1) < lost) {
      merged.set(instance, lost);
      raised = true;
    }
  }
  return raised ? merged : undefined;
}

/** A floor the upgrade could not store: the old durable is kept, and the next attempt tries again. */
export class LossFloorNotStored extends Error {
  readonly code = 'ERR_NATS_LOSS_FLOOR_NOT_STORED';
  constructor(host: string, reason: string) {
    super(`the loss floor of ${host} taken from an old loss durable was not stored: ${reason}`);
    this.name = 'LossFloorNotStored';
  }
}

/**
 * Stores as floors what the legacy loss durable `durable` (its consumer
 * info: `info`) acked, each raising the newest stored floor of its host;
 * returns every host's floor as it now stands. The durable is not deleted.
 */
export async function storeDeliveredFloors(
  port: LossUpgradePort,
  stream: string,
  durable: string,
  info: LossDurableInfo,
  maxRuns: number,
): Promise<AdoptedFloors> {
  const session = stream.slice('netrx-loss-'.length);
  const filter = info.config.filter_subject;
  const delivered = new DeliveredFloors(session, maxRuns);
  if (typeof filter === 'string' && info.ackFloor > 0) {
    for await (const report of port.reportsUpTo(stream, filter, info.ackFloor)) {
      delivered.add(report);
    }
  }
  const adopted = new Map<string, LossFloor>();
  const storedFloor = async (floorStream: string, floorSubject: string) => {
    const data = await port.lastMessage(floorStream, floorSubject);
    return (data === undefined ? undefined : parseLossFloor(data, maxRuns)) ?? new Map();
  };
  for (const [host, runs] of delivered.floors) {
    const subject = lossFloorSubject(session, host);
    // The floor stream's floor, and an old reader's on the legacy subject (review16e L3).
    const current = await storedFloor(floorStreamName(session), subject);
    const legacy = await storedFloor(stream, legacyLossFloorSubject(session, host));
    const stored = raisedFloor(current, legacy) ?? current;
    const raised = raisedFloor(stored, runs);
    adopted.set(host, raised ?? stored);
    if (raised === undefined) continue;
    // Unique per attempt: a second attempt must store its floor, not meet the duplicate window.
    const msgId = `${durable}.${host}.floor.adopted.${info.ackFloor}.${Date.now()}`;
    const outcome = await port.publish(subject, encodeLossFloor(raised), msgId);
    if (outcome.kind !== 'stored') throw new LossFloorNotStored(host, outcome.reason);
  }
  return adopted;
}

/** Per legacy durable: the ack floor its floors were taken at, and those floors. */
export type AdoptionCache = Map<
  string,
  { readonly ackFloor: number; readonly floors: AdoptedFloors }
>;

/**
 * A reader's loss durable across an upgrade, for one bind of it. Every
 * legacy loss durable of the session (netrx's shape, legacy-loss-durable.ts)
 * gives its floors (one consumer list request when there is none), not
 * only this reader's own: the server
 * whose old client got a host's loss is not always the one that holds the
 * host after the upgrade, and all of them must be floors before this
 * reader counts (a holder that read only its own would count a standby's
 * delivered loss again, found by nats-loss-upgrade.property.test.ts).
 * This reader's own legacy durables (`own`: `earlier` names and its
 * current one) are then deleted, so they do not live for ever (V2); the
 * current one is made again by `ensureCaptureConsumer`. Another server's
 * legacy durable is left to that server: it may still be running the old
 * netrx. So this runs at every bind, not only the first start after an
 * upgrade: while an old server runs, its ack floor moves, and what it
 * delivered must be floors before this reader's next new durable counts.
 * `cache` (kept per link) spares reading again a durable whose ack floor
 * has not moved. `floors` holds all that was adopted, per host.
 */
export class LossDurableUpgrade {
  readonly floors = new Map<string, LossFloor>();
  private readonly port: LossUpgradePort;
  private readonly stream: string;
  private readonly maxRuns: number;
  private readonly cache: AdoptionCache;

  constructor(port: LossUpgradePort, stream: string, maxRuns: number, cache: AdoptionCache) {
    this.port = port;
    this.stream = stream;
    this.maxRuns = maxRuns;
    this.cache = cache;
  }

  /** Takes every legacy durable's floors, then deletes those of `own` names (the current one aside). */
  async adopt(current: string, earlier: readonly string[]): Promise<void> {
    const session = this.stream.slice('netrx-loss-'.length);
    const own = [current, ...earlier];
    for (const { name, info } of await this.port.legacyDurables(this.stream)) {
      // Not netrx's (review16d D2): its acks say nothing of what a client got.
      if (!isLegacyLossDurable({ session, name, config: info.config }, own)) continue;
      const cached = this.cache.get(name);
      let floors = cached?.floors;
      if (cached?.ackFloor !== info.ackFloor || floors === undefined) {
        floors = await storeDeliveredFloors(this.port, this.stream, name, info, this.maxRuns);
        this.cache.set(name, { ackFloor: info.ackFloor, floors });
      }
      this.merge(floors);
      if (name !== current && earlier.includes(name)) {
        await this.port.delete(this.stream, name);
        this.cache.delete(name);
      }
    }
  }

  private merge(adopted: AdoptedFloors): void {
    for (const [host, floor] of adopted) {
      const before = this.floors.get(host) ?? new Map<string, number>();
      this.floors.set(host, raisedFloor(before, floor) ?? before);
    }
  }
}

/**
 * The hosts of one reader whose floor came from an old loss durable, each
 * counted once (`floorsAdopted`): adoption runs at every bind while an old
 * server's durable exists, and counting each bind's floors made the figure
 * grow for ever (review16d). At most `maxHosts` are remembered.
 */
export class AdoptedHosts {
  private readonly hosts = new Set<string>();
  private readonly maxHosts: number;

  constructor(maxHosts: number) {
    this.maxHosts = maxHosts;
  }

  add(floors: AdoptedFloors): void {
    for (const host of floors.keys()) {
      if (this.hosts.size >= this.maxHosts) return;
      this.hosts.add(host);
    }
  }

  get size(): number {
    return this.hosts.size;
  }
}
