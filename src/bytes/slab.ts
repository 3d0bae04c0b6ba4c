/**
 * Fresh, zeroed buffers for small things the stack sends (frames, trace
 * payloads, WebSocket frame headers), carved from 64 KiB
 * slabs the way Node carves small Buffers from its pool: a small
 * ArrayBuffer of its own costs several times more than building the frame.
 * A region is handed out once and never reused, so a sender may
 * keep its frame as long as it likes; a slab is freed when the last frame in
 * it is. Frames over 4 KiB get their own allocation.
 */
const SLAB_SIZE = 64 * 1024;
const OWN_ABOVE = 4 * 1024;
let slab = new Uint8Array(SLAB_SIZE);
let used = 0;

export function allocFromSlab(size: number): Uint8Array<ArrayBuffer> {
  if (size > OWN_ABOVE) return new Uint8Array(size);
  if (used + size > SLAB_SIZE) {
    slab = new Uint8Array(SLAB_SIZE);
    used = 0;
  }
  const start = used;
  // Keep every frame 8-byte aligned, so word-wise checksum code stays aligned too.
  used += (size + 7) & ~7;
  return slab.subarray(start, start + size);
}

/**
 * A private slab allocator, for one kind of small buffer that lives a while
 * (RADIUS responses kept by the duplicate-request cache): its buffers share
 * slabs only with each other, so a slab is pinned by its own kind alone, and
 * buffers made in the same period sit together and go together.
 */
export function createSlabAllocator(
  slabSize: number,
  ownAbove: number,
): (size: number) => Uint8Array<ArrayBuffer> {
  if (!(ownAbove > 0 && slabSize >= ownAbove)) {
    throw new RangeError('createSlabAllocator: need 0 < ownAbove <= slabSize');
  }
  let current = new Uint8Array(slabSize);
  let at = 0;
  return (size) => {
    if (size > ownAbove) return new Uint8Array(size);
    if (at + size > slabSize) {
      current = new Uint8Array(slabSize);
      at = 0;
    }
    const start = at;
    at += (size + 7) & ~7;
    return current.subarray(start, start + size);
  };
}
