/**
 * Why an opening handshake failed. `code` is stable (kebab-case, listed in
 * docs/errors.md). On the server side `status` is the HTTP status to answer
 * with and `headers` any header the answer must carry (426 carries
 * `Sec-WebSocket-Version: 13`, 405 carries `Allow: GET`); on the client side
 * both are absent, since the only thing left to do is to drop the connection.
 */
export interface HandshakeFailure {
  readonly code: string;
  readonly message: string;
  readonly status?: number;
  readonly headers?: readonly HttpHeader[];
}

/** A header field as it appeared: name with its original case, value trimmed. */
export type HttpHeader = readonly [name: string, value: string];

export type HandshakeResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly failure: HandshakeFailure };

export type HandshakeFailed = { readonly ok: false; readonly failure: HandshakeFailure };

export function handshakeFailed(
  code: string,
  message: string,
  status?: number,
  headers?: readonly HttpHeader[],
): HandshakeFailed {
  const failure: HandshakeFailure =
    status === undefined
      ? { code, message }
      : headers === undefined
        ? { code, message, status }
        : { code, message, status, headers };
  return { ok: false, failure };
}
