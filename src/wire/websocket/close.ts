import { EMPTY_BYTES } from './empty.js';
import { wsFailed, type WebSocketResult } from './failure.js';
import { isValidUtf8 } from './utf8.js';

/**
 * Close codes (RFC 6455 §7.4.1, and the IANA "WebSocket Close Code Number"
 * registry for 1012-1015). 1005, 1006 and 1015 are reserved for reporting:
 * an endpoint uses them locally but must never put them in a close frame.
 */
export const CloseCode = Object.freeze({
  /** 1000: the purpose of the connection was fulfilled. */
  NormalClosure: 1000,
  /** 1001: the endpoint is going away (server shutdown, page navigation). */
  GoingAway: 1001,
  /** 1002: the peer broke the protocol. */
  ProtocolError: 1002,
  /** 1003: a data type the endpoint cannot accept (text to a binary-only endpoint). */
  UnsupportedData: 1003,
  /** 1005: reserved, never sent: the close frame carried no status code. */
  NoStatusReceived: 1005,
  /** 1006: reserved, never sent: the connection dropped without a close frame. */
  AbnormalClosure: 1006,
  /** 1007: message data inconsistent with its type (invalid UTF-8 in text). */
  InvalidFramePayloadData: 1007,
  /** 1008: a message violated the endpoint's policy. */
  PolicyViolation: 1008,
  /** 1009: a message too big to process. */
  MessageTooBig: 1009,
  /** 1010: (client) the server did not negotiate an extension the client requires. */
  MandatoryExtension: 1010,
  /** 1011: (server) an unexpected condition prevented the request. */
  InternalError: 1011,
  /** 1012: (IANA) the service is restarting. */
  ServiceRestart: 1012,
  /** 1013: (IANA) try again later: temporary overload. */
  TryAgainLater: 1013,
  /** 1014: (IANA) a gateway or proxy got an invalid upstream response. */
  BadGateway: 1014,
  /** 1015: reserved, never sent: the TLS handshake failed. */
  TlsHandshake: 1015,
} as const);
export type CloseCodeName = keyof typeof CloseCode;

/** The most a close reason may take: 125 (control frame) − 2 (status code). */
export const MAX_CLOSE_REASON_BYTES = 123;

/**
 * Whether `code` may appear in a close frame (RFC 6455 §7.4): 1000-1003,
 * 1007-1014 (1012-1014 registered with IANA since) and 3000-4999 (libraries,
 * frameworks and applications). 1004, 1005, 1006, 1015, 1016-2999, anything
 * below 1000 and 5000 and above are rejected.
 */
export function isValidWireCloseCode(code: number): boolean {
  if (!Number.isInteger(code)) return false;
  if (code >= 1000 && code <= 1014) return code !== 1004 && code !== 1005 && code !== 1006;
  return code >= 3000 && code <= 4999;
}

export interface ClosePayload {
  /** The status code; `1005` (`NoStatusReceived`) when the body was empty. */
  readonly code: number;
  /** The reason, decoded; empty when there was none. */
  readonly reason: string;
  /** The reason's raw UTF-8 bytes, a view into the payload (no copy). */
  readonly reasonBytes: Uint8Array;
}

const utf8Decoder = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

/**
 * Reads the body of a close frame (RFC 6455 §5.5.1). Empty is allowed and
 * reads as 1005; one byte, or more than 125, is a protocol error; the code
 * must be valid on the wire; the reason must be valid UTF-8 (1007 otherwise)
 * unless `verifyUtf8` is false (the handle's `disableUtf8Verification`): then
 * invalid sequences read as U+FFFD.
 */
export function parseClosePayload(
  payload: Uint8Array,
  options: { readonly verifyUtf8?: boolean } = {},
): WebSocketResult<ClosePayload> {
  if (payload.length === 0) {
    return {
      ok: true,
      value: { code: CloseCode.NoStatusReceived, reason: '', reasonBytes: EMPTY_BYTES },
    };
  }
  if (payload.length === 1) {
    return wsFailed(
      'close-payload-too-short',
      CloseCode.ProtocolError,
      'A close frame body must be empty or hold at least a 2-byte status code: got 1 byte',
    );
  }
  if (payload.length > 2 + MAX_CLOSE_REASON_BYTES) {
    return wsFailed(
      'control-frame-too-long',
      CloseCode.ProtocolError,
      `A close frame body may hold at most 125 bytes: got ${payload.length}`,
    );
  }
  const code = ((payload[0] as number) << 8) | (payload[1] as number);
  if (!isValidWireCloseCode(code)) {
    return wsFailed(
      'close-code-invalid',
      CloseCode.ProtocolError,
      `Close code ${code} may not be sent on the wire`,
      0,
    );
  }
  const reasonBytes = payload.subarray(2);
  if (options.verifyUtf8 !== false && !isValidUtf8(reasonBytes)) {
    return wsFailed(
      'close-reason-invalid-utf8',
      CloseCode.InvalidFramePayloadData,
      'The close reason is not valid UTF-8',
      2,
    );
  }
  const reason = reasonBytes.length === 0 ? '' : utf8Decoder.decode(reasonBytes);
  return { ok: true, value: { code, reason, reasonBytes } };
}

/**
 * The body of a close frame: nothing when `code` is undefined, else the code
 * and the reason's UTF-8. Throws `RangeError` for a code that may not go on
 * the wire or a reason over 123 bytes, and `TypeError` for a reason without a
 * code or reason bytes that are not valid UTF-8.
 */
export function emitClosePayload(
  code?: number,
  reason: string | Uint8Array = '',
): Uint8Array<ArrayBuffer> {
  const reasonBytes = typeof reason === 'string' ? utf8Encoder.encode(reason) : reason;
  if (code === undefined) {
    if (reasonBytes.length > 0) {
      throw new TypeError('Cannot send a close reason without a close code');
    }
    return new Uint8Array(0);
  }
  if (!isValidWireCloseCode(code)) {
    throw new RangeError(
      `Close code must be 1000-1003, 1007-1014 or 3000-4999: got ${String(code)}`,
    );
  }
  if (reasonBytes.length > MAX_CLOSE_REASON_BYTES) {
    throw new RangeError(
      `A close reason may take at most 123 bytes of UTF-8: got ${reasonBytes.length}`,
    );
  }
  if (typeof reason !== 'string' && !isValidUtf8(reasonBytes)) {
    throw new TypeError('A close reason must be valid UTF-8');
  }
  const out = new Uint8Array(2 + reasonBytes.length);
  out[0] = code >>> 8;
  out[1] = code & 0xff;
  out.set(reasonBytes, 2);
  return out;
}
