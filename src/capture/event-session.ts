/**
 * One entry of the Session Table (MS-LREC 3.1.1): a name, a GUID, a state
 * (Stopped or Running), the Associated Provider List with each provider's
 * Level and keyword masks, the limits, and while a client has it open: the
 * Session Handle, the Queued Event List and Lost Event Count (an
 * `EventQueue`), the Outstanding RpcNetEventReceiveData Call (at most one
 * `PendingReceive`) and the Data Completion Timer.
 *
 * A session is a trace listener: opening it enables each provider of its
 * list in netrx/trace with that provider's level, masks and filter data, so
 * ETW's matching rules decide what reaches the queue and a provider that
 * filters per listener (the packet-capture provider) reads the filter data
 * in its enable callback. Closing or stopping disables them again.
 */
import { PendingReceive } from '../receive/index.js';
import type { Clock, Timer } from '../runtime/index.js';
import type { TraceEvent, TraceRegistry, TraceSubscription } from '../trace/index.js';
import { guidToBytes } from '../wire/index.js';
import { captureError, controlError } from './errors.js';
import { EventQueue, type AddResult, type QueuedEventFields } from './event-queue.js';
import type { SessionLimits } from './limits.js';

/** One provider of a session's Associated Provider List (MSFT_NetEventProvider). */
export interface SessionProvider {
  /** The provider's GUID or name (netrx/trace matches either; `*` for every provider). */
  readonly provider: string;
  /** 0 means every level; otherwise events of this level and below. Default 4 (information). */
  readonly level?: number;
  /** 0 means any keyword. Default 0. */
  readonly matchAnyKeyword?: bigint;
  /** Ignored when matchAnyKeyword is 0 (ETW). Default 0. */
  readonly matchAllKeyword?: bigint;
  /** Handed to the provider's enable callback (e.g. packet-capture filters). */
  readonly filterData?: unknown;
}

export type SessionState = 'Stopped' | 'Running';

/**
 * Where a session's events come from besides netrx/trace providers: a
 * source feeds EventRecords encoded elsewhere (netrx/node's NATS JetStream
 * reader serves a session from a stream of many hosts' events) and the
 * losses it learned of, into the same queue, timer and NET_EVENT_LOST.
 * `open` is called when a client opens the session; the returned `close`
 * when it closes, stops or runs down.
 */
export interface SessionSource {
  open(sink: SessionSink): SessionSourceHold;
}

/** What a source's `open` returns. */
export interface SessionSourceHold {
  /**
   * The session closed, stopped or ran down: events still queued are
   * discarded, never delivered, and counted lost, except the number this
   * returns: the source takes those back to deliver elsewhere (the
   * JetStream reader gives their messages back to the stream).
   */
  close(): number | void;
  /**
   * A receive took `events` events out of the queue (oldest first), so a
   * source can let go of what reached the client (the JetStream reader acks
   * its messages here, not when it queues them). Counts every event of the
   * buffer, the session's providers' included. `lostWaiting` is the loss
   * still unreported after it (0: every loss written into the sink so far
   * reached the client in a NET_EVENT_LOST). Called once more after `close`
   * for the final buffer a closing session completes its receive with: that
   * buffer's loss reached the client too (the reader's loss floors wait for it).
   */
  delivered?(events: number, lostWaiting: number): void;
}

/** What a `SessionSource` writes into an open session. */
export interface SessionSink {
  /**
   * One EventRecord (MS-LREC 2.3.2.2 bytes, checked by the source with
   * `parseEventRecord`), with an optional 16-byte ActivityId to write over
   * the record's. Returns false when the queue refused it (counted lost).
   */
  record(record: Uint8Array, activityId?: Uint8Array): boolean;
  /** Events lost before they reached this session: added to its Lost Event Count. */
  lost(count: number): void;
  /**
   * Whether `record` of this many bytes would be queued now (not refused for
   * want of room): a source that can leave events where they are waits
   * instead of losing them. False once the session closed.
   */
  fits(recordLength: number): boolean;
}

/** Why a receive completed. */
export type ReceiveReason = 'enough' | 'timer' | 'stopped' | 'closed';

/** What rides on a completed `receiveData`, beside the EVENT_BUFFER bytes. */
export interface EventBufferMeta {
  readonly events: number;
  /** The LostEventCount of the buffer's NET_EVENT_LOST item; 0 when it has none. */
  readonly lost: number;
  readonly reason: ReceiveReason;
}

export interface EventSessionStats {
  readonly state: SessionState;
  readonly open: boolean;
  /** Events the session's providers delivered to it while open (produced and matched). */
  readonly matched: number;
  readonly queuedEvents: number;
  readonly deliveredEvents: number;
  readonly deliveredBuffers: number;
  /** Sum of the LostEventCounts reported in NET_EVENT_LOST items. */
  readonly reportedLost: number;
  /** Events refused by a full queue or too large for a buffer, exact. */
  readonly lostTotal: number;
  readonly oversize: number;
  /** Events thrown away by Stop or Close (then reported as lost if a receive was pending). */
  readonly discarded: number;
  /** The Lost Event Count not yet reported (lost to a Stop with no receive pending, too). */
  readonly unreportedLost: number;
  /** Second receives refused while one was outstanding. */
  readonly refusedReceives: number;
  readonly timerFires: number;
  /** Bytes of buffers held now; never above `maxBuffers × bufferBytes`. */
  readonly allocatedBytes: number;
  readonly outstanding: boolean;
}

/** @internal made by SessionTable.createSession */
export interface SessionContext {
  readonly registry: TraceRegistry;
  readonly clock: Clock;
  readonly lastItemFlag: number;
  readonly sessionNumber: number;
}

export class EventSession {
  readonly name: string;
  readonly guid: string;
  readonly providers: readonly SessionProvider[];
  readonly limits: SessionLimits;
  /** Events from elsewhere (a stream), beside the providers. */
  readonly source: SessionSource | undefined;
  /** LoggerId: the EventRecord's SessionId field. */
  readonly sessionNumber: number;
  private readonly context: SessionContext;
  private currentState: SessionState = 'Stopped';
  private queue: EventQueue | undefined;
  private subscriptions: TraceSubscription[] = [];
  private sourceHold: SessionSourceHold | undefined;
  private pending: PendingReceive<EventBufferMeta> | undefined;
  private timer: Timer | undefined;
  /** Lost counts left unreported by the last open (closed with no receive pending), for the next. */
  private unreported = 0;
  /** The timer fired with only a loss to report and no receive pending. */
  private lossDue = false;
  private readonly providerIds = new Map<string, Uint8Array>();
  private lastGuid = '';
  private lastGuidBytes: Uint8Array = new Uint8Array(16);
  private readonly scratch: {
    -readonly [K in keyof QueuedEventFields]: QueuedEventFields[K];
  } = {
    providerId: new Uint8Array(16),
    id: 0,
    version: 0,
    level: 0,
    opcode: 0,
    task: 0,
    keywords: 0n,
    timestamp: 0,
    userData: new Uint8Array(0),
  };
  private counters = {
    matched: 0,
    deliveredEvents: 0,
    deliveredBuffers: 0,
    reportedLost: 0,
    discarded: 0,
    refusedReceives: 0,
    timerFires: 0,
    lostBefore: 0,
    oversizeBefore: 0,
  };

  /** @internal use SessionTable.createSession */
  constructor(
    config: {
      name: string;
      guid: string;
      providers: readonly SessionProvider[];
      limits: SessionLimits;
      source?: SessionSource;
    },
    context: SessionContext,
  ) {
    this.name = config.name;
    this.guid = config.guid;
    this.providers = config.providers;
    this.limits = config.limits;
    this.source = config.source;
    this.context = context;
    this.sessionNumber = context.sessionNumber;
  }

  get state(): SessionState {
    return this.currentState;
  }

  /** True while a client holds the Session Handle. */
  get isOpen(): boolean {
    return this.queue !== undefined;
  }

  /** MSFT_NetEventSession.Start: fails with no providers, or when already Running. */
  start(): void {
    if (this.currentState === 'Running') {
      throw controlError(
        'ERR_CAPTURE_SESSION_RUNNING',
        `Session ${JSON.stringify(this.name)} is already running`,
      );
    }
    if (this.providers.length === 0 && this.source === undefined) {
      throw controlError(
        'ERR_CAPTURE_NO_PROVIDERS',
        `Session ${JSON.stringify(this.name)} has no providers`,
      );
    }
    this.currentState = 'Running';
  }

  /**
   * MSFT_NetEventSession.Stop: fails unless Running. Completes a pending
   * receive (successfully, with the lost count, discarded events included),
   * discards the queue and invalidates the handle.
   */
  stop(): void {
    if (this.currentState !== 'Running') {
      throw controlError(
        'ERR_CAPTURE_SESSION_STOPPED',
        `Session ${JSON.stringify(this.name)} is not running`,
      );
    }
    this.release('stopped');
    this.currentState = 'Stopped';
  }

  stats(): EventSessionStats {
    const queue = this.queue;
    return {
      state: this.currentState,
      open: queue !== undefined,
      matched: this.counters.matched,
      queuedEvents: queue?.queuedEvents ?? 0,
      deliveredEvents: this.counters.deliveredEvents,
      deliveredBuffers: this.counters.deliveredBuffers,
      reportedLost: this.counters.reportedLost,
      lostTotal: this.counters.lostBefore + (queue?.lostTotal ?? 0),
      oversize: this.counters.oversizeBefore + (queue?.oversize ?? 0),
      discarded: this.counters.discarded,
      unreportedLost: this.unreported + (queue?.lostEventCount ?? 0),
      refusedReceives: this.counters.refusedReceives,
      timerFires: this.counters.timerFires,
      allocatedBytes: queue?.allocatedBytes ?? 0,
      outstanding: this.pending !== undefined,
    };
  }

  /** @internal SessionTable.openSession: start queuing matching events now. */
  open(): void {
    if (this.currentState !== 'Running') {
      throw captureError(
        'ERROR_INVALID_STATE',
        `Session ${JSON.stringify(this.name)} is not running`,
      );
    }
    if (this.queue !== undefined) {
      throw captureError('ERROR_BUSY', `Session ${JSON.stringify(this.name)} is already open`);
    }
    this.queue = new EventQueue(this.limits, {
      lastItemFlag: this.context.lastItemFlag,
      sessionId: this.sessionNumber & 0xffff,
    });
    this.lossDue = false;
    if (this.unreported > 0) {
      // What the last open left unreported (a source's loss, events discarded at its
      // close) is this open's first report: the next receive completes with it.
      this.queue.carryUnreported(this.unreported);
      this.unreported = 0;
      this.lossDue = true;
    }
    const listener = (event: TraceEvent) => this.accept(event);
    try {
      for (const provider of this.providers) {
        this.subscriptions.push(
          this.context.registry.enable(provider.provider, listener, {
            level: provider.level ?? 4,
            matchAnyKeyword: provider.matchAnyKeyword ?? 0n,
            matchAllKeyword: provider.matchAllKeyword ?? 0n,
            filterData: provider.filterData,
          }),
        );
      }
      if (this.source !== undefined) this.sourceHold = this.source.open(this.sink());
    } catch (error) {
      this.release('closed');
      throw error;
    }
  }

  /** The sink a source writes into while this open lasts (a stale one writes nowhere). */
  private sink(): SessionSink {
    const queue = this.queue;
    return {
      record: (record, activityId) => {
        if (this.queue !== queue || queue === undefined) return false;
        this.counters.matched++;
        const lostBefore = queue.lostTotal;
        this.afterAdd(queue, queue.addRecord(record, activityId));
        // 'sealed' can come with a refusal (the seal filled the queue): compare counts.
        return queue.lostTotal === lostBefore;
      },
      lost: (count) => {
        if (this.queue !== queue || queue === undefined) return;
        if (!Number.isInteger(count) || count <= 0) return;
        this.counters.matched += count;
        queue.countLost(count);
        this.armTimerIfNeeded(queue);
      },
      fits: (recordLength) =>
        this.queue === queue && queue !== undefined && queue.fits(recordLength),
    };
  }

  /** @internal SessionTable.receiveData */
  receive(): PendingReceive<EventBufferMeta> {
    if (this.pending !== undefined) {
      this.counters.refusedReceives++;
      throw captureError(
        'ERROR_ASYNC_REQUEST_PENDING',
        `Session ${JSON.stringify(this.name)} already has an outstanding receive`,
      );
    }
    // PendingReceive is netrx/receive's completion object: `done` and `result`.
    const op = new PendingReceive<EventBufferMeta>(undefined);
    this.pending = op;
    const queue = this.queue as EventQueue;
    if (queue.hasSealed) this.deliver('enough');
    else if (this.lossDue) this.deliver('timer');
    return op;
  }

  /** @internal SessionTable.closeSession and rundown: stop accumulating, complete, forget. */
  release(reason: 'stopped' | 'closed'): void {
    for (const subscription of this.subscriptions) subscription.disable();
    this.subscriptions = [];
    const hold = this.sourceHold;
    this.sourceHold = undefined;
    const givenBack = hold?.close() ?? 0;
    this.timer?.cancel();
    this.timer = undefined;
    const queue = this.queue;
    if (queue === undefined) return;
    this.counters.discarded += queue.discard(givenBack);
    if (this.pending !== undefined) this.deliver(reason, hold);
    this.pending = undefined;
    this.counters.lostBefore += queue.lostTotal;
    this.counters.oversizeBefore += queue.oversize;
    this.unreported += queue.lostEventCount;
    this.queue = undefined;
  }

  private accept(event: TraceEvent): void {
    const queue = this.queue;
    if (queue === undefined) return;
    this.counters.matched++;
    const fields = this.scratch;
    const descriptor = event.descriptor;
    fields.providerId = this.providerId(event.provider.guid);
    fields.id = descriptor.id;
    fields.version = descriptor.version;
    fields.level = descriptor.level;
    fields.opcode = descriptor.opcode;
    fields.task = descriptor.task;
    fields.keywords = descriptor.keywords;
    fields.timestamp = event.timestamp;
    fields.userData = event.payload;
    this.afterAdd(queue, queue.add(fields));
  }

  private afterAdd(queue: EventQueue, result: AddResult): void {
    if (result === 'sealed') {
      // "If the queue is now full and a call is pending, complete it and stop the timer."
      this.timer?.cancel();
      this.timer = undefined;
      if (this.pending !== undefined) this.deliver('enough');
    }
    this.armTimerIfNeeded(queue);
  }

  /** The timer runs while the filling buffer holds events, or a loss waits with nothing sealed. */
  private armTimerIfNeeded(queue: EventQueue): void {
    if (this.timer !== undefined) return;
    if (queue.fillingEvents === 0 && (queue.lostEventCount === 0 || queue.hasSealed)) return;
    this.timer = this.context.clock.setTimer(this.limits.timerMs, () => this.timerFired());
  }

  private timerFired(): void {
    this.timer = undefined;
    const queue = this.queue;
    if (queue === undefined) return;
    this.counters.timerFires++;
    queue.sealFilling();
    if (this.pending !== undefined) this.deliver('timer');
    else if (!queue.hasSealed && queue.lostEventCount > 0) this.lossDue = true;
  }

  /** Completes the pending receive with the next buffer, if there is something to send. */
  private deliver(reason: ReceiveReason, closedHold?: SessionSourceHold): void {
    const op = this.pending as PendingReceive<EventBufferMeta>;
    const queue = this.queue as EventQueue;
    const taken = queue.take(reason !== 'enough');
    const final = reason === 'stopped' || reason === 'closed';
    if (taken === undefined && !final) return;
    this.pending = undefined;
    this.lossDue = false;
    const bytes = taken?.bytes ?? new Uint8Array(0);
    const events = taken?.events ?? 0;
    const lost = taken?.lost ?? 0;
    this.counters.deliveredBuffers++;
    this.counters.deliveredEvents += events;
    this.counters.reportedLost += lost;
    (this.sourceHold ?? closedHold)?.delivered?.(events, queue.lostEventCount);
    op.settle({
      status: 'data',
      data: bytes,
      meta: { events, lost, reason },
      more: queue.hasSealed,
    });
    if (this.timer !== undefined && queue.fillingEvents === 0 && queue.lostEventCount === 0) {
      this.timer.cancel();
      this.timer = undefined;
    }
  }

  private providerId(guid: string): Uint8Array {
    // Most sessions hear one provider: skip the map for a run of the same one.
    if (guid === this.lastGuid) return this.lastGuidBytes;
    let bytes = this.providerIds.get(guid);
    if (bytes === undefined) {
      bytes = guidToBytes(guid);
      this.providerIds.set(guid, bytes);
    }
    this.lastGuid = guid;
    this.lastGuidBytes = bytes;
    return bytes;
  }
}
