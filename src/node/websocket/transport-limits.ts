/**
 * The transport's batching and fairness constants (see transport.ts for
 * how they are used; docs/websocket.md and performance.md for why).
 */
/** Batches up to this size are joined into one buffer before writing. */
export const JOIN_BELOW = 64 * 1024;
/**
 * A batch this big (or this many frames) is written at once, mid-turn.
 * Waiting for the end of the turn makes two pipelined peers take turns
 * instead of overlapping (measured: 16 B echo 240k → 430k msg/s).
 */
export const FLUSH_AT_BYTES = 16 * 1024;
export const FLUSH_AT_FRAMES = 32;
/**
 * The smallest input fed to a deflate connection's handle at once. DEFLATE
 * expands at most ~1032:1, so it inflates to at most ~1 MiB (< 1 ms of zlib).
 */
export const MIN_INFLATE_SLICE = 1024;
/** The largest (64 KiB, Node's read size: normal traffic is not sliced at all). */
export const MAX_INFLATE_SLICE = MIN_INFLATE_SLICE << 6;
/** Where a connection starts: 4 KiB. */
export const FIRST_SLICE_STEP = 2;
export const MAX_SLICE_STEP = 6;
/** A deflate connection's drive yields to the event loop after this long. */
export const TURN_BUDGET_MS = 2;
/**
 * While a connection has yielded, the socket keeps reading until this much
 * waits unfed, then pauses: most yields cost no pause/resume syscalls, and
 * a peer faster than its inflating still cannot grow memory.
 */
export const HELD_WHILE_YIELDED = 256 * 1024;
