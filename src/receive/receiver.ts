import {
  NetrxError,
  positiveInteger as positive,
  type Clock,
  type Timer,
} from '../runtime/index.js';
import { BoundedQueue } from './bounded-queue.js';
import type { ReceiveCompletion } from './completion.js';
import type { AbortSignalLike } from '../runtime/index.js';

export interface ReceiverOptions {
  readonly clock: Clock;
  /**
   * `single`: at most one receive may be outstanding; posting a second fails
   * with `ERROR_ASYNC_REQUEST_PENDING` (616), as RAS and LREC require.
   * `queued`: receives wait in posting order, as WebSocket's operation queue
   * does, up to `maxOutstanding`. Default `single`.
   */
  readonly outstanding?: 'single' | 'queued';
  /** With `queued`, how many receives may wait at once. Default 64. */
  readonly maxOutstanding?: number;
  /**
   * `message`: every push is one message, delivered whole or, into a smaller
   * caller buffer, in parts (see `oversize`). `stream`: pushes are runs of one
   * byte stream; a caller buffer is filled from as many runs as are queued.
   * Default `message`.
   */
  readonly framing?: 'message' | 'stream';
  /**
   * With `message` framing, what a caller buffer smaller than the next message
   * gets: `split` delivers what fits with `more: true` and keeps the rest at
   * the head of the queue; `refuse` completes with `too-small` and keeps the
   * whole message; `truncate` delivers what fits with `truncated: true` and
   * discards the rest, as a datagram socket does (MSG_TRUNC). Default `split`.
   */
  readonly oversize?: 'split' | 'refuse' | 'truncate';
  /** Pushes that may wait with no receive posted. Default 1024. */
  readonly maxQueuedItems?: number;
  /** Bytes that may wait with no receive posted. Default 1 MiB. */
  readonly maxQueuedBytes?: number;
}

export interface PostReceiveOptions {
  /** The caller's buffer; data is copied into it. Without one, data is delivered as a view. */
  readonly buffer?: Uint8Array;
  /** Milliseconds to wait for data; 0 polls; absent waits until data, disconnect or abort. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignalLike;
}

export interface ReceiverStats {
  readonly outstanding: number;
  readonly queuedItems: number;
  readonly queuedBytes: number;
  readonly delivered: number;
  readonly deliveredBytes: number;
  /** Pushes refused (queue full, or after a disconnect): nothing accepted is ever dropped. */
  readonly dropped: number;
  readonly droppedBytes: number;
  readonly timeouts: number;
  readonly aborts: number;
  readonly disconnects: number;
  /** Receives refused because too many were outstanding. */
  readonly refusedReceives: number;
  readonly tooSmall: number;
  /** Messages cut to a smaller posted buffer (`oversize: 'truncate'`), and the bytes cut off. */
  readonly truncated: number;
  readonly truncatedBytes: number;
  /** Queued pushes thrown away by `discard()`. */
  readonly discarded: number;
}

interface Queued<M> {
  readonly data: Uint8Array;
  readonly meta: M;
}

const TIMEOUT = Object.freeze({ status: 'timeout' as const });

/**
 * A receive posted on a `Receiver`. It is returned at once; `done` settles
 * exactly once, and `result` holds the same completion synchronously from that
 * moment on (RAS's `RasRetrieveBuffer` after the event fired).
 */
export class PendingReceive<M = undefined> {
  /** The completion, once there is one. */
  result: ReceiveCompletion<M> | undefined;
  /** @internal */ readonly buffer: Uint8Array | undefined;
  /** @internal */ timer: Timer | undefined;
  /** @internal */ signal: AbortSignalLike | undefined;
  /** @internal */ onAbort: (() => void) | undefined;
  private promise: Promise<ReceiveCompletion<M>> | undefined;
  private resolve: ((completion: ReceiveCompletion<M>) => void) | undefined;

  /** @internal */
  constructor(buffer: Uint8Array | undefined) {
    this.buffer = buffer;
  }

  get isPending(): boolean {
    return this.result === undefined;
  }

  /** Settles with the completion (never rejects). Made on first use, so sync users pay nothing. */
  get done(): Promise<ReceiveCompletion<M>> {
    if (this.promise === undefined) {
      this.promise =
        this.result !== undefined
          ? Promise.resolve(this.result)
          : new Promise((resolve) => (this.resolve = resolve));
    }
    return this.promise;
  }

  /** @internal Returns false when the receive had already completed. */
  settle(completion: ReceiveCompletion<M>): boolean {
    if (this.result !== undefined) return false;
    this.result = completion;
    this.timer?.cancel();
    this.timer = undefined;
    if (this.onAbort !== undefined) this.signal?.removeEventListener('abort', this.onAbort);
    this.onAbort = undefined;
    this.signal = undefined;
    this.resolve?.(completion);
    this.resolve = undefined;
    return true;
  }
}

/**
 * The posted-receive model (see index.ts): a producer pushes data in, a
 * consumer posts receives that complete with data, a timeout, a disconnect or
 * an abort; between them a bounded queue that never blocks the producer and
 * counts what it refuses.
 */
export class Receiver<M = undefined> {
  private readonly clock: Clock;
  private readonly single: boolean;
  private readonly maxOutstanding: number;
  private readonly stream: boolean;
  private readonly oversize: 'split' | 'refuse' | 'truncate';
  private readonly maxQueuedBytes: number;
  private readonly queue: BoundedQueue<Queued<M>>;
  private readonly pending: PendingReceive<M>[] = [];
  private queuedBytes = 0;
  private disconnectError: NetrxError | undefined;
  private counters = {
    delivered: 0,
    deliveredBytes: 0,
    dropped: 0,
    droppedBytes: 0,
    timeouts: 0,
    aborts: 0,
    disconnects: 0,
    refusedReceives: 0,
    tooSmall: 0,
    truncated: 0,
    truncatedBytes: 0,
    discarded: 0,
  };

  constructor(options: ReceiverOptions) {
    this.clock = options.clock;
    this.single = (options.outstanding ?? 'single') === 'single';
    this.maxOutstanding = this.single ? 1 : positive('maxOutstanding', options.maxOutstanding, 64);
    this.stream = options.framing === 'stream';
    this.oversize = options.oversize ?? 'split';
    this.queue = new BoundedQueue(positive('maxQueuedItems', options.maxQueuedItems, 1024));
    this.maxQueuedBytes = positive('maxQueuedBytes', options.maxQueuedBytes, 1024 * 1024);
  }

  /** True once `disconnect` was called; queued data can still be received. */
  get isDisconnected(): boolean {
    return this.disconnectError !== undefined;
  }

  /**
   * Posts a receive and returns at once. Throws `ERROR_ASYNC_REQUEST_PENDING`
   * when the policy's outstanding limit is reached.
   */
  receive(options: PostReceiveOptions = {}): PendingReceive<M> {
    const { buffer, timeoutMs, signal } = options;
    if (buffer !== undefined && (!(buffer instanceof Uint8Array) || buffer.length === 0)) {
      throw new TypeError('A receive buffer must be a non-empty Uint8Array');
    }
    if (timeoutMs !== undefined && !(timeoutMs >= 0 && Number.isFinite(timeoutMs))) {
      throw new RangeError(
        `A receive timeout must be a finite number of ms >= 0: got ${timeoutMs}`,
      );
    }
    if (this.pending.length >= this.maxOutstanding) {
      this.counters.refusedReceives++;
      throw new NetrxError(
        'ERROR_ASYNC_REQUEST_PENDING',
        this.single
          ? 'Cannot post a receive: one is already outstanding'
          : `Cannot post a receive: ${this.maxOutstanding} are already outstanding`,
      );
    }
    const op = new PendingReceive<M>(buffer);
    if (signal?.aborted) {
      this.finish(op, { status: 'aborted', reason: signal.reason });
    } else if (this.queue.length > 0 && this.pending.length === 0) {
      this.deliver(op);
    } else if (this.disconnectError !== undefined) {
      this.finish(op, { status: 'disconnected', error: this.disconnectError });
    } else if (timeoutMs === 0) {
      this.finish(op, TIMEOUT);
    } else {
      this.pending.push(op);
      if (timeoutMs !== undefined) {
        op.timer = this.clock.setTimer(timeoutMs, () => this.finish(op, TIMEOUT));
      }
      if (signal !== undefined) {
        op.signal = signal;
        op.onAbort = () => this.finish(op, { status: 'aborted', reason: signal.reason });
        signal.addEventListener('abort', op.onAbort, { once: true });
      }
    }
    return op;
  }

  /**
   * Producer side: offers `data` (kept as a view, not copied: the producer must
   * not reuse its memory). Never blocks. Returns false, and counts a drop, when
   * no receive is waiting and the queue is at its bound, or after a disconnect.
   */
  push(data: Uint8Array, meta: M): boolean {
    if (this.stream && data.length === 0) return true;
    if (!this.wouldAccept(data.length)) {
      this.refuse(data.length);
      return false;
    }
    // A receive is waiting only when the queue is empty, so this always fits.
    this.queue.push({ data, meta });
    this.queuedBytes += data.length;
    while (this.pending.length > 0 && this.queue.length > 0) {
      this.deliver(this.pending[0] as PendingReceive<M>);
    }
    return true;
  }

  /**
   * Whether a push of `length` bytes would be taken now (a receive waits, or
   * the queue has room), so a producer can check before it copies or formats
   * anything. Counts nothing; a producer that then does not push calls
   * `refuse` to have the drop counted.
   */
  wouldAccept(length: number): boolean {
    if (this.disconnectError !== undefined) return false;
    if (this.pending.length > 0) return true;
    return !this.queue.isFull && this.queuedBytes + length <= this.maxQueuedBytes;
  }

  /** Counts a push of `length` bytes refused before it was made (see `wouldAccept`). */
  refuse(length: number): void {
    this.counters.dropped++;
    this.counters.droppedBytes += length;
  }

  /**
   * The source is gone: every waiting receive completes `disconnected` with
   * `error` (default `ERROR_PORT_DISCONNECTED`). Data already queued is still
   * delivered to later receives; once it is drained they complete
   * `disconnected` at once. Later pushes are refused and counted. Idempotent.
   */
  disconnect(error?: NetrxError): void {
    if (this.disconnectError !== undefined) return;
    this.disconnectError =
      error ?? new NetrxError('ERROR_PORT_DISCONNECTED', 'The source was disconnected');
    for (const op of this.pending.slice()) {
      this.finish(op, { status: 'disconnected', error: this.disconnectError });
    }
  }

  /** Throws away everything queued (counted as `discarded`); returns how many pushes. */
  discard(): number {
    const removed = this.queue.clear();
    this.queuedBytes = 0;
    this.counters.discarded += removed;
    return removed;
  }

  stats(): ReceiverStats {
    return {
      ...this.counters,
      outstanding: this.pending.length,
      queuedItems: this.queue.length,
      queuedBytes: this.queuedBytes,
    };
  }

  /** Completes `op` from the head of the (non-empty) queue. */
  private deliver(op: PendingReceive<M>): void {
    const head = this.queue.peek() as Queued<M>;
    const buffer = op.buffer;
    if (buffer === undefined) {
      this.take();
      this.finishData(op, head.data, head.meta, this.stream && this.queue.length > 0);
    } else if (this.stream) {
      let written = 0;
      while (written < buffer.length && this.queue.length > 0) {
        const run = (this.queue.peek() as Queued<M>).data;
        const count = Math.min(run.length, buffer.length - written);
        buffer.set(run.subarray(0, count), written);
        written += count;
        if (count === run.length) this.take();
        else this.keepRest(count);
      }
      this.finishData(op, buffer.subarray(0, written), head.meta, this.queue.length > 0);
    } else if (head.data.length <= buffer.length) {
      buffer.set(head.data);
      this.take();
      this.finishData(op, buffer.subarray(0, head.data.length), head.meta, false);
    } else if (this.oversize === 'refuse') {
      this.counters.tooSmall++;
      this.finish(op, { status: 'too-small', needed: head.data.length });
    } else if (this.oversize === 'truncate') {
      buffer.set(head.data.subarray(0, buffer.length));
      this.take();
      this.counters.truncated++;
      this.counters.truncatedBytes += head.data.length - buffer.length;
      this.counters.delivered++;
      this.counters.deliveredBytes += buffer.length;
      this.finish(op, {
        status: 'data',
        data: buffer,
        meta: head.meta,
        more: false,
        truncated: true,
      });
    } else {
      buffer.set(head.data.subarray(0, buffer.length));
      this.keepRest(buffer.length);
      this.finishData(op, buffer, head.meta, true);
    }
  }

  private take(): void {
    const entry = this.queue.shift() as Queued<M>;
    this.queuedBytes -= entry.data.length;
  }

  private keepRest(consumed: number): void {
    const head = this.queue.peek() as Queued<M>;
    this.queue.replaceHead({ data: head.data.subarray(consumed), meta: head.meta });
    this.queuedBytes -= consumed;
  }

  private finishData(op: PendingReceive<M>, data: Uint8Array, meta: M, more: boolean): void {
    this.counters.delivered++;
    this.counters.deliveredBytes += data.length;
    this.finish(op, { status: 'data', data, meta, more });
  }

  private finish(op: PendingReceive<M>, completion: ReceiveCompletion<M>): void {
    if (!op.settle(completion)) return;
    const at = this.pending.indexOf(op);
    if (at >= 0) this.pending.splice(at, 1);
    switch (completion.status) {
      case 'timeout':
        this.counters.timeouts++;
        break;
      case 'aborted':
        this.counters.aborts++;
        break;
      case 'disconnected':
        this.counters.disconnects++;
        break;
      default:
        break;
    }
  }
}
