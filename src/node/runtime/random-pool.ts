/**
 * Random bytes drawn from a CSPRNG a block at a time: one fill of `size`
 * bytes instead of one call per 16-byte State or challenge (the EAP bench's
 * profile had `randomFillSync` at 4 %). Every byte is handed out once and then
 * zeroed in the pool, so what a caller got is never visible to the next.
 *
 * The pool lives in an ordinary ArrayBuffer of the thread that made it: a
 * worker thread loads its own copy of this module and so has its own pool,
 * never a view of another thread's (which only a SharedArrayBuffer could give).
 */
export interface RandomPool {
  /** Fills `into` (at most the pool's size) with bytes no other draw got. */
  draw(into: Uint8Array): void;
  /** The pool's own bytes, for tests: handed-out bytes read as zero. */
  readonly bytes: Uint8Array;
}

export function createRandomPool(fill: (block: Uint8Array) => void, size: number): RandomPool {
  const pool = new Uint8Array(new ArrayBuffer(size));
  let at = size;
  return {
    bytes: pool,
    draw(into: Uint8Array): void {
      const n = into.length;
      if (n > size) throw new RangeError(`a pooled draw is at most ${size} bytes: got ${n}`);
      if (at + n > size) {
        fill(pool);
        at = 0;
      }
      const taken = pool.subarray(at, at + n);
      into.set(taken);
      taken.fill(0);
      at += n;
    },
  };
}
