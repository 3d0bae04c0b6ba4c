import type { BufferPool } from '../bytes/index.js';
import type { Clock, NetrxError } from '../runtime/index.js';
import type { TraceRegistry } from '../trace/index.js';
import type { AbortSignalLike } from '../runtime/index.js';

export interface PortOptions {
  readonly clock: Clock;
  /** Where `getBuffer` takes buffers from. Default: 16 buffers of 1500 bytes (RAS's limit). */
  readonly pool?: BufferPool;
  /**
   * Received bytes that may wait with no receive posted. At half of it the port
   * asks the transport to `pause`, and resumes it when reads drain the queue
   * below a quarter; bytes past the bound (a transport that cannot pause) are
   * refused and counted in `stats().dropped`. Default 64 KiB.
   */
  readonly maxQueuedBytes?: number;
  /** A name for logs, errors and traces. Default `port`. */
  readonly name?: string;
  /** Where the `netrx-port` provider writes (opened, disconnected, refusals, scripts). */
  readonly trace?: TraceRegistry;
}

/** What `retrieveBuffer` reports: `error` is a raserror.h number, 0 on success. */
export interface RetrieveResult {
  /** 0 (`ERROR_SUCCESS`), 600 (`PENDING`), 603, 619 or another disconnect cause, 638. */
  readonly error: number;
  /** Bytes received into the buffer (`*pdwSize`); 0 unless `error` is 0. */
  readonly size: number;
  /** The received bytes: a view of the caller's buffer. */
  readonly data: Uint8Array;
  /** The error behind a non-zero `error`, with its message and cause. */
  readonly cause?: NetrxError;
}

export interface PortReceiveOptions {
  /** Milliseconds to wait; absent waits until data or disconnect. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignalLike;
}

export interface PortStats {
  readonly bytesReceived: number;
  readonly bytesSent: number;
  readonly queuedBytes: number;
  /** Received bytes refused because the queue was at its bound (transport ignored `pause`). */
  readonly dropped: number;
  readonly droppedBytes: number;
  readonly timeouts: number;
  /** Receives refused with `ERROR_ASYNC_REQUEST_PENDING` (616). */
  readonly refusedReceives: number;
  readonly pauses: number;
}

/** The opaque `hPort` of the RAS callbacks: only the port that made it accepts it. */
export interface PortHandle {
  readonly name: string;
}

/** RAS's INFINITE: a `dwTimeout` of 0xFFFFFFFF never times out. */
export const INFINITE = 0xffff_ffff;
