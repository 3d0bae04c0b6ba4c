import { BytesRangeError } from './reader.js';

/**
 * A cursor that writes integers in either byte order into a `Uint8Array`.
 *
 * `new ByteWriter(buffer)` writes in place into a caller's buffer and throws
 * `BytesRangeError` rather than run past its end. `ByteWriter.growable()` owns
 * its memory and doubles it as needed, up to `maxCapacity`, so a builder never
 * grows without bound. `finish()` returns the written bytes as a view.
 */
export class ByteWriter {
  private buffer: Uint8Array;
  private view: DataView;
  private readonly maxCapacity: number;
  offset: number;

  /**
   * Writes into `buffer` from `offset`. `maxCapacity` above the buffer's length
   * lets the writer move to larger buffers of its own (see `growable`).
   */
  constructor(buffer: Uint8Array, offset = 0, maxCapacity = buffer.length) {
    this.buffer = buffer;
    this.view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    this.maxCapacity = Math.max(maxCapacity, buffer.length);
    if (!Number.isInteger(offset) || offset < 0 || offset > buffer.length) {
      throw new RangeError(`Cannot start writing at offset ${offset}: length is ${buffer.length}`);
    }
    this.offset = offset;
  }

  /** A writer that owns a buffer of `initialCapacity` and grows to `maxCapacity`. */
  static growable(initialCapacity = 256, maxCapacity = 64 * 1024 * 1024): ByteWriter {
    if (!(initialCapacity >= 1 && initialCapacity <= maxCapacity)) {
      throw new RangeError(
        `Cannot create a growable writer: initial capacity ${initialCapacity} must be from 1 to ${maxCapacity}`,
      );
    }
    return new ByteWriter(new Uint8Array(initialCapacity), 0, maxCapacity);
  }

  get capacity(): number {
    return this.buffer.length;
  }

  get remaining(): number {
    return this.buffer.length - this.offset;
  }

  /**
   * Claims `count` bytes and returns where they start. Call it before reading
   * `this.view`: growing replaces the view.
   */
  private reserve(count: number): number {
    const at = this.offset;
    const end = at + count;
    if (end > this.buffer.length) this.grow(end, count);
    this.offset = end;
    return at;
  }

  private grow(needed: number, count: number): void {
    if (needed > this.maxCapacity) {
      throw new BytesRangeError('write', count, this.offset, this.maxCapacity - this.offset);
    }
    let size = Math.max(this.buffer.length * 2, 16);
    while (size < needed) size *= 2;
    size = Math.min(size, this.maxCapacity);
    // Deliberate copy: growing means moving to a larger allocation.
    const next = new Uint8Array(size);
    next.set(this.buffer.subarray(0, this.offset));
    this.buffer = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }

  u8(value: number): this {
    const at = this.reserve(1);
    this.view.setUint8(at, value);
    return this;
  }
  u16(value: number): this {
    const at = this.reserve(2);
    this.view.setUint16(at, value);
    return this;
  }
  u16le(value: number): this {
    const at = this.reserve(2);
    this.view.setUint16(at, value, true);
    return this;
  }
  u24(value: number): this {
    const at = this.reserve(3);
    this.view.setUint16(at, value >>> 8);
    this.view.setUint8(at + 2, value & 0xff);
    return this;
  }
  u32(value: number): this {
    const at = this.reserve(4);
    this.view.setUint32(at, value);
    return this;
  }
  u32le(value: number): this {
    const at = this.reserve(4);
    this.view.setUint32(at, value, true);
    return this;
  }
  i32(value: number): this {
    const at = this.reserve(4);
    this.view.setInt32(at, value);
    return this;
  }
  i32le(value: number): this {
    const at = this.reserve(4);
    this.view.setInt32(at, value, true);
    return this;
  }
  u64(value: bigint): this {
    const at = this.reserve(8);
    this.view.setBigUint64(at, value);
    return this;
  }
  u64le(value: bigint): this {
    const at = this.reserve(8);
    this.view.setBigUint64(at, value, true);
    return this;
  }

  bytes(data: Uint8Array): this {
    const at = this.reserve(data.length);
    this.buffer.set(data, at);
    return this;
  }

  /** Writes `count` zero bytes. */
  zeros(count: number): this {
    const at = this.reserve(count);
    this.buffer.fill(0, at, at + count);
    return this;
  }

  /** The bytes written so far, as a view into the writer's buffer (no copy). */
  finish(): Uint8Array {
    return this.buffer.subarray(0, this.offset);
  }
}
