/**
 * The transport's booleans, packed into one number per connection (each
 * boolean field would cost a connection 8 bytes, and idle memory per
 * connection is a target). Split from transport.ts: no behaviour here.
 */
import type { WriteCallback } from './transport-events.js';

/** The peer ended its side. */
export const FLAG_END_OF_STREAM = 1;
/** The action loop is running (re-entrant calls return at once). */
export const FLAG_DRIVING = 2;
/** A microtask will run the action loop. */
export const FLAG_SCHEDULED = 4;
/** We ended (or destroyed) the socket. */
export const FLAG_ENDED = 8;
/** onClose ran: the transport is finished. */
export const FLAG_CLOSED = 16;
/** The socket closed: nothing may be written any more. */
export const FLAG_GONE = 32;
/** Reading is paused because the socket holds too much unsent data. */
export const FLAG_PAUSED = 64;
/** Reads are fed in slices with a time budget (permessage-deflate negotiated). */
export const FLAG_SLICED = 128;
/** The drive gave the event loop back; the rest of the input waits for setImmediate. */
export const FLAG_YIELDED = 256;
/** The application paused the connection (`ws.pause()`). */
export const FLAG_USER_PAUSED = 512;
/** What `socket.pause()`/`resume()` was last told (true: paused). */
export const FLAG_SOCKET_PAUSED = 1024;
/** Bits 11-13: log2(slice / MIN_INFLATE_SLICE), the deflate connection's current slice size. */
export const SLICE_SHIFT = 11;
export const SLICE_BITS = 7 << SLICE_SHIFT;
/** Receives are queued with `{ pieces: true }` (`binaryType: 'fragments'`). */
export const FLAG_PIECES = 1 << 14;
/**
 * This drive fed the handle input: what it writes is output that reading
 * produced (echoes, pongs, close replies), which the read pause bounds.
 */
export const FLAG_INPUT_FED = 1 << 15;
/*
 * Output that reading produced (echoes, pongs, close replies) is backed
 * up. Over TCP, reading pauses until drain: not reading bounds it, and the
 * kernel's buffers on both ends keep two echoing peers moving. A backlog
 * of the application's own sends never pauses reading: not reading would
 * not shrink it, and over HTTP/2 two ends that both stopped reading
 * waited for each other for ever (issue 8, send-flood-stall.test.ts).
 *
 * Over an HTTP/2 stream reading never pauses for it: a stream that is
 * not read withholds the peer's WINDOW_UPDATE, so two endpoints that
 * both echo a flood stalled with both windows full and each side paused
 * (issue 8, mutual-echo-flood.test.ts). Reading goes on and the
 * connection bounds the backlog instead: past `maxBackpressure` it fails
 * with 1008 rather than grow (`onInputBacklog`).
 */
/**
 * The stream is an HTTP/2 stream (RFC 8441): its peer's writes wait for
 * the WINDOW_UPDATE that only our reading sends, so reading never pauses
 * for our own write backlog (see `boundInputBacklog`).
 */
export const FLAG_FLOW_CONTROLLED = 1 << 16;
export const AS_PIECES = Object.freeze({ pieces: true });
export const NOT_AS_PIECES = Object.freeze({ pieces: false });

// Shared empty lists: most connections never need their own (memory per idle connection).
// Frozen, so a push site that forgets its `=== NO_…` guard throws instead of
// putting one connection's frames or reads into every other connection's list.
export const NO_CALLBACKS = Object.freeze([]) as unknown as WriteCallback[];
export const NO_CHUNKS = Object.freeze([]) as unknown as Uint8Array[];
