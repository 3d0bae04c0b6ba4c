/**
 * The capture publisher: one host's side of capture fan-in. It listens to
 * the providers of one capture session (netrx/trace, with the session's
 * levels and keywords), encodes each event once as the EventRecord netrx
 * already sends over LREC (the host of origin in its ActivityId) and
 * publishes it to `netrx.<session>.<host>.<provider>` in the session's
 * JetStream stream, whose `discard: new` limits refuse a new event once it
 * is full, exactly like LREC's tail drop.
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
import { filetimeFromUnixMs, guidToBytes, writeEventRecord } from '../../wire/index.js';
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
  /** Events waiting locally (disconnected, or behind `maxInFlight`). Default 4096. */
  readonly maxBuffered?: number;
  /** Publishes awaiting their acknowledgement at once. Default 256. */
  readonly maxInFlight?: number;
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
  /** The loss the stream holds a report of (the last acknowledged report's count). */
  readonly reportedLost: number;
  readonly retries: number;
  readonly connected: boolean;
}

interface Outgoing {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly msgId: string;
}

export class CapturePublisher {
  private readonly port: PublishPort;
  private readonly clock: Clock;
  private readonly host: string;
  private readonly session: string;
  private readonly instance: string;
  private readonly maxBuffered: number;
  private readonly maxInFlight: number;
  private readonly retryMs: number;
  private readonly onNotice: ((notice: PublisherNotice) => void) | undefined;
  private readonly activityId: Uint8Array;
  private readonly lossSubject: string;
  private readonly subjects = new Map<string, string>();
  private readonly providerIds = new Map<string, Uint8Array>();
  private subscriptions: TraceSubscription[] = [];
  /** A ring would avoid shift(); the buffer is bounded and shift on V8 arrays is cheap enough here. */
  private buffer: Outgoing[] = [];
  private inFlight = 0;
  private connected = true;
  private closed = false;
  private retryTimer: Timer | undefined;
  private reportInFlight = false;
  /** Set for `retryMs` after a stored report: reports are paced, each carries the whole count. */
  private reportPause: Timer | undefined;
  private nextSeq = 1;
  private counters = { offered: 0, stored: 0, refused: 0, dropped: 0, retries: 0, reportedLost: 0 };

  constructor(options: CapturePublisherOptions) {
    this.port = options.port;
    this.clock = options.clock;
    this.host = checkHostName(options.host);
    this.session = checkClusterSessionName(options.session);
    this.instance = checkInstanceName(options.instance);
    this.lossSubject = lossSubject(this.session, this.host, this.instance);
    this.maxBuffered = positive('maxBuffered', options.maxBuffered ?? 4096);
    this.maxInFlight = positive('maxInFlight', options.maxInFlight ?? 256);
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
      pending: this.buffer.length + this.inFlight,
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
      this.buffer.length === 0 &&
      this.inFlight === 0 &&
      !this.reportInFlight &&
      this.counters.reportedLost === this.lost
    );
  }

  /** Offers one encoded event directly (tests and the synthetic path); trace events come through `offer`. */
  offerRecord(provider: string, data: Uint8Array): void {
    this.counters.offered++;
    const msgId = `${this.host}.${this.instance}.${this.nextSeq++}`;
    const subject = this.subjectFor(provider);
    if (this.buffer.length >= this.maxBuffered) {
      this.counters.dropped++;
      this.onNotice?.({ kind: 'dropped', dropped: this.counters.dropped });
      return;
    }
    this.buffer.push({ subject, data, msgId });
    this.pump();
  }

  private offer(event: TraceEvent): void {
    // Our own notices (a session of `*`) would loop: a drop traced, offered, dropped, ...
    if (event.provider.guid === CLUSTER_PROVIDER.guid) return;
    const d = event.descriptor;
    // The one copy: the payload is only valid during this call.
    const data = new Uint8Array(96 + event.payload.length);
    writeEventRecord(
      data,
      new DataView(data.buffer),
      0,
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
    this.offerRecord(event.provider.name, data);
  }

  private pump(): void {
    if (!this.connected || this.retryTimer !== undefined) return;
    this.maybeReport();
    while (this.inFlight < this.maxInFlight && this.buffer.length > 0) {
      const message = this.buffer.shift() as Outgoing;
      this.send(message);
    }
  }

  private send(message: Outgoing): void {
    this.inFlight++;
    void this.port.publish(message.subject, message.data, message.msgId).then(
      (outcome) => this.settle(message, outcome),
      (error: unknown) => this.settle(message, { kind: 'unsent', reason: String(error) }),
    );
  }

  private settle(message: Outgoing, outcome: PublishOutcome): void {
    this.inFlight--;
    switch (outcome.kind) {
      case 'stored':
        this.counters.stored++;
        break;
      case 'refused':
        this.counters.refused++;
        this.onNotice?.({
          kind: 'refused',
          reason: outcome.reason,
          refused: this.counters.refused,
        });
        break;
      case 'unsent':
        // Back to the front, same message ID: the stream stores it at most once.
        this.counters.retries++;
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
