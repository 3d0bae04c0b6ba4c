/**
 * The capture publisher: one host's side of capture fan-in. It listens to
 * the providers of one capture session (netrx/trace, with the session's
 * levels and keywords), encodes each event once as the EventRecord netrx
 * already sends over LREC (the host of origin in its ActivityId), written
 * straight into a batch: a message is an EVENT_BUFFER of EventRecord items
 * (MS-LREC 2.2.2.1, no NET_EVENT_LOST), published to
 * `netrx.<session>.<host>.<provider>` in the session's JetStream stream,
 * whose `discard: new` limits refuse a new message once it is full, exactly
 * like LREC's tail drop (the newest events are the ones lost).
 *
 * Batching is Nagle's: while fewer than `maxInFlight` publishes await their
 * acknowledgement, what the providers wrote in one turn of the event loop
 * goes out at once; while the window is full, events gather in the open
 * batch (up to `maxBatchBytes`). So a quiet host sends each event alone and
 * a busy one sends ~280 events of 128 bytes per acknowledged publish.
 *
 * Loss stays exact. Every event offered is, in the end, either stored once
 * (a publish whose answer was lost is retried under the same `Nats-Msg-Id`,
 * so the stream's duplicate window stores it once) or counted lost:
 * `refused` (the stream said no) or `dropped` (the local buffer was full:
 * while NATS is away events wait in a buffer of `maxBuffered` and past it
 * are dropped and counted; never unbounded). The cumulative count rides in
 * loss reports (`netrxloss.<session>.<host>.<instance>` in the session's
 * loss stream, JSON `{ instance, lost, prev, refused, dropped }`, `prev`
 * being the count of the last stored report) published whenever it grew,
 * at most one per `retryMs` after the first, retried until stored; the
 * reader adds what each report adds to NET_EVENT_LOST. The loss stream is
 * not the event stream, so a full event stream never refuses a report.
 */
import type { Clock, Timer } from '../../runtime/index.js';
import type { SessionProvider } from '../../capture/index.js';
import type { TraceEvent, TraceRegistry, TraceSubscription } from '../../trace/index.js';
import {
  MAX_NET_EVENT_ITEM_LENGTH,
  NET_EVENT_DATA_HEADER_LENGTH,
  NetEventDataType,
  filetimeFromUnixMs,
  guidToBytes,
  writeDataHeader,
  writeEventRecord,
} from '../../wire/index.js';
import { CLUSTER_PROVIDER } from './events.js';
import type { LinkStatus, PublishOutcome, PublishPort } from './ports.js';
import {
  checkClusterSessionName,
  checkHostName,
  checkInstanceName,
  eventSubject,
  hostActivityId,
  lossSubject,
} from './subjects.js';

export interface CapturePublisherOptions {
  readonly port: PublishPort;
  readonly registry: TraceRegistry;
  readonly clock: Clock;
  readonly host: string;
  /** The capture session (and stream) name. */
  readonly session: string;
  readonly providers: readonly SessionProvider[];
  /** Distinguishes this run's message IDs and loss counters from an earlier run's. */
  readonly instance: string;
  /** Events held, waiting (disconnected, or behind `maxInFlight`) or in flight; past it, dropped. Default 4096. */
  readonly maxBuffered?: number;
  /** Publishes (batches) awaiting their acknowledgement at once. Default 64. */
  readonly maxInFlight?: number;
  /** The largest message: a batch closes before it would pass this. 1 KiB to 64 KiB (the default). */
  readonly maxBatchBytes?: number;
  /** Delay before retrying after an unsent publish or a refused loss report. Default 250 ms. */
  readonly retryMs?: number;
  /** Told of connection changes, refusals and drops (host wiring traces them). */
  readonly onNotice?: (notice: PublisherNotice) => void;
}

export type PublisherNotice =
  | { readonly kind: 'refused'; readonly reason: string; readonly refused: number }
  | { readonly kind: 'dropped'; readonly dropped: number }
  | { readonly kind: 'status'; readonly status: LinkStatus };

export interface CapturePublisherStats {
  /** Events offered by the providers. */
  readonly offered: number;
  /** Stored in the stream (exactly once each). */
  readonly stored: number;
  readonly refused: number;
  readonly dropped: number;
  /** Offered, neither stored nor lost yet (buffered or in flight). */
  readonly pending: number;
  /** Messages (batches) stored. */
  readonly messages: number;
  /** The loss the stream holds a report of (the last acknowledged report's count). */
  readonly reportedLost: number;
  readonly retries: number;
  readonly connected: boolean;
}

interface Outgoing {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly msgId: string;
  /** Events in it. */
  readonly count: number;
}

/** The batch being filled for one subject. */
interface OpenBatch {
  readonly subject: string;
  bytes: Uint8Array;
  view: DataView;
  at: number;
  count: number;
}

export class CapturePublisher {
  private readonly port: PublishPort;
  private readonly clock: Clock;
  private readonly host: string;
  private readonly session: string;
  private readonly instance: string;
  private readonly maxBuffered: number;
  private readonly maxInFlight: number;
  private readonly maxBatchBytes: number;
  private readonly retryMs: number;
  private readonly onNotice: ((notice: PublisherNotice) => void) | undefined;
  private readonly activityId: Uint8Array;
  private readonly lossSubject: string;
  private readonly subjects = new Map<string, string>();
  private readonly providerIds = new Map<string, Uint8Array>();
  private subscriptions: TraceSubscription[] = [];
  /** Closed batches waiting to be sent (bounded through `waiting`). */
  private buffer: Outgoing[] = [];
  /** Open batches, one per subject in use. */
  private readonly open = new Map<string, OpenBatch>();
  private flushScheduled = false;
  /** Events in open and closed batches not yet sent. */
  private waiting = 0;
  /** Publishes awaiting their answer, and the events in them. */
  private inFlight = 0;
  private inFlightEvents = 0;
  private connected = true;
  private closed = false;
  private retryTimer: Timer | undefined;
  private reportInFlight = false;
  /** Set for `retryMs` after a stored report: reports are paced, each carries the whole count. */
  private reportPause: Timer | undefined;
  private nextSeq = 1;
  private counters = {
    offered: 0,
    stored: 0,
    refused: 0,
    dropped: 0,
    retries: 0,
    reportedLost: 0,
    messages: 0,
  };

  constructor(options: CapturePublisherOptions) {
    this.port = options.port;
    this.clock = options.clock;
    this.host = checkHostName(options.host);
    this.session = checkClusterSessionName(options.session);
    this.instance = checkInstanceName(options.instance);
    this.lossSubject = lossSubject(this.session, this.host, this.instance);
    this.maxBuffered = positive('maxBuffered', options.maxBuffered ?? 4096);
    this.maxInFlight = positive('maxInFlight', options.maxInFlight ?? 64);
    this.maxBatchBytes = options.maxBatchBytes ?? 65_536;
    if (
      !Number.isInteger(this.maxBatchBytes) ||
      this.maxBatchBytes < 1024 ||
      this.maxBatchBytes > 65_536
    ) {
      throw new RangeError(`maxBatchBytes must be an integer from 1024 to 65536`);
    }
    this.retryMs = positive('retryMs', options.retryMs ?? 250);
    this.onNotice = options.onNotice;
    this.activityId = hostActivityId(this.host);
    const listener = (event: TraceEvent) => this.offer(event);
    for (const provider of options.providers) {
      this.subscriptions.push(
        options.registry.enable(provider.provider, listener, {
          level: provider.level ?? 4,
          matchAnyKeyword: provider.matchAnyKeyword ?? 0n,
          matchAllKeyword: provider.matchAllKeyword ?? 0n,
          filterData: provider.filterData,
        }),
      );
    }
  }

  stats(): CapturePublisherStats {
    const c = this.counters;
    return {
      offered: c.offered,
      stored: c.stored,
      refused: c.refused,
      dropped: c.dropped,
      pending: this.waiting + this.inFlightEvents,
      messages: c.messages,
      reportedLost: c.reportedLost,
      retries: c.retries,
      connected: this.connected,
    };
  }

  /** Lost so far (refused + dropped), exact. */
  get lost(): number {
    return this.counters.refused + this.counters.dropped;
  }

  /** The NATS connection went away or came back (the adapter calls this). */
  setStatus(status: LinkStatus): void {
    const connected = status === 'connected';
    if (connected === this.connected) return;
    this.connected = connected;
    this.onNotice?.({ kind: 'status', status });
    if (connected) this.pump();
  }

  /** Stops listening; pending events are still sent (see `drain`). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const subscription of this.subscriptions) subscription.disable();
    this.subscriptions = [];
  }

  /** True once nothing is buffered or in flight and the last loss report is stored. */
  get settled(): boolean {
    return (
      this.waiting === 0 &&
      this.inFlight === 0 &&
      !this.reportInFlight &&
      this.counters.reportedLost === this.lost
    );
  }

  /** Offers one encoded EventRecord directly (tests, remote records); trace events come through `offer`. */
  offerRecord(provider: string, record: Uint8Array): void {
    const batch = this.reserve(provider, record.length);
    if (batch === undefined) return;
    batch.bytes.set(record, batch.at + NET_EVENT_DATA_HEADER_LENGTH);
    this.written(batch, record.length);
  }

  private offer(event: TraceEvent): void {
    // Our own notices (a session of `*`) would loop: a drop traced, offered, dropped, ...
    if (event.provider.guid === CLUSTER_PROVIDER.guid) return;
    const d = event.descriptor;
    const length = 96 + event.payload.length;
    const batch = this.reserve(event.provider.name, length);
    if (batch === undefined) return;
    // The one copy: the payload is only valid during this call.
    writeEventRecord(
      batch.bytes,
      batch.view,
      batch.at + NET_EVENT_DATA_HEADER_LENGTH,
      {
        providerId: this.providerId(event.provider.guid),
        id: d.id,
        version: d.version,
        level: d.level,
        opcode: d.opcode,
        task: d.task,
        keyword: d.keywords,
        timeStamp: filetimeFromUnixMs(event.timestamp),
        activityId: this.activityId,
      },
      event.payload,
    );
    this.written(batch, length);
  }

  /**
   * Counts the event offered and finds room for its item in the subject's
   * open batch (closing a batch that has none); undefined when it is
   * dropped (the local buffer is full) or can never be sent.
   */
  private reserve(provider: string, recordLength: number): OpenBatch | undefined {
    this.counters.offered++;
    const itemLength = NET_EVENT_DATA_HEADER_LENGTH + recordLength;
    // The bound covers every event held, waiting or in flight.
    if (
      this.waiting + this.inFlightEvents >= this.maxBuffered ||
      itemLength > MAX_NET_EVENT_ITEM_LENGTH
    ) {
      this.counters.dropped++;
      this.onNotice?.({ kind: 'dropped', dropped: this.counters.dropped });
      return undefined;
    }
    const subject = this.subjectFor(provider);
    let batch = this.open.get(subject);
    if (batch !== undefined && batch.at + itemLength > batch.bytes.length) {
      this.closeBatch(batch);
      batch = undefined;
    }
    if (batch === undefined) {
      const bytes = new Uint8Array(Math.max(this.maxBatchBytes, itemLength));
      batch = { subject, bytes, view: new DataView(bytes.buffer), at: 0, count: 0 };
      this.open.set(subject, batch);
    }
    return batch;
  }

  private written(batch: OpenBatch, recordLength: number): void {
    const itemLength = NET_EVENT_DATA_HEADER_LENGTH + recordLength;
    writeDataHeader(batch.view, batch.at, itemLength, NetEventDataType.EventRecord);
    batch.at += itemLength;
    batch.count++;
    this.waiting++;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => {
        this.flushScheduled = false;
        this.pump();
      });
    }
  }

  /** Moves an open batch to the send queue. */
  private closeBatch(batch: OpenBatch): void {
    this.open.delete(batch.subject);
    // A small batch is copied out so that it does not hold its whole buffer while in flight.
    const data =
      batch.at * 4 < batch.bytes.length
        ? batch.bytes.slice(0, batch.at)
        : batch.bytes.subarray(0, batch.at);
    this.buffer.push({
      subject: batch.subject,
      data,
      msgId: `${this.host}.${this.instance}.${this.nextSeq++}`,
      count: batch.count,
    });
  }

  private pump(): void {
    if (!this.connected || this.retryTimer !== undefined) return;
    this.maybeReport();
    // Nagle: open batches go out only when the window has room, else they keep filling.
    if (this.inFlight + this.buffer.length < this.maxInFlight) {
      for (const batch of [...this.open.values()]) this.closeBatch(batch);
    }
    while (this.inFlight < this.maxInFlight && this.buffer.length > 0) {
      const message = this.buffer.shift() as Outgoing;
      this.send(message);
    }
  }

  private send(message: Outgoing): void {
    this.inFlight++;
    this.inFlightEvents += message.count;
    this.waiting -= message.count;
    void this.port.publish(message.subject, message.data, message.msgId).then(
      (outcome) => this.settle(message, outcome),
      (error: unknown) => this.settle(message, { kind: 'unsent', reason: String(error) }),
    );
  }

  private settle(message: Outgoing, outcome: PublishOutcome): void {
    this.inFlight--;
    this.inFlightEvents -= message.count;
    switch (outcome.kind) {
      case 'stored':
        this.counters.stored += message.count;
        this.counters.messages++;
        break;
      case 'refused':
        this.counters.refused += message.count;
        this.onNotice?.({
          kind: 'refused',
          reason: outcome.reason,
          refused: this.counters.refused,
        });
        break;
      case 'unsent':
        // Back to the front, same message ID: the stream stores it at most once.
        this.counters.retries++;
        this.waiting += message.count;
        this.buffer.unshift(message);
        this.scheduleRetry();
        return;
    }
    this.pump();
  }

  private scheduleRetry(): void {
    if (this.retryTimer !== undefined) return;
    this.retryTimer = this.clock.setTimer(this.retryMs, () => {
      this.retryTimer = undefined;
      this.pump();
    });
  }

  private maybeReport(): void {
    const lost = this.lost;
    const prev = this.counters.reportedLost;
    if (this.reportInFlight || this.reportPause !== undefined) return;
    if (lost === prev || !this.connected) return;
    this.reportInFlight = true;
    const { refused, dropped } = this.counters;
    const body = JSON.stringify({ instance: this.instance, lost, prev, refused, dropped });
    const data = new TextEncoder().encode(body);
    const msgId = `${this.host}.${this.instance}.loss.${lost}`;
    void this.port.publish(this.lossSubject, data, msgId).then(
      (outcome) => this.reported(lost, outcome),
      (error: unknown) => this.reported(lost, { kind: 'unsent', reason: String(error) }),
    );
  }

  private reported(lost: number, outcome: PublishOutcome): void {
    this.reportInFlight = false;
    if (outcome.kind === 'stored') {
      this.counters.reportedLost = Math.max(this.counters.reportedLost, lost);
      this.reportPause = this.clock.setTimer(this.retryMs, () => {
        this.reportPause = undefined;
        this.pump();
      });
      this.pump();
    } else {
      // Not sent (NATS away, a timeout) or refused by the loss stream's limits: try again.
      this.scheduleRetry();
    }
  }

  private subjectFor(provider: string): string {
    let subject = this.subjects.get(provider);
    if (subject === undefined) {
      subject = eventSubject(this.session, this.host, provider);
      this.subjects.set(provider, subject);
    }
    return subject;
  }

  private providerId(guid: string): Uint8Array {
    let bytes = this.providerIds.get(guid);
    if (bytes === undefined) {
      bytes = guidToBytes(guid);
      this.providerIds.set(guid, bytes);
    }
    return bytes;
  }
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 1_000_000) {
    throw new RangeError(`${name} must be an integer from 1 to 1000000: got ${value}`);
  }
  return value;
}
