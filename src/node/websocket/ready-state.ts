/**
 * readyState values and what `send` takes besides the data: the vocabulary
 * `WebSocket` shares with its helpers.
 */
import { NetrxError } from '../../runtime/index.js';

export type SendResult = 'sent' | 'backpressure' | 'dropped';
export type SendCallback = (error?: Error) => void;

export interface SendOptions {
  /** Send bytes as binary (default) or text; a string is text unless this is true. */
  readonly binary?: boolean;
  /** Compress this message when permessage-deflate is on (default true, over the threshold). */
  readonly compress?: boolean;
  /** False: more fragments of this message follow (sent uncompressed). */
  readonly fin?: boolean;
  /** Accepted for `ws` compatibility; a client always masks, a server never does. */
  readonly mask?: boolean;
}

/** How `sendPrepared` treats a refusal over `maxBackpressure` or the send queue's bound. */
export interface SendPreparedOptions {
  /**
   * `'fail'` (default, as `send` without a callback): the connection fails
   * with 1008, so its peer never sees a hole. `'skip'`: this message is not
   * sent to this connection, counted in `sendsRefused`, and the connection
   * stays open (`'drain'` follows once it catches up).
   */
  readonly whenFull?: 'fail' | 'skip';
}

export const CONNECTING = 0;
export const OPEN = 1;
export const CLOSING = 2;
export const CLOSED = 3;

const STATE_NAMES = Object.freeze(['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'] as const);

/** What `send`, `ping` and `pong` throw while CONNECTING (and pass to callbacks once closing). */
export function notOpen(state: number): NetrxError {
  return new NetrxError(
    'ERR_WS_NOT_OPEN',
    `WebSocket is not open: readyState ${state} (${STATE_NAMES[state] ?? '?'})`,
  );
}
