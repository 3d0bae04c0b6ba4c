/**
 * The capture reader: serves an MS-LREC session from a capture session's
 * JetStream stream, as a `SessionSource` of netrx/capture, so the session
 * table, the RPC and WebSocket transports and extcap serve it unchanged
 * (one outstanding receive, the Data Completion Timer, NET_EVENT_LOST
 * last). While a client has the session open, a durable consumer reads the
 * stream (filter `netrx.<session>.<host>.>`, or every host when the pattern
 * is a glob, matched here); each EventRecord goes into the session's queue
 * with its host of origin as ActivityId, and each publisher's loss report
 * adds what it grew by to the Lost Event Count. So a buffer's NET_EVENT_LOST
 * is the publishers' loss (refused by the full stream, dropped while NATS
 * was away) plus the reader's own (this session's queue full, a malformed
 * message).
 *
 * A message is acked once every event it put in the session's queue has
 * left in a completed receive (`SessionSourceHold.delivered`), not when it
 * is queued: a reader whose session closes with events still queued (they
 * are discarded) gives those messages back (`nak`), so the next reader on
 * the durable consumer delivers them; a reader killed outright leaves them
 * unacked, and the server delivers them again after `ack_wait`. A message
 * none of whose events were queued (filtered, malformed, refused by a full
 * queue and counted lost) is acked at once.
 *
 * At least once becomes exactly once here: a message whose stream sequence
 * this reader has handled (the last HANDLED_WINDOW of them) is a
 * redelivery (the server restarted before it stored our ack, or `ack_wait`
 * passed while its events waited in the queue) and is skipped; acked again
 * if its events already left. Redeliveries need not come in stream order
 * (messages given back come after newer ones), so this is a set, not a
 * high-water mark.
 *
 * Loss reports come from the session's loss stream (a second durable
 * consumer). They are cumulative per publisher run (`instance`), so a
 * report read twice, late or after later ones never miscounts: only growth
 * is added. For a run it has no count of yet, the reader counts from the
 * report's `prev` (the publisher's previous stored report): either the
 * stream delivers that report first, or the durable consumer acked it
 * before (a reader that restarted), so nothing is counted twice or
 * skipped. The stream keeps the last 1024 reports per run; a reader away
 * while more were written undercounts by the overwritten ones' growth.
 */
import type { SessionSink, SessionSource, SessionSourceHold } from '../../capture/index.js';
import {
  NET_EVENT_DATA_HEADER_LENGTH,
  NetEventDataType,
  isEventRecordAt,
} from '../../wire/index.js';
import type { Clock } from '../../runtime/index.js';
import { systemClock } from '../runtime/index.js';
import {
  lagSamplerFor,
  type LagSampler,
  type LagSettings,
  type SessionLag,
} from './lag-sampler.js';
import type { ConsumePort, ConsumerError, StreamMessage } from './ports.js';
import { RecentKeys } from './recent-keys.js';
import {
  checkClusterSessionName,
  checkHostPattern,
  filterSubject,
  hostActivityId,
  hostMatcher,
  isHostGlob,
  isInstanceName,
  lossFilterSubject,
  lossStreamName,
  parseSubject,
  streamName,
} from './subjects.js';

/** Stream sequences remembered as handled, to skip redeliveries. */
export const HANDLED_WINDOW = 65_536;
/** Publisher batch IDs (`<host>.<instance>.<batch>`) remembered, to skip a batch stored twice. */
export const BATCH_ID_WINDOW = 65_536;
/** How often a glob reader looks for new hosts in the stream. */
export const DISCOVER_EVERY_MS = 2000;

/** A message whose queued events have not all left in a receive yet. */
interface Unacked {
  readonly message: StreamMessage;
  remaining: number;
  /** Events it put in the queue. */
  queued: number;
  /** Its events are being queued now (a receive can complete in the middle). */
  filling: boolean;
}

export interface StreamSessionSourceOptions {
  readonly port: ConsumePort;
  /** The capture session (and stream) to read. */
  readonly session: string;
  /** Which hosts: a name or a glob (`lab-*`). Default `*`. */
  readonly hosts?: string;
  /** The durable consumer's name (`<durable>-loss` reads the loss stream). Default `netrx-reader-<session>`. */
  readonly durable?: string;
  /** Distinct publisher runs remembered for loss accounting. Default 4096. */
  readonly maxPublishers?: number;
  /** Paces a glob reader's look for new hosts (`discoverEveryMs`). Default the system clock. */
  readonly clock?: Clock;
  readonly discoverEveryMs?: number;
  /** A consume loop failed (e.g. 10100: another reader claims a host); it tries again. */
  readonly onError?: (error: ConsumerError) => void;
  /** Samples the host consumers' lag while open, when the port answers consumer info (lag-sampler.ts). */
  readonly lag?: LagSettings;
}

export interface StreamSessionSourceStats {
  readonly messages: number;
  readonly events: number;
  /** Events this session's queue refused (also in its Lost Event Count). */
  readonly queueLost: number;
  /** Loss the publishers reported (the growth of their counts). */
  readonly publisherLost: number;
  /** Items that were not an EventRecord, or messages whose framing broke: each counted one lost. */
  readonly malformed: number;
  /** Messages of hosts the pattern does not match (not this session's). */
  readonly filtered: number;
  /** Loss reports ignored because `maxPublishers` runs were already tracked. */
  readonly untrackedReports: number;
  /**
   * Messages delivered again (stream sequence at or below one already
   * handled): a server that restarted before our acks were stored sends
   * them again. Skipped, so no event is delivered twice.
   */
  readonly redelivered: number;
  /**
   * Messages whose publisher batch ID was already delivered: a retry stored
   * again after the stream's duplicate window. Skipped (acked), not delivered twice.
   */
  readonly duplicates: number;
  /** Hosts this reader has a consumer for (claimed, or trying to claim). */
  readonly claimedHosts: number;
  /** Consume loop failures, by JetStream error code (`other` without one). */
  readonly consumerErrors: Readonly<Record<string, number>>;
  readonly open: boolean;
}

export class StreamSessionSource implements SessionSource {
  readonly session: string;
  readonly hosts: string;
  private readonly port: ConsumePort;
  private readonly durable: string;
  private readonly matches: (host: string) => boolean;
  private readonly maxPublishers: number;
  /** Per `host/instance`: the cumulative loss already added. */
  private readonly lossSeen = new Map<string, number>();
  private readonly activityIds = new Map<string, Uint8Array>();
  private opened = false;
  private counters = {
    messages: 0,
    events: 0,
    queueLost: 0,
    publisherLost: 0,
    malformed: 0,
    filtered: 0,
    untrackedReports: 0,
    redelivered: 0,
    duplicates: 0,
  };
  private readonly consumerErrors: Record<string, number> = {};
  private readonly clock: Clock;
  private readonly discoverEveryMs: number;
  private readonly onError: ((error: ConsumerError) => void) | undefined;
  /** Per host: the event consumer of the open session. */
  private readonly claims = new Map<string, { stop(): void }>();
  private discoverTimer: { cancel(): void } | undefined;
  /** Stream sequences handled (redeliveries are skipped). */
  private readonly handled = new RecentKeys<number>(HANDLED_WINDOW);
  /** Publisher batch IDs delivered (a batch stored twice is skipped). */
  private readonly batchIds = new RecentKeys<string>(BATCH_ID_WINDOW);
  /** Messages whose events are still queued, oldest first, and their sequences. */
  private unacked: Unacked[] = [];
  private unackedHead = 0;
  private readonly unackedSeqs = new Set<number>();
  private lastLossSeq = 0;
  /** Loss reports whose growth is in the session's count, not yet in a delivered NET_EVENT_LOST. */
  private unreportedLoss: { message: StreamMessage }[] = [];
  private readonly lagSampler: LagSampler | undefined;

  constructor(options: StreamSessionSourceOptions) {
    this.port = options.port;
    this.session = checkClusterSessionName(options.session);
    this.hosts = checkHostPattern(options.hosts ?? '*');
    this.durable = options.durable ?? `netrx-reader-${this.session}`;
    this.matches = hostMatcher(this.hosts);
    this.maxPublishers = options.maxPublishers ?? 4096;
    this.clock = options.clock ?? systemClock;
    this.discoverEveryMs = options.discoverEveryMs ?? DISCOVER_EVERY_MS;
    this.onError = options.onError;
    this.lagSampler = lagSamplerFor(this.port, this.clock, options.lag, () =>
      [...this.claims.keys()].map((host) => ({
        host,
        stream: streamName(this.session),
        durable: `${this.durable}-${host}`,
      })),
    );
  }

  /** The host consumers' last lag samples (undefined when the port cannot tell). */
  lag(): SessionLag | undefined {
    return this.lagSampler?.lag();
  }

  stats(): StreamSessionSourceStats {
    return {
      ...this.counters,
      claimedHosts: this.claims.size,
      consumerErrors: { ...this.consumerErrors },
      open: this.opened,
    };
  }

  /**
   * Claims `host`: one consumer with the literal filter `netrx.<session>.<host>.>`
   * and the durable `<durable>-<host>`. On the work-queue stream a glob filter
   * would take (and, acked, delete) every host's events, and a second
   * reader's overlapping filter is refused (10100), so each host is its own claim.
   */
  private claim(sink: SessionSink, host: string): void {
    if (this.claims.has(host) || !this.matches(host)) return;
    const consumer = this.port.consume(
      {
        stream: streamName(this.session),
        filter: filterSubject(this.session, host),
        durable: `${this.durable}-${host}`,
      },
      (message) => this.handle(sink, message),
      (error) => {
        const code = error.code === undefined ? 'other' : String(error.code);
        this.consumerErrors[code] = (this.consumerErrors[code] ?? 0) + 1;
        this.onError?.(error);
      },
    );
    this.claims.set(host, consumer);
  }

  /** A glob reader: claims the matching hosts that have events in the stream now. */
  async discover(sink?: SessionSink): Promise<void> {
    const target = sink ?? this.sink;
    if (!this.opened || target === undefined) return;
    let hosts: readonly string[];
    try {
      hosts = await this.port.streamHosts(streamName(this.session), this.session);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.consumerErrors.other = (this.consumerErrors.other ?? 0) + 1;
      this.onError?.({
        stream: streamName(this.session),
        durable: this.durable,
        code: undefined,
        message,
      });
      return;
    }
    if (!this.opened || this.sink !== target) return;
    for (const host of hosts) this.claim(target, host);
  }

  private sink: SessionSink | undefined;

  private scheduleDiscovery(sink: SessionSink): void {
    this.discoverTimer = this.clock.setTimer(this.discoverEveryMs, () => {
      void this.discover(sink).then(() => {
        if (this.opened && this.sink === sink) this.scheduleDiscovery(sink);
      });
    });
  }

  open(sink: SessionSink): SessionSourceHold {
    this.opened = true;
    this.sink = sink;
    if (isHostGlob(this.hosts)) {
      void this.discover(sink);
      this.scheduleDiscovery(sink);
    } else {
      this.claim(sink, this.hosts);
    }
    this.lagSampler?.start();
    const events = {
      stop: () => {
        this.lagSampler?.stop();
        this.discoverTimer?.cancel();
        this.discoverTimer = undefined;
        for (const consumer of this.claims.values()) consumer.stop();
        this.claims.clear();
        this.sink = undefined;
      },
    };
    const losses = this.port.consume(
      {
        stream: lossStreamName(this.session),
        filter: lossFilterSubject(this.session, this.hosts),
        durable: `${this.durable}-loss`,
      },
      (message) => this.handleLoss(sink, message),
    );
    return {
      close: () => {
        this.opened = false;
        let givenBack = 0;
        for (let i = this.unackedHead; i < this.unacked.length; i++) {
          const entry = this.unacked[i] as Unacked;
          this.unackedSeqs.delete(entry.message.seq);
          if (entry.remaining < entry.queued) {
            // Partly delivered: given back it would deliver those events twice. The rest
            // are discarded with the queue and counted lost in the session's last report.
            entry.message.ack();
            continue;
          }
          // None delivered: the next reader delivers them, so they are not counted lost here.
          this.forget(entry.message);
          entry.message.nak();
          givenBack += entry.remaining;
        }
        this.unacked = [];
        this.unackedHead = 0;
        // Their growth is in the session's count, which its last report (or its next open) carries.
        for (const pending of this.unreportedLoss) pending.message.ack();
        this.unreportedLoss = [];
        events.stop();
        losses.stop();
        return givenBack;
      },
      delivered: (count, lostWaiting) => {
        this.delivered(count);
        if (lostWaiting === 0) {
          for (const pending of this.unreportedLoss) pending.message.ack();
          this.unreportedLoss = [];
        }
      },
    };
  }

  /** Messages unacked because their events wait in the session's queue. */
  get unackedMessages(): number {
    return this.unacked.length - this.unackedHead;
  }

  /** `count` queued events, oldest first, reached the client: ack the messages they emptied. */
  private delivered(count: number): void {
    let left = count;
    while (left > 0 && this.unackedHead < this.unacked.length) {
      const head = this.unacked[this.unackedHead] as Unacked;
      const taken = Math.min(left, head.remaining);
      head.remaining -= taken;
      left -= taken;
      if (head.remaining > 0 || head.filling) break;
      this.unackedHead++;
      this.unackedSeqs.delete(head.message.seq);
      head.message.ack();
    }
    if (this.unackedHead > 1024 && this.unackedHead * 2 > this.unacked.length) {
      this.unacked = this.unacked.slice(this.unackedHead);
      this.unackedHead = 0;
    }
  }

  /** A message given back unhandled: its redelivery is new to whoever reads it. */
  private forget(message: StreamMessage): void {
    this.handled.delete(message.seq);
    if (message.msgId !== undefined) this.batchIds.delete(message.msgId);
  }

  /** One message off the loss stream. */
  private handleLoss(sink: SessionSink, message: StreamMessage): void {
    if (!this.opened) {
      message.nak();
      return;
    }
    if (message.seq <= this.lastLossSeq) {
      message.ack();
      return;
    }
    this.lastLossSeq = message.seq;
    const subject = parseSubject(message.subject, 'netrxloss');
    if (subject !== undefined && subject.session === this.session && this.matches(subject.host)) {
      // Acked once a delivered buffer carried its growth (see `delivered`), or on close.
      if (this.lossReport(sink, subject.host, subject.provider, message.data)) {
        this.unreportedLoss.push({ message });
        return;
      }
    } else if (subject === undefined) {
      this.counters.malformed++;
    }
    message.ack();
  }

  /** One message off the stream (exported for tests through `open`). */
  private handle(sink: SessionSink, message: StreamMessage): void {
    if (!this.opened) {
      // Pulled before the consumer stopped, after the session closed: the next reader's.
      message.nak();
      return;
    }
    if (this.handled.has(message.seq)) {
      this.counters.redelivered++;
      // Still queued: acked when its events leave. Otherwise the server lost our ack.
      if (!this.unackedSeqs.has(message.seq)) message.ack();
      return;
    }
    this.handled.add(message.seq);
    this.counters.messages++;
    const subject = parseSubject(message.subject);
    if (subject === undefined || subject.session !== this.session) {
      this.malformed(sink);
      message.ack();
      return;
    }
    if (!this.matches(subject.host)) {
      // Never acked: on the work queue an ack deletes another reader's event. (A
      // literal per-host filter never delivers one; this guards a stale consumer.)
      this.counters.filtered++;
      return;
    }
    const batchId = message.msgId;
    if (batchId !== undefined && batchId.startsWith(`${subject.host}.`)) {
      if (this.batchIds.has(batchId)) {
        // The same batch stored twice (retried after the duplicate window): delivered once.
        this.counters.duplicates++;
        message.ack();
        return;
      }
      this.batchIds.add(batchId);
    }
    // In the list before its events are queued: a receive completing on the way counts them.
    const entry: Unacked = { message, remaining: 0, queued: 0, filling: true };
    this.unacked.push(entry);
    this.unackedSeqs.add(message.seq);
    this.events(sink, subject.host, message.data, entry);
    entry.filling = false;
    if (entry.remaining === 0) {
      // None queued, or all already taken by a receive; it is still the last entry.
      this.unacked.pop();
      this.unackedSeqs.delete(message.seq);
      message.ack();
    }
  }

  /**
   * One message: an EVENT_BUFFER of EventRecord items. Each good record goes
   * to the session; a bad item is one event lost, and the walk stops there
   * when the framing itself is broken (what follows cannot be found).
   * Counts in `entry` the records the session's queue took.
   */
  private events(sink: SessionSink, host: string, data: Uint8Array, entry: Unacked): void {
    let activityId = this.activityIds.get(host);
    if (activityId === undefined) {
      activityId = hostActivityId(host);
      if (this.activityIds.size < this.maxPublishers) this.activityIds.set(host, activityId);
    }
    // Checked in place, nothing decoded: the record's bytes go to the queue as they are.
    // A plain Uint8Array over the message (the client's is a Buffer, whose subarray costs more).
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    let at = 0;
    while (at < bytes.length) {
      const size = bytes.length - at >= NET_EVENT_DATA_HEADER_LENGTH ? view.getUint32(at, true) : 0;
      if (size < NET_EVENT_DATA_HEADER_LENGTH || size > bytes.length - at) {
        this.malformed(sink);
        return;
      }
      const start = at + NET_EVENT_DATA_HEADER_LENGTH;
      const length = size - NET_EVENT_DATA_HEADER_LENGTH;
      at += size;
      if (
        view.getUint16(start - NET_EVENT_DATA_HEADER_LENGTH + 4, true) !==
          NetEventDataType.EventRecord ||
        !isEventRecordAt(view, start, length)
      ) {
        this.malformed(sink);
        continue;
      }
      const record = bytes.subarray(start, at);
      this.counters.events++;
      entry.remaining++;
      entry.queued++;
      if (!sink.record(record, activityId)) {
        entry.remaining--;
        entry.queued--;
        this.counters.queueLost++;
      }
    }
    if (data.length === 0) this.malformed(sink);
  }

  private malformed(sink: SessionSink): void {
    this.counters.malformed++;
    sink.lost(1);
  }

  /** Adds a report's growth to the session; true if it grew. */
  private lossReport(sink: SessionSink, host: string, instance: string, data: Uint8Array): boolean {
    const report = parseLossReport(data);
    if (report === undefined || report.instance !== instance) {
      // Not a count we can add: the only safe thing is to say so (counted malformed).
      this.counters.malformed++;
      return false;
    }
    const key = `${host}/${report.instance}`;
    const seen = this.lossSeen.get(key);
    if (seen === undefined && this.lossSeen.size >= this.maxPublishers) {
      this.counters.untrackedReports++;
      return false;
    }
    // A run not seen yet counts from the report before this one, which the
    // consumer acked earlier (another reader, or this one before a restart)
    // or which the stream delivers first.
    const before = seen ?? report.prev;
    if (report.lost <= before) return false;
    this.lossSeen.set(key, report.lost);
    const grown = report.lost - before;
    this.counters.publisherLost += grown;
    sink.lost(grown);
    return true;
  }
}

interface LossReport {
  readonly instance: string;
  readonly lost: number;
  /** The count of the publisher's previous stored report (0 for its first). */
  readonly prev: number;
}

export function parseLossReport(data: Uint8Array): LossReport | undefined {
  if (data.length > 1024) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(data));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { instance, lost, prev } = value as { instance?: unknown; lost?: unknown; prev?: unknown };
  if (!isInstanceName(instance) || !isCount(lost)) return undefined;
  const before = prev === undefined ? 0 : prev;
  if (!isCount(before) || before > lost) return undefined;
  return { instance, lost, prev: before };
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
