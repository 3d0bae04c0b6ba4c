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
 * At least once becomes exactly once here: the consumer delivers in stream
 * order, so a message at or below the highest sequence handled is a
 * redelivery (the server restarted before it stored our ack) and is skipped.
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
import type { SessionSink, SessionSource } from '../../capture/index.js';
import {
  NET_EVENT_DATA_HEADER_LENGTH,
  NetEventDataType,
  parseEventRecord,
} from '../../wire/index.js';
import type { ConsumePort, StreamMessage } from './ports.js';
import {
  checkClusterSessionName,
  checkHostPattern,
  filterSubject,
  hostActivityId,
  hostMatcher,
  isInstanceName,
  lossFilterSubject,
  lossStreamName,
  parseSubject,
  streamName,
} from './subjects.js';

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
  };
  /** The highest stream sequence handled: the consumer delivers in stream order. */
  private lastSeq = 0;
  private lastLossSeq = 0;

  constructor(options: StreamSessionSourceOptions) {
    this.port = options.port;
    this.session = checkClusterSessionName(options.session);
    this.hosts = checkHostPattern(options.hosts ?? '*');
    this.durable = options.durable ?? `netrx-reader-${this.session}`;
    this.matches = hostMatcher(this.hosts);
    this.maxPublishers = options.maxPublishers ?? 4096;
  }

  stats(): StreamSessionSourceStats {
    return { ...this.counters, open: this.opened };
  }

  open(sink: SessionSink): { close(): void } {
    this.opened = true;
    const events = this.port.consume(
      {
        stream: streamName(this.session),
        filter: filterSubject(this.session, this.hosts),
        durable: this.durable,
      },
      (message) => this.handle(sink, message),
    );
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
        events.stop();
        losses.stop();
      },
    };
  }

  /** One message off the loss stream. */
  private handleLoss(sink: SessionSink, message: StreamMessage): void {
    if (message.seq <= this.lastLossSeq) {
      message.ack();
      return;
    }
    this.lastLossSeq = message.seq;
    const subject = parseSubject(message.subject, 'netrxloss');
    if (subject !== undefined && subject.session === this.session && this.matches(subject.host)) {
      this.lossReport(sink, subject.host, subject.provider, message.data);
    } else if (subject === undefined) {
      this.counters.malformed++;
    }
    message.ack();
  }

  /** One message off the stream (exported for tests through `open`). */
  private handle(sink: SessionSink, message: StreamMessage): void {
    if (message.seq <= this.lastSeq) {
      this.counters.redelivered++;
      message.ack();
      return;
    }
    this.lastSeq = message.seq;
    this.counters.messages++;
    const subject = parseSubject(message.subject);
    if (subject === undefined || subject.session !== this.session) {
      this.malformed(sink);
      message.ack();
      return;
    }
    if (!this.matches(subject.host)) {
      this.counters.filtered++;
      message.ack();
      return;
    }
    this.events(sink, subject.host, message.data);
    message.ack();
  }

  /**
   * One message: an EVENT_BUFFER of EventRecord items. Each good record goes
   * to the session; a bad item is one event lost, and the walk stops there
   * when the framing itself is broken (what follows cannot be found).
   */
  private events(sink: SessionSink, host: string, data: Uint8Array): void {
    let activityId = this.activityIds.get(host);
    if (activityId === undefined) {
      activityId = hostActivityId(host);
      if (this.activityIds.size < this.maxPublishers) this.activityIds.set(host, activityId);
    }
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    let at = 0;
    while (at < data.length) {
      const size = data.length - at >= NET_EVENT_DATA_HEADER_LENGTH ? view.getUint32(at, true) : 0;
      if (size < NET_EVENT_DATA_HEADER_LENGTH || size > data.length - at) {
        this.malformed(sink);
        return;
      }
      const record = data.subarray(at + NET_EVENT_DATA_HEADER_LENGTH, at + size);
      at += size;
      if (
        view.getUint16(at - size + 4, true) !== NetEventDataType.EventRecord ||
        !parseEventRecord(record).ok
      ) {
        this.malformed(sink);
        continue;
      }
      this.counters.events++;
      if (!sink.record(record, activityId)) this.counters.queueLost++;
    }
    if (data.length === 0) this.malformed(sink);
  }

  private malformed(sink: SessionSink): void {
    this.counters.malformed++;
    sink.lost(1);
  }

  private lossReport(sink: SessionSink, host: string, instance: string, data: Uint8Array): void {
    const report = parseLossReport(data);
    if (report === undefined || report.instance !== instance) {
      // Not a count we can add: the only safe thing is to say so (counted malformed).
      this.counters.malformed++;
      return;
    }
    const key = `${host}/${report.instance}`;
    const seen = this.lossSeen.get(key);
    if (seen === undefined && this.lossSeen.size >= this.maxPublishers) {
      this.counters.untrackedReports++;
      return;
    }
    // A run not seen yet counts from the report before this one, which the
    // consumer acked earlier (another reader, or this one before a restart)
    // or which the stream delivers first.
    const before = seen ?? report.prev;
    if (report.lost <= before) return;
    this.lossSeen.set(key, report.lost);
    const grown = report.lost - before;
    this.counters.publisherLost += grown;
    sink.lost(grown);
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
