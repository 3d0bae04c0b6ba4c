import type { TransportOptions } from './transport.js';

/** Options every connection takes, server side or client. */
export interface ConnectionOptions extends TransportOptions {
  /** `send` answers `'backpressure'` when more than this waits (default 64 KiB). */
  readonly backpressureAbove?: number;
  /** `send` refuses (`'dropped'`) a message that would make more than this wait (default Infinity). */
  readonly maxBackpressure?: number;
}
