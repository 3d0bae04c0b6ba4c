/**
 * netrx/bytes: the byte-level ground every other module stands on.
 *
 * Everything here works on plain `Uint8Array` (a Node `Buffer` passes straight
 * in) and copies only where a function says it does. `ByteReader` and
 * `ByteWriter` are bounds-checked cursors in both byte orders; their views
 * share memory with the bytes they came from. `BufferPool` is RAS's
 * `RasGetBuffer`/`RasFreeBuffer`: fixed-size buffers that a port can tell from
 * anyone else's, with counted refusals. No Node APIs, no timers, no randomness.
 */
export { ByteReader, BytesRangeError } from './reader.js';
export { ByteWriter } from './writer.js';
export { toHex, fromHex, hexdump } from './hex.js';
export { concat, equalBytes } from './concat.js';
export { BufferPool, type BufferPoolOptions, type BufferPoolStats } from './buffer-pool.js';
export { toBase64, fromBase64, decodeBase64 } from './base64.js';
export { allocFromSlab, createSlabAllocator } from './slab.js';
export { utf8Bytes } from './utf8.js';
