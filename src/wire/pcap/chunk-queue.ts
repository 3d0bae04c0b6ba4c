/**
 * The bytes pushed into a reader and not yet consumed, kept as the caller's own
 * chunks (no copy on push). `peek` hands out a view when the wanted bytes lie in
 * one chunk and copies only when they span chunks, so a reader that peeks a
 * block once and then skips it copies at most one block.
 */
export class ChunkQueue {
  private chunks: Uint8Array[] = [];
  private head = 0;
  private headOffset = 0;
  /** Bytes pushed and not yet skipped. */
  available = 0;
  /** Bytes skipped since the start: the file offset of the next byte. */
  position = 0;

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.available += chunk.length;
  }

  /**
   * `count` bytes from `at` (relative to the next unconsumed byte), without
   * consuming them; `undefined` when fewer are buffered.
   */
  peek(count: number, at = 0): Uint8Array | undefined {
    if (at + count > this.available) return undefined;
    if (count === 0) return new Uint8Array(0);
    let index = this.head;
    let offset = this.headOffset + at;
    let chunk = this.chunks[index] as Uint8Array;
    while (offset >= chunk.length) {
      offset -= chunk.length;
      chunk = this.chunks[++index] as Uint8Array;
    }
    if (offset + count <= chunk.length) return chunk.subarray(offset, offset + count);
    // Deliberate copy: the bytes span chunks. Bounded by the caller's checked length.
    const out = new Uint8Array(count);
    let filled = 0;
    while (filled < count) {
      const part = chunk.subarray(offset, Math.min(chunk.length, offset + count - filled));
      out.set(part, filled);
      filled += part.length;
      offset = 0;
      chunk = this.chunks[++index] as Uint8Array;
    }
    return out;
  }

  /** Drops `count` buffered bytes (the caller has checked `available`). */
  skip(count: number): void {
    let left = Math.min(count, this.available);
    this.available -= left;
    this.position += left;
    while (left > 0) {
      const chunk = this.chunks[this.head] as Uint8Array;
      const inChunk = chunk.length - this.headOffset;
      if (left < inChunk) {
        this.headOffset += left;
        break;
      }
      left -= inChunk;
      this.head++;
      this.headOffset = 0;
    }
    if (this.head > 32 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
    if (this.available === 0) {
      this.chunks = [];
      this.head = 0;
      this.headOffset = 0;
    }
  }

  /** Forgets everything buffered (after a fatal error). */
  clear(): void {
    this.position += this.available;
    this.chunks = [];
    this.head = 0;
    this.headOffset = 0;
    this.available = 0;
  }
}
