import { NetrxError } from '../runtime/index.js';

/** Thrown when a read or write would cross the end of the bytes. */
export class BytesRangeError extends NetrxError {
  constructor(action: string, wanted: number, offset: number, available: number) {
    super(
      'ERR_BYTES_OUT_OF_RANGE',
      `Cannot ${action} ${wanted} bytes at offset ${offset}: ${available} available`,
    );
    this.name = 'BytesRangeError';
  }
}

/**
 * A cursor over a `Uint8Array` that reads integers in either byte order and
 * hands out sub-views without copying. Every read is bounds-checked and throws
 * `BytesRangeError` past the end; decoders that must not throw check
 * `remaining` first (or catch at their one entry point).
 */
export class ByteReader {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  /** The next byte to read, relative to `bytes`. */
  offset: number;

  constructor(bytes: Uint8Array, offset = 0) {
    this.bytes = bytes;
    // Always with byteOffset and byteLength: a pooled Buffer shares its ArrayBuffer.
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (!Number.isInteger(offset) || offset < 0 || offset > bytes.length) {
      throw new RangeError(`Cannot start reading at offset ${offset}: length is ${bytes.length}`);
    }
    this.offset = offset;
  }

  get length(): number {
    return this.bytes.length;
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  canRead(count: number): boolean {
    return count >= 0 && this.offset + count <= this.bytes.length;
  }

  private take(count: number): number {
    const at = this.offset;
    if (!(count >= 0) || at + count > this.bytes.length) {
      throw new BytesRangeError('read', count, at, this.bytes.length - at);
    }
    this.offset = at + count;
    return at;
  }

  u8(): number {
    return this.view.getUint8(this.take(1));
  }
  i8(): number {
    return this.view.getInt8(this.take(1));
  }
  u16(): number {
    return this.view.getUint16(this.take(2));
  }
  u16le(): number {
    return this.view.getUint16(this.take(2), true);
  }
  i16(): number {
    return this.view.getInt16(this.take(2));
  }
  i16le(): number {
    return this.view.getInt16(this.take(2), true);
  }
  u24(): number {
    const at = this.take(3);
    return (this.view.getUint16(at) << 8) | this.view.getUint8(at + 2);
  }
  u32(): number {
    return this.view.getUint32(this.take(4));
  }
  u32le(): number {
    return this.view.getUint32(this.take(4), true);
  }
  i32(): number {
    return this.view.getInt32(this.take(4));
  }
  i32le(): number {
    return this.view.getInt32(this.take(4), true);
  }
  u64(): bigint {
    return this.view.getBigUint64(this.take(8));
  }
  u64le(): bigint {
    return this.view.getBigUint64(this.take(8), true);
  }

  /** The next `count` bytes as a view into the same memory (no copy). */
  bytesView(count: number): Uint8Array {
    const at = this.take(count);
    return this.bytes.subarray(at, at + count);
  }

  /** Everything not yet read, as a view (no copy). */
  rest(): Uint8Array {
    const at = this.offset;
    this.offset = this.bytes.length;
    return this.bytes.subarray(at);
  }

  skip(count: number): void {
    this.take(count);
  }

  peekU8(at = 0): number {
    if (!this.canRead(at + 1)) throw new BytesRangeError('peek', 1, this.offset + at, 0);
    return this.bytes[this.offset + at] as number;
  }
}
