import type { DecodeFailure } from '../result.js';

/**
 * A peer broke RFC 6455 (or RFC 7692) in bytes it sent. Like every wire
 * failure it has a stable kebab-case `code`; `closeCode` is the status the
 * engine should send when it fails the connection (1002 protocol error,
 * 1007 invalid payload data, 1009 message too big).
 */
export interface WebSocketFailure extends DecodeFailure {
  readonly closeCode: number;
}

export type WebSocketResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly failure: WebSocketFailure };

/** The failing arm of `WebSocketResult`, as the frame checks return it. */
export type WebSocketFailed = { readonly ok: false; readonly failure: WebSocketFailure };

export function wsFailed(
  code: string,
  closeCode: number,
  message: string,
  offset?: number,
): WebSocketFailed {
  return {
    ok: false,
    failure:
      offset === undefined ? { code, closeCode, message } : { code, closeCode, message, offset },
  };
}
