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
 * batch, which closes at a fixed cut: `maxBatchBytes` of items (8 KiB by
 * default) or `maxBatchEvents` events (64), whichever comes first. So a
 * quiet host sends each event alone and a busy one ~35 events of 128 bytes
 * per publish at the default cut, and the stream's message limit, derived
 * from the same cut, bounds its bytes (review F3, issue #16: see
 * stream-budget.ts).
 *
 * Loss stays exact. Every event offered is, in the end, either stored once
 * (a publish whose answer was lost is retried under the same `Nats-Msg-Id`,
 * so the stream's duplicate window stores it once) or counted lost:
 * `refused` (the stream said no) or `dropped` (the local buffer was full:
 * while NATS is away events wait in a buffer of `maxBuffered` and past it
 * are dropped and counted; never unbounded; and `maxBufferedBytes` bounds
 * their encoded bytes, since one event can be 64 KiB). The cumulative count rides in
 * loss reports (`netrxloss.<session>.<host>.<instance>` in the session's
 * loss stream, JSON `{ instance, lost, prev, refused, dropped }`, `prev`
 * being the count of the last stored report) published whenever it grew,
 * at most one per `retryMs` after the first, retried until stored; the
 * reader adds what each report adds to NET_EVENT_LOST. The loss stream is
 * not the event stream, so a full event stream never refuses a report.
 *
 * A run announces itself with its first report (lost 0) as it starts,
 * before any event (review16c N10): a glob reader claims a host it has not
 * claimed when a report names it, so a host that starts after the reader
 * is read at once instead of at the next discovery (2 s), which a quiet
 * host with a small budget filled with refusals. The report is stored in
 * the loss stream like any other (retried until it is, kept while the
 * stream keeps the run's reports), so a reader that starts later still
 * finds it, and it needs no subject or permission a publisher lacks.
 */
import type { Clock, Timer } from '../../runtime/index.js';
import type { TraceEvent, TraceSubscription } from '../../trace/index.js';
import {
  MAX_NET_EVENT_ITEM_LENGTH,
  NET_EVENT_DATA_HEADER_LENGTH,
  NetEventDataType,
  writeDataHeader,
} from '../../wire/index.js';
import { batchId } from './batch-id.js';
import { BatchBufferPool, EventRecordWriter } from './batch-writer.js';
import { CLUSTER_PROVIDER } from './events.js';
import type { LinkStatus, PublishOutcome, PublishPort } from './ports.js';
import {
  pooledBatchBuffers,
  publisherLimits,
  type CapturePublisherOptions,
  type CapturePublisherStats,
  type DropReason,
  type PublisherNotice,
} from './publisher-options.js';
import {
  checkClusterSessionName,
  checkHostName,
  checkInstanceName,
  eventSubject,
  hostActivityId,
  lossSubject,
} from './subjects.js';
export {
  POOLED_BATCH_BUFFERS,
  type CapturePublisherOptions,
  type CapturePublisherStats,
  type DropReason,
  type PublisherNotice,
} from './publisher-options.js';

interface Outgoing {
  readonly subject: string;
  readonly data: Uint8Array;
  /** Its batch number; the ID (batch-id.ts) is made at its first send, which it carries. */
  readonly batch: number;
  msgId: string | undefined;
  /** Events in it. */
  readonly count: number;
  /** The pooled buffer `data` is a view of, given back once the publish is answered. */
  readonly pooled: Uint8Array | undefined;
  /** Went unsent once: the client may still hold `data`, so its buffer is never reused. */
  retried: boolean;
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
  private readonly maxBufferedBytes: number;
  private readonly maxInFlight: number;
  private readonly maxBatchBytes: number;
  private readonly maxBatchEvents: number;
  private readonly retryMs: number;
  private readonly onNotice: ((notice: PublisherNotice) => void) | undefined;
  private readonly records: EventRecordWriter;
  private readonly pool: BatchBufferPool;
  private readonly lossSubject: string;
  private readonly subjects = new Map<string, string>();
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
  /** Encoded bytes of the events held (open, waiting, in flight). */
  private heldBytes = 0;
  private connected = true;
  private closed = false;
  private retryTimer: Timer | undefined;
  private reportInFlight = false;
  /** The run's first report (lost 0, its announcement) is stored. */
  private announced = false;
  /** Set for `retryMs` after a stored report: reports are paced, each carries the whole count. */
  private reportPause: Timer | undefined;
  private nextSeq = 1;
  private counters = {
    offered: 0,
    stored: 0,
    refused: 0,
    dropped: 0,
    droppedFor: { events: 0, bytes: 0, oversize: 0 } satisfies Record<DropReason, number>,
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
    const limits = publisherLimits(options);
    this.pool = new BatchBufferPool(limits.maxBatchBytes, pooledBatchBuffers(limits));
    this.maxBuffered = limits.maxBuffered;
    this.maxBufferedBytes = limits.maxBufferedBytes;
    this.maxInFlight = limits.maxInFlight;
    this.maxBatchBytes = limits.maxBatchBytes;
    this.maxBatchEvents = limits.maxBatchEvents;
    this.retryMs = limits.retryMs;
    this.onNotice = options.onNotice;
    this.records = new EventRecordWriter(hostActivityId(this.host));
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
    // The announcement: a glob reader claims this host now, not at its next discovery.
    this.maybeReport();
  }

  stats(): CapturePublisherStats {
    const c = this.counters;
    return {
      offered: c.offered,
      stored: c.stored,
      refused: c.refused,
      dropped: c.dropped,
      droppedFor: { ...c.droppedFor },
      pending: this.waiting + this.inFlightEvents,
      pendingBytes: this.heldBytes,
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
    const length = EventRecordWriter.recordLength(event);
    const batch = this.reserve(event.provider.name, length);
    if (batch === undefined) return;
    // The one copy: the payload is only valid during this call.
    this.records.write(batch.bytes, batch.view, batch.at + NET_EVENT_DATA_HEADER_LENGTH, event);
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
    // The bounds cover every event held, waiting or in flight.
    const reason: DropReason | undefined =
      itemLength > MAX_NET_EVENT_ITEM_LENGTH
        ? 'oversize'
        : this.waiting + this.inFlightEvents >= this.maxBuffered
          ? 'events'
          : this.heldBytes + itemLength > this.maxBufferedBytes
            ? 'bytes'
            : undefined;
    if (reason !== undefined) {
      this.counters.dropped++;
      this.counters.droppedFor[reason]++;
      this.onNotice?.({ kind: 'dropped', reason, dropped: this.counters.dropped });
      return undefined;
    }
    const subject = this.subjectFor(provider);
    let batch = this.open.get(subject);
    // The fixed cut (F3): full in bytes or in events, so messages x events stays predictable.
    if (
      batch !== undefined &&
      (batch.at + itemLength > batch.bytes.length || batch.count >= this.maxBatchEvents)
    ) {
      this.closeBatch(batch);
      batch = undefined;
    }
    if (batch === undefined) {
      // Only a small maxBatchBytes can be shorter than one item: that batch is its own size.
      const bytes = itemLength > this.pool.size ? new Uint8Array(itemLength) : this.pool.take();
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
    this.heldBytes += itemLength;
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
    const small = batch.at * 4 < batch.bytes.length;
    const data = small ? batch.bytes.slice(0, batch.at) : batch.bytes.subarray(0, batch.at);
    if (small) this.pool.give(batch.bytes);
    this.buffer.push({
      subject: batch.subject,
      data,
      batch: this.nextSeq++,
      msgId: undefined,
      count: batch.count,
      pooled: small ? undefined : batch.bytes,
      retried: false,
    });
  }

  private pump(): void {
    if (!this.connected || this.retryTimer !== undefined) return;
    this.maybeReport();
    // Nagle: open batches go out only when the window has room, else they keep filling.
    if (this.inFlight + this.buffer.length < this.maxInFlight) {
      for (const batch of this.open.values()) this.closeBatch(batch);
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
    // Fixed at the first send: every retry is the same ID, and a reader can tell a late copy.
    message.msgId ??= batchId(this.host, this.instance, message.batch, this.clock.now());
    // The port never rejects; a rejection anyway is treated as unsent.
    void this.port.publish(message.subject, message.data, message.msgId).then(
      (outcome) => this.settle(message, outcome),
      (error: unknown) => this.settle(message, { kind: 'unsent', reason: String(error) }),
    );
  }

  /** The message's events are stored or lost: its bytes are no longer held. */
  private release(message: Outgoing): void {
    this.heldBytes -= message.data.length;
    if (message.pooled !== undefined && !message.retried) this.pool.give(message.pooled);
  }

  private settle(message: Outgoing, outcome: PublishOutcome): void {
    this.inFlight--;
    this.inFlightEvents -= message.count;
    switch (outcome.kind) {
      case 'stored':
        this.counters.stored += message.count;
        this.counters.messages++;
        this.release(message);
        break;
      case 'refused':
        this.counters.refused += message.count;
        this.release(message);
        this.onNotice?.({
          kind: 'refused',
          reason: outcome.reason,
          refused: this.counters.refused,
        });
        break;
      case 'unsent':
        // Back to the front, same message ID: the stream stores it at most once.
        this.counters.retries++;
        message.retried = true;
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
    if ((lost === prev && this.announced) || !this.connected) return;
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
      this.announced = true;
      this.counters.reportedLost = Math.max(this.counters.reportedLost, lost);
      // Paced after a count, not after the announcement: the first loss goes out at once.
      if (lost > 0) {
        this.reportPause = this.clock.setTimer(this.retryMs, () => {
          this.reportPause = undefined;
          this.pump();
        });
      }
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
}
