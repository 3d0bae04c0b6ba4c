/** Where a `BatchedWriter` puts its bytes: a file handle, or a fake in tests. */
export interface WriteTarget {
  /** Writes the chunks in order; resolves with the bytes written (fewer means a short write). */
  writev(chunks: readonly Uint8Array[]): Promise<number>;
}

export interface BatchedWriterOptions {
  /** Bytes accepted and not yet written (queued plus in flight); a chunk that would pass it is dropped. */
  readonly maxPendingBytes: number;
  /** Called once, with the first write failure; afterwards every chunk is dropped. */
  readonly onError?: (error: Error) => void;
  /** Called when a chunk is dropped for the byte limit, once per run of such drops. */
  readonly onBacklogFull?: (pendingBytes: number) => void;
}

export interface BatchedWriterStats {
  /** Chunks accepted (written, or still pending). */
  readonly accepted: number;
  readonly writtenBytes: number;
  readonly pendingBytes: number;
  /** Calls to the target: one per batch. */
  readonly writes: number;
  readonly dropped: {
    /** Refused because the pending bytes would have passed the limit. */
    readonly backlog: number;
    /** Accepted but never written because a write failed first, or refused after it. */
    readonly afterError: number;
  };
  /** The first write failure's message. */
  readonly error?: string;
}

interface Waiter {
  readonly upTo: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * A bounded, batching write queue: `push` never waits and never grows past
 * `maxPendingBytes` (it refuses and counts instead); at most one write is in
 * flight, and everything pushed meanwhile goes out in the next one, so a
 * burst of records costs one `writev`, not one write per record. The first
 * write failure is reported once and stops the queue: what was pending is
 * counted as lost, later chunks are refused and counted, `flush` rejects.
 */
export class BatchedWriter {
  private readonly target: WriteTarget;
  private readonly options: BatchedWriterOptions;
  private batch: Uint8Array[] = [];
  private batchBytes = 0;
  private inFlightBytes = 0;
  private inFlightChunks = 0;
  private scheduled = false;
  private writing = false;
  private refusing = false;
  private failure: { readonly error: Error } | undefined;
  private acceptedBytes = 0;
  private writtenBytes = 0;
  private accepted = 0;
  private writes = 0;
  private readonly dropped = { backlog: 0, afterError: 0 };
  private waiters: Waiter[] = [];

  constructor(target: WriteTarget, options: BatchedWriterOptions) {
    const limit = options.maxPendingBytes;
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`maxPendingBytes must be a positive integer: got ${limit}`);
    }
    this.target = target;
    this.options = options;
  }

  get pendingBytes(): number {
    return this.batchBytes + this.inFlightBytes;
  }

  /** Queues `chunk` (kept, not copied); false when it was dropped (limit reached, or failed). */
  push(chunk: Uint8Array): boolean {
    if (this.failure !== undefined) {
      this.dropped.afterError++;
      return false;
    }
    if (this.pendingBytes + chunk.length > this.options.maxPendingBytes) {
      this.dropped.backlog++;
      if (!this.refusing) {
        this.refusing = true;
        this.options.onBacklogFull?.(this.pendingBytes);
      }
      return false;
    }
    this.refusing = false;
    this.batch.push(chunk);
    this.batchBytes += chunk.length;
    this.acceptedBytes += chunk.length;
    this.accepted++;
    if (!this.writing && !this.scheduled) {
      // Start on the next turn, so that the whole of this turn's burst is one write.
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        void this.pump();
      });
    }
    return true;
  }

  /** Resolves when everything pushed so far is written; rejects with the write failure. */
  flush(): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure.error);
    if (this.writtenBytes >= this.acceptedBytes) return Promise.resolve();
    return new Promise((resolve, reject) =>
      this.waiters.push({ upTo: this.acceptedBytes, resolve, reject }),
    );
  }

  stats(): BatchedWriterStats {
    return {
      accepted: this.accepted,
      writtenBytes: this.writtenBytes,
      pendingBytes: this.pendingBytes,
      writes: this.writes,
      dropped: { ...this.dropped },
      ...(this.failure === undefined ? {} : { error: this.failure.error.message }),
    };
  }

  private async pump(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    while (this.batch.length > 0 && this.failure === undefined) {
      const chunks = this.batch;
      this.batch = [];
      this.inFlightBytes = this.batchBytes;
      this.inFlightChunks = chunks.length;
      this.batchBytes = 0;
      try {
        this.writes++;
        await writeAll(this.target, chunks, this.inFlightBytes);
        this.writtenBytes += this.inFlightBytes;
        this.inFlightBytes = 0;
        this.inFlightChunks = 0;
        this.refusing = false;
        this.settle();
      } catch (error) {
        this.fail(error);
      }
    }
    this.writing = false;
  }

  private settle(): void {
    if (this.waiters.length === 0) return;
    const waiting: Waiter[] = [];
    for (const waiter of this.waiters) {
      if (waiter.upTo <= this.writtenBytes) waiter.resolve();
      else waiting.push(waiter);
    }
    this.waiters = waiting;
  }

  private fail(thrown: unknown): void {
    const error = thrown instanceof Error ? thrown : new Error(String(thrown));
    this.failure = { error };
    this.dropped.afterError += this.inFlightChunks + this.batch.length;
    this.batch = [];
    this.batchBytes = 0;
    this.inFlightBytes = 0;
    this.inFlightChunks = 0;
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
    this.options.onError?.(error);
  }
}

/** Writes every byte of `chunks`, going on after short writes. */
async function writeAll(target: WriteTarget, chunks: Uint8Array[], total: number): Promise<void> {
  let rest = chunks;
  let left = total;
  for (;;) {
    const written = await target.writev(rest);
    if (written >= left) return;
    if (written <= 0) throw new Error('the write made no progress');
    left -= written;
    let skip = written;
    while (skip > 0) {
      const first = rest[0] as Uint8Array;
      if (first.length <= skip) {
        skip -= first.length;
        rest = rest.slice(1);
      } else {
        rest = [first.subarray(skip), ...rest.slice(1)];
        skip = 0;
      }
    }
  }
}
