/**
 * `WebSocketError`: the error `WebSocketStream` rejects and errors its
 * streams with (WHATWG WebSockets, the WebSocketStream draft), and the
 * value an application passes to `readable.cancel()` / `writable.abort()`
 * to choose the close code. It is a `DOMException` named
 * `'WebSocketError'` carrying `closeCode` and `reason`.
 *
 * The constructor checks what an application may send: `closeCode` 1000
 * or 3000-4999 (`InvalidAccessError` otherwise), `reason` at most 123 bytes
 * of UTF-8 (`SyntaxError`), and a reason without a code means 1000. Errors
 * netrx makes itself may carry codes nobody may send (1006 for a
 * connection that did not close cleanly): `connectionError` builds those.
 * A connection that never opened rejects with `closeCode` null, as
 * Chromium 156 does.
 */

/** The close code and reason of a `WebSocketError` or of `WebSocketStream.close()`. */
export interface WebSocketCloseInfo {
  readonly closeCode?: number;
  readonly reason?: string;
}

/** A close code and reason after the checks (`closeCode` null: a close frame with no status). */
export interface CheckedCloseInfo {
  readonly closeCode: number | null;
  readonly reason: string;
}

/** Longest close reason in UTF-8 bytes: a control frame carries 125, two are the code. */
const MAX_REASON_BYTES = 123;

const encoder = new TextEncoder();

/** WHATWG's close-info checks, shared by `new WebSocketError` and `WebSocketStream.close`. */
export function checkCloseInfo(info: WebSocketCloseInfo = {}): CheckedCloseInfo {
  const reason = info.reason ?? '';
  let closeCode = info.closeCode ?? null;
  if (closeCode !== null) {
    if (
      !Number.isInteger(closeCode) ||
      (closeCode !== 1000 && (closeCode < 3000 || closeCode > 4999))
    ) {
      throw new DOMException(
        `The close code must be 1000 or in 3000-4999: got ${String(closeCode)}`,
        'InvalidAccessError',
      );
    }
  }
  const reasonBytes = encoder.encode(reason).byteLength;
  if (reasonBytes > MAX_REASON_BYTES) {
    throw new DOMException(
      `The close reason must be at most ${MAX_REASON_BYTES} bytes of UTF-8: got ${reasonBytes}`,
      'SyntaxError',
    );
  }
  // A reason needs a status code on the wire: WHATWG picks 1000.
  if (closeCode === null && reason !== '') closeCode = 1000;
  return { closeCode, reason };
}

/** Lets `connectionError` set codes the public constructor refuses. */
let unchecked = false;

export class WebSocketError extends DOMException {
  /** The close code (null: none was given, or the close frame had no status). */
  readonly closeCode: number | null;
  readonly reason: string;

  constructor(message = '', init: WebSocketCloseInfo = {}) {
    super(message, 'WebSocketError');
    if (unchecked) {
      this.closeCode = init.closeCode ?? null;
      this.reason = init.reason ?? '';
      return;
    }
    const checked = checkCloseInfo(init);
    this.closeCode = checked.closeCode;
    this.reason = checked.reason;
  }
}

/**
 * A `WebSocketError` for what happened to the connection, with any close
 * code (1006 when it did not close cleanly). `cause` is the underlying
 * error, if one was reported.
 */
export function connectionError(
  message: string,
  closeCode: number | null,
  reason = '',
  cause?: unknown,
): WebSocketError {
  unchecked = true;
  try {
    const error = new WebSocketError(
      message,
      closeCode === null ? { reason } : { closeCode, reason },
    );
    if (cause !== undefined) Object.defineProperty(error, 'cause', { value: cause });
    return error;
  } finally {
    unchecked = false;
  }
}
