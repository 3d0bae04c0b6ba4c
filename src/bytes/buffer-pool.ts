import { NetrxError } from '../runtime/index.js';

export interface BufferPoolOptions {
  /** Size of every buffer in the pool; RAS hands out at most 1500 bytes. Default 1500. */
  readonly bufferSize?: number;
  /** How many buffers may be out at once. Default 64. */
  readonly capacity?: number;
}

export interface BufferPoolStats {
  readonly bufferSize: number;
  readonly capacity: number;
  readonly inUse: number;
  /** Buffers handed out since the pool was made. */
  readonly handedOut: number;
  /** `free`/`check` calls refused because the buffer was not one of ours (or was already free). */
  readonly refused: number;
  /** `get` calls refused because every buffer was out. */
  readonly outOfBuffers: number;
}

/**
 * Fixed-size buffers with get and free, after RAS's `RasGetBuffer` and
 * `RasFreeBuffer`: the caller asks for a size and gets at most `bufferSize`
 * bytes; a port accepts only buffers that came from its pool, so a foreign or
 * already-freed buffer is refused with `ERROR_BUFFER_INVALID` (610) and counted;
 * when every buffer is out, `get` fails with `ERROR_OUT_OF_BUFFERS` (614).
 *
 * All buffers are views into one allocation made on first use, so the pool's
 * memory is bounded by `bufferSize * capacity` whatever the caller does.
 */
export class BufferPool {
  readonly bufferSize: number;
  readonly capacity: number;
  private slab: ArrayBuffer | undefined;
  private readonly inUseFlags: Uint8Array;
  private readonly freeSlots: number[];
  private handedOut = 0;
  private refused = 0;
  private outOfBuffers = 0;

  constructor(options: BufferPoolOptions = {}) {
    const bufferSize = options.bufferSize ?? 1500;
    const capacity = options.capacity ?? 64;
    if (!Number.isInteger(bufferSize) || bufferSize < 1 || bufferSize > 16 * 1024 * 1024) {
      throw new RangeError(`Buffer size must be an integer from 1 to 16777216: got ${bufferSize}`);
    }
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 65536) {
      throw new RangeError(`Pool capacity must be an integer from 1 to 65536: got ${capacity}`);
    }
    this.bufferSize = bufferSize;
    this.capacity = capacity;
    this.inUseFlags = new Uint8Array(capacity);
    this.freeSlots = [];
    for (let slot = capacity - 1; slot >= 0; slot--) this.freeSlots.push(slot);
  }

  /**
   * A buffer of `min(requestedSize, bufferSize)` bytes; its `length` is the size
   * allocated, as `RasGetBuffer` returns it through `pdwSize`.
   */
  get(requestedSize: number = this.bufferSize): Uint8Array<ArrayBuffer> {
    if (!Number.isInteger(requestedSize) || requestedSize < 1) {
      throw new RangeError(`Requested size must be a positive integer: got ${requestedSize}`);
    }
    const slot = this.freeSlots.pop();
    if (slot === undefined) {
      this.outOfBuffers++;
      throw new NetrxError(
        'ERROR_OUT_OF_BUFFERS',
        `Cannot get a buffer: all ${this.capacity} buffers of the pool are in use`,
      );
    }
    this.slab ??= new ArrayBuffer(this.bufferSize * this.capacity);
    this.inUseFlags[slot] = 1;
    this.handedOut++;
    return new Uint8Array(
      this.slab,
      slot * this.bufferSize,
      Math.min(requestedSize, this.bufferSize),
    );
  }

  /** Returns `buffer` to the pool; refuses one the pool did not hand out or already has back. */
  free(buffer: Uint8Array): void {
    const slot = this.slotOf(buffer);
    if (slot < 0) throw this.refuse('free');
    this.inUseFlags[slot] = 0;
    this.freeSlots.push(slot);
  }

  /** Whether `buffer` (or a view that starts where it starts) is out of this pool now. */
  owns(buffer: Uint8Array): boolean {
    return this.slotOf(buffer) >= 0;
  }

  /** Throws `ERROR_BUFFER_INVALID` (and counts it) unless `owns(buffer)`. */
  check(buffer: Uint8Array, action = 'use'): void {
    if (this.slotOf(buffer) < 0) throw this.refuse(action);
  }

  stats(): BufferPoolStats {
    return {
      bufferSize: this.bufferSize,
      capacity: this.capacity,
      inUse: this.capacity - this.freeSlots.length,
      handedOut: this.handedOut,
      refused: this.refused,
      outOfBuffers: this.outOfBuffers,
    };
  }

  private slotOf(buffer: Uint8Array): number {
    if (this.slab === undefined || buffer.buffer !== this.slab) return -1;
    if (buffer.byteOffset % this.bufferSize !== 0) return -1;
    const slot = buffer.byteOffset / this.bufferSize;
    if (buffer.length > this.bufferSize) return -1;
    return this.inUseFlags[slot] === 1 ? slot : -1;
  }

  private refuse(action: string): NetrxError {
    this.refused++;
    return new NetrxError(
      'ERROR_BUFFER_INVALID',
      `Cannot ${action} the buffer: it was not handed out by this pool, or was already freed`,
    );
  }
}
