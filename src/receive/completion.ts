import type { NetrxError } from '../runtime/index.js';

/**
 * How a posted receive ended. Exactly one of these, exactly once.
 *
 * - `data`: bytes were delivered. `data` is the caller's buffer trimmed to the
 *   bytes written, or, when no buffer was posted, a view of the received bytes
 *   (no copy). `more` is true when the rest of the same message is still
 *   queued (a buffer smaller than the message) or, for byte streams, when more
 *   bytes are already waiting. `truncated` is present, and true, when the
 *   message was longer than the caller's buffer and the rest was discarded
 *   (a receiver with `oversize: 'truncate'`, as a datagram socket: MSG_TRUNC).
 * - `timeout`: the posted timeout passed with nothing to deliver.
 * - `disconnected`: the source went away before data came; `error` carries the
 *   cause (`ERROR_PORT_DISCONNECTED`, 619, unless the source said otherwise).
 * - `aborted`: the caller's `AbortSignal` fired first; `reason` is its reason.
 * - `too-small`: the posted buffer cannot hold the next message and the
 *   receiver was told not to split messages; the message stays queued and
 *   `needed` says how large a buffer it takes (`ERROR_BUFFER_TOO_SMALL`, 603).
 */
export type ReceiveCompletion<M = undefined> =
  | {
      readonly status: 'data';
      readonly data: Uint8Array;
      readonly meta: M;
      readonly more: boolean;
      readonly truncated?: true;
    }
  | { readonly status: 'timeout' }
  | { readonly status: 'disconnected'; readonly error: NetrxError }
  | { readonly status: 'aborted'; readonly reason: unknown }
  | { readonly status: 'too-small'; readonly needed: number };

export type ReceiveStatus = ReceiveCompletion['status'];
