/**
 * NDR20 stubs of the three LREC methods (research notes §2, verified against
 * impacket), both directions: the server decodes requests and encodes
 * responses, the netrx client does the reverse. Alignment is relative to the
 * start of the stub. Decoders never throw and never allocate by a count read
 * from the wire (a max_count of 0xFFFFFFFF costs nothing).
 *
 *     Open request      LoggerName: [string] wchar_t* as a top-level ref pointer:
 *                       max_count u32, offset u32, actual_count u32 (incl. NUL), UTF-16LE
 *     Open response     context handle (attributes u32 + GUID), DWORD
 *     Receive request   context handle
 *     Receive response  BufferLength u32, unique referent u32 (0 = NULL),
 *                       [max_count u32, bytes, pad to 4], DWORD
 *     Close request     context handle
 *     Close response    context handle (all zero once closed); void, no status
 */
import { decodeFailed, decoded, type Decoded } from '../../wire/index.js';

export const CONTEXT_HANDLE_LENGTH = 20;
/** The unique pointer's referent ID netrx writes (any nonzero value will do). */
const REFERENT_ID = 0x00020000;
/** MSFT_NetEventSession.Name is at most 1024 characters; with its NUL, 1025. */
export const MAX_LOGGER_NAME_UNITS = 1025;

export const LrecOpnum = { open: 0, receive: 1, close: 2 } as const;

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The LoggerName of an RpcNetEventOpenSession request. */
export function parseOpenRequest(stub: Uint8Array): Decoded<string> {
  if (stub.length < 12) return decodeFailed('bad-stub', 'The LoggerName header is 12 bytes', 0);
  const v = view(stub);
  const maxCount = v.getUint32(0, true);
  const offset = v.getUint32(4, true);
  const actual = v.getUint32(8, true);
  if (offset !== 0 || actual > maxCount || actual === 0) {
    return decodeFailed(
      'bad-stub',
      `LoggerName: offset ${offset}, actual_count ${actual}, max_count ${maxCount}`,
      0,
    );
  }
  if (actual > MAX_LOGGER_NAME_UNITS) {
    return decodeFailed('bad-stub', `LoggerName is ${actual} units: at most 1025`, 8);
  }
  if (12 + actual * 2 > stub.length) {
    return decodeFailed('bad-stub', `LoggerName claims ${actual} units past the stub`, 8);
  }
  if (v.getUint16(12 + (actual - 1) * 2, true) !== 0) {
    return decodeFailed('bad-stub', 'LoggerName is not NUL-terminated', 12);
  }
  let name = '';
  for (let i = 0; i < actual - 1; i++) name += String.fromCharCode(v.getUint16(12 + i * 2, true));
  return decoded(name);
}

export function encodeOpenRequest(name: string): Uint8Array<ArrayBuffer> {
  const units = name.length + 1;
  const out = new Uint8Array(12 + units * 2);
  const v = new DataView(out.buffer);
  v.setUint32(0, units, true);
  v.setUint32(8, units, true);
  for (let i = 0; i < name.length; i++) v.setUint16(12 + i * 2, name.charCodeAt(i), true);
  return out;
}

/** The 20-byte context handle at the start of a Receive or Close request. */
export function parseHandleRequest(stub: Uint8Array): Decoded<Uint8Array> {
  if (stub.length < CONTEXT_HANDLE_LENGTH) {
    return decodeFailed('bad-stub', `A context handle is 20 bytes: got ${stub.length}`, 0);
  }
  return decoded(stub.subarray(0, CONTEXT_HANDLE_LENGTH));
}

export function encodeOpenResponse(handle: Uint8Array, status: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(CONTEXT_HANDLE_LENGTH + 4);
  out.set(handle);
  new DataView(out.buffer).setUint32(CONTEXT_HANDLE_LENGTH, status >>> 0, true);
  return out;
}

export function parseOpenResponse(
  stub: Uint8Array,
): Decoded<{ readonly handle: Uint8Array; readonly status: number }> {
  if (stub.length < 24) return decodeFailed('bad-stub', 'An Open response is 24 bytes', 0);
  return decoded({
    handle: stub.slice(0, CONTEXT_HANDLE_LENGTH),
    status: view(stub).getUint32(CONTEXT_HANDLE_LENGTH, true),
  });
}

/**
 * A Receive response as three parts, so the EVENT_BUFFER bytes are copied
 * only once, into the response fragments: the 12-byte head (BufferLength,
 * referent, max_count), the buffer, and the tail (pad to 4 and the DWORD).
 * With no buffer (a failed call) the pointer is NULL and the head is 8 bytes.
 */
export function receiveResponseParts(
  data: Uint8Array | undefined,
  status: number,
): readonly Uint8Array[] {
  if (data === undefined || data.length === 0) {
    // BufferLength 0; a zero-length buffer still needs its pointer for
    // [size_is], but a NULL one is simpler and impacket reads both.
    const out = new Uint8Array(12);
    const v = new DataView(out.buffer);
    v.setUint32(8, status >>> 0, true);
    return [out];
  }
  const head = new Uint8Array(12);
  const hv = new DataView(head.buffer);
  hv.setUint32(0, data.length, true);
  hv.setUint32(4, REFERENT_ID, true);
  hv.setUint32(8, data.length, true);
  const pad = (4 - (data.length % 4)) % 4;
  const tail = new Uint8Array(pad + 4);
  new DataView(tail.buffer).setUint32(pad, status >>> 0, true);
  return [head, data, tail];
}

/** Decodes a Receive response: the EVENT_BUFFER bytes (a view) and the status. */
export function parseReceiveResponse(
  stub: Uint8Array,
): Decoded<{ readonly buffer: Uint8Array; readonly status: number }> {
  if (stub.length < 12)
    return decodeFailed('bad-stub', 'A Receive response is at least 12 bytes', 0);
  const v = view(stub);
  const length = v.getUint32(0, true);
  const referent = v.getUint32(4, true);
  if (referent === 0) {
    return decoded({ buffer: stub.subarray(0, 0), status: v.getUint32(8, true) });
  }
  const maxCount = v.getUint32(8, true);
  if (maxCount !== length || 12 + length + 4 > stub.length) {
    return decodeFailed(
      'bad-stub',
      `EVENT_BUFFER of ${length} (max_count ${maxCount}) does not fit`,
      8,
    );
  }
  const statusAt = (12 + length + 3) & ~3;
  if (statusAt + 4 > stub.length)
    return decodeFailed('bad-stub', 'The status is cut off', statusAt);
  return decoded({
    buffer: stub.subarray(12, 12 + length),
    status: v.getUint32(statusAt, true),
  });
}

export function isNullHandle(handle: Uint8Array): boolean {
  for (let i = 0; i < handle.length; i++) if (handle[i] !== 0) return false;
  return true;
}
