import type { TransportOptions } from './transport.js';

/** `send` answers `'backpressure'` above this many waiting bytes. */
export const DEFAULT_BACKPRESSURE_ABOVE = 64 * 1024;
/**
 * `send` refuses a message that would make more than this wait: the
 * default message limit, so one largest message always fits when nothing
 * else waits.
 */
export const DEFAULT_MAX_BACKPRESSURE = 64 * 1024 * 1024;

/** Options every connection takes, server side or client. */
export interface ConnectionOptions extends TransportOptions {
  /** `send` answers `'backpressure'` when more than this waits (default 64 KiB). */
  readonly backpressureAbove?: number;
  /**
   * `send` refuses (`'dropped'`, counted in `sendsRefused`) a message that
   * would make more than this wait (default 64 MiB; `Infinity` for none).
   */
  readonly maxBackpressure?: number;
  /** Answer pings automatically (default true, as in `ws`); false: call `pong()` yourself. */
  readonly autoPong?: boolean;
}
