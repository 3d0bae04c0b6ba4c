/**
 * Reason phrases and the HTTP/1.1 refusal a server writes when it turns an
 * upgrade down (over HTTP/2 a refusal is a `:status` header and has no
 * phrase, so only HTTP/1.1 uses this).
 */
import type { HandshakeFailure, HttpHeader } from './handshake-failure.js';
import { encodeHead } from './http-head.js';

// Every 4xx/5xx status registered by RFC 9110 §15.5-15.6 (and 428/429/431/
// 511 of RFC 6585): an application's verifyClient may answer any of them, and
// clients and logs show the phrase. One outside the registry gets its class's.
const REASONS: Readonly<Record<number, string>> = Object.freeze({
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  411: 'Length Required',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  417: 'Expectation Failed',
  421: 'Misdirected Request',
  422: 'Unprocessable Content',
  426: 'Upgrade Required',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
  511: 'Network Authentication Required',
});

/** The reason phrase netrx writes for a 4xx/5xx status. */
export function reasonPhrase(status: number): string {
  return REASONS[status] ?? (status < 500 ? 'Client Error' : 'Server Error');
}

/**
 * An error response that ends the exchange: the failure's status (400 if it
 * has none) and headers, `Connection: close` and an empty body.
 */
export function buildRejection(
  failure: Pick<HandshakeFailure, 'status' | 'headers'>,
  extraHeaders: readonly HttpHeader[] = [],
): Uint8Array<ArrayBuffer> {
  const status = failure.status ?? 400;
  if (!Number.isInteger(status) || status < 400 || status > 599) {
    throw new RangeError(`A rejection needs a 4xx or 5xx status: got ${status}`);
  }
  return encodeHead(`HTTP/1.1 ${status} ${reasonPhrase(status)}`, [
    ...(failure.headers ?? []),
    ...extraHeaders,
    ['Connection', 'close'],
    ['Content-Length', '0'],
  ]);
}
