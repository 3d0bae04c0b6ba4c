/**
 * The transport's batching and fairness constants (see transport.ts for
 * how they are used; docs/websocket.md and performance.md for why).
 *
 * Fairness: on a connection with permessage-deflate, one message can
 * inflate to `maxPayload` bytes (a zip bomb of 64 KiB costs tens of ms of
 * zlib), and gathering a large message is a long memcpy. Two loops bound
 * the work per turn:
 * - The handle works in steps (`receiveStepBytes`, 1 MiB here, handles.ts):
 *   a compressed frame is inflated only once all of it has arrived, then
 *   inflated and gathered at most about a step per `getAction`, which
 *   returns undefined with `receivePending` set in between. `drive` calls it
 *   again while the turn has used less than `TURN_BUDGET_MS`, and otherwise
 *   yields (setImmediate) and goes on after the event loop's turn.
 * - Such connections also feed their reads to the handle in slices and
 *   yield the same way once a drive has used the budget (checked after each
 *   slice and each message). The slice adapts to what the data costs: it
 *   halves (down to `MIN_INFLATE_SLICE`) each time a drive runs over the
 *   budget and doubles (up to `MAX_INFLATE_SLICE`) each time one finishes
 *   within it, so ordinary compressed traffic goes in large slices and a
 *   bomb in small ones.
 * While yielded, the socket keeps reading until `HELD_WHILE_YIELDED` bytes
 * wait unfed, then pauses; sends go on meanwhile (`getAction('send')`).
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
