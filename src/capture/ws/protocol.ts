/**
 * The `netrx.lrec.v1` WebSocket message protocol: the three MS-LREC calls
 * (open, receive, close) as JSON text frames with request ids, and each
 * receive's EVENT_BUFFER as one binary frame, byte for byte what the RPC
 * transport puts in its response stub (the same encoder, netrx/wire).
 *
 * Client → server, one text frame per call (at most `MAX_REQUEST_BYTES`):
 *
 *   {"id":1,"call":"open","session":"NAME"}
 *   {"id":2,"call":"receive","handle":"<32 hex digits>"}
 *   {"id":3,"call":"close","handle":"<32 hex digits>"}
 *
 * Server → client:
 *
 *   {"id":1,"ok":true,"handle":"…"}
 *   {"id":2,"ok":true,"bytes":N,"events":E,"lost":L,"reason":"enough"}
 *     and at once one binary frame: the EVENT_BUFFER (N bytes)
 *   {"id":3,"ok":true}
 *   {"id":n,"ok":false,"status":616,"code":"ERROR_ASYNC_REQUEST_PENDING","message":"…"}
 *
 * `id` is an integer 0 to 2^32 − 1 the client picks; replies carry it back.
 * `status` is the Win32 or RPC status the RPC transport would give for the
 * same failure. Decoders never throw: a frame that is not a request gives a
 * failure saying why, and an unknown call with a usable id is answered, not
 * fatal. Sans-I/O: no Node, no Buffer.
 */
import { decodeBase64, toBase64 } from '../../bytes/index.js';

/** The subprotocol both ends must agree on; the version is in the name. */
export const LREC_WS_SUBPROTOCOL = 'netrx.lrec.v1';
/**
 * Browsers cannot set `Authorization` on a WebSocket: they offer the token
 * as a second subprotocol, `netrx.bearer.` + base64url(UTF-8 token). The
 * server never selects it (it answers `netrx.lrec.v1`), so it is not echoed.
 */
export const LREC_WS_BEARER_PREFIX = 'netrx.bearer.';
/**
 * Requests are small, but the longest open (a 1024-character name, every
 * character escaped as six bytes of JSON) is about 6 KiB: 16 KiB, as the RPC
 * server's `maxRequestBytes`. A larger frame is refused by the WebSocket layer.
 */
export const MAX_REQUEST_BYTES = 16_384;
export const MAX_REQUEST_ID = 0xffff_ffff;

/** Status values the transport uses beside the session table's Win32 codes (as the RPC faults). */
export const LrecWsStatus = {
  /** The call is not open/receive/close (RPC: nca_s_op_rng_error for opnum > 2). */
  nca_s_op_rng_error: 0x1c010002,
  /** A handle this connection does not hold (RPC: nca_s_context_mismatch). */
  nca_s_context_mismatch: 0x1c00001a,
  /** Arguments missing or malformed (RPC: rpc_x_bad_stub_data). */
  rpc_x_bad_stub_data: 0x6f7,
} as const;

export type LrecWsRequest =
  | { readonly id: number; readonly call: 'open'; readonly session: string }
  | { readonly id: number; readonly call: 'receive' | 'close'; readonly handle: string };

/** A request that could not be read; with `id` it can be answered, without it the peer is broken. */
export interface LrecWsRequestFailure {
  readonly id: number | undefined;
  readonly status: number;
  readonly code: 'unknown-call' | 'bad-arguments' | 'bad-json' | 'bad-id';
  readonly message: string;
}

export type ParsedRequest =
  | { readonly ok: true; readonly value: LrecWsRequest }
  | { readonly ok: false; readonly failure: LrecWsRequestFailure };

const HANDLE_PATTERN = /^[0-9a-f]{32}$/;
const MAX_SESSION_NAME = 1024;

function isRequestId(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= MAX_REQUEST_ID;
}

function record(text: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function fail(
  id: number | undefined,
  status: number,
  code: LrecWsRequestFailure['code'],
  message: string,
): ParsedRequest {
  return { ok: false, failure: { id, status, code, message } };
}

/** Reads one client text frame. Never throws. */
export function parseRequest(text: string): ParsedRequest {
  if (typeof text !== 'string' || text.length > MAX_REQUEST_BYTES) {
    return fail(undefined, LrecWsStatus.rpc_x_bad_stub_data, 'bad-json', 'request too long');
  }
  const value = record(text);
  if (value === undefined) {
    return fail(undefined, LrecWsStatus.rpc_x_bad_stub_data, 'bad-json', 'not a JSON object');
  }
  const id = value['id'];
  if (!isRequestId(id)) {
    return fail(
      undefined,
      LrecWsStatus.rpc_x_bad_stub_data,
      'bad-id',
      'id must be an integer 0 to 4294967295',
    );
  }
  const call = value['call'];
  if (call === 'open') {
    const session = value['session'];
    if (typeof session !== 'string' || session.length === 0 || session.length > MAX_SESSION_NAME) {
      return fail(
        id,
        LrecWsStatus.rpc_x_bad_stub_data,
        'bad-arguments',
        'open needs session: 1 to 1024 characters',
      );
    }
    return { ok: true, value: { id, call, session } };
  }
  if (call === 'receive' || call === 'close') {
    const handle = value['handle'];
    if (typeof handle !== 'string' || !HANDLE_PATTERN.test(handle)) {
      return fail(
        id,
        LrecWsStatus.rpc_x_bad_stub_data,
        'bad-arguments',
        `${call} needs handle: 32 lowercase hex digits`,
      );
    }
    return { ok: true, value: { id, call, handle } };
  }
  return fail(
    id,
    LrecWsStatus.nca_s_op_rng_error,
    'unknown-call',
    `unknown call ${JSON.stringify(typeof call === 'string' ? call.slice(0, 64) : call)}`,
  );
}

export function encodeRequest(request: LrecWsRequest): string {
  return request.call === 'open'
    ? JSON.stringify({ id: request.id, call: 'open', session: request.session })
    : JSON.stringify({ id: request.id, call: request.call, handle: request.handle });
}

/** The replies, as the server sends them. */
export type LrecWsReply =
  | { readonly id: number; readonly ok: true; readonly handle: string }
  | {
      readonly id: number;
      readonly ok: true;
      readonly bytes: number;
      readonly events: number;
      readonly lost: number;
      readonly reason: string;
    }
  | { readonly id: number; readonly ok: true }
  | {
      readonly id: number;
      readonly ok: false;
      readonly status: number;
      readonly code: string;
      readonly message: string;
    };

export function encodeReply(reply: LrecWsReply): string {
  return JSON.stringify(reply);
}

export type ParsedReply =
  | { readonly ok: true; readonly value: LrecWsReply }
  | { readonly ok: false; readonly message: string };

function isCount(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 0xffff_ffff;
}

/** Reads one server text frame (the client side). Never throws. */
export function parseReply(text: string): ParsedReply {
  const value = typeof text === 'string' ? record(text) : undefined;
  if (value === undefined) return { ok: false, message: 'not a JSON object' };
  const id = value['id'];
  if (!isRequestId(id)) return { ok: false, message: 'reply without a valid id' };
  if (value['ok'] === false) {
    const { status, code, message } = value;
    if (!isCount(status) || typeof code !== 'string' || typeof message !== 'string') {
      return { ok: false, message: 'error reply without status, code and message' };
    }
    return { ok: true, value: { id, ok: false, status, code, message } };
  }
  if (value['ok'] !== true) return { ok: false, message: 'reply without ok' };
  if ('handle' in value) {
    const handle = value['handle'];
    if (typeof handle !== 'string' || !HANDLE_PATTERN.test(handle)) {
      return { ok: false, message: 'open reply with a bad handle' };
    }
    return { ok: true, value: { id, ok: true, handle } };
  }
  if ('bytes' in value) {
    const { bytes, events, lost, reason } = value;
    if (!isCount(bytes) || !isCount(events) || !isCount(lost) || typeof reason !== 'string') {
      return { ok: false, message: 'receive reply with bad counts' };
    }
    return { ok: true, value: { id, ok: true, bytes, events, lost, reason } };
  }
  return { ok: true, value: { id, ok: true } };
}

/** base64url without padding (RFC 4648 §5), as a subprotocol token allows. */
function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The subprotocol a browser offers to carry `token`. */
export function bearerSubprotocol(token: string): string {
  return LREC_WS_BEARER_PREFIX + toBase64Url(new TextEncoder().encode(token));
}

/** The token bytes a bearer subprotocol carries, or undefined when it is not one. */
export function tokenFromSubprotocol(protocol: string): Uint8Array | undefined {
  if (!protocol.startsWith(LREC_WS_BEARER_PREFIX)) return undefined;
  const body = protocol.slice(LREC_WS_BEARER_PREFIX.length);
  if (!/^[A-Za-z0-9_-]*$/.test(body) || body.length % 4 === 1) return undefined;
  const padded =
    body.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (body.length % 4)) % 4);
  return decodeBase64(padded);
}
