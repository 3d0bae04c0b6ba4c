/**
 * What the send half of a handle queues (send-path.ts): one operation per
 * `send`, close, pong or keep-alive ping, the completions waiting to be
 * indicated, and the small helpers both the queues and the framing use.
 */
import { NetrxError } from '../runtime/index.js';
import { CloseCode, parseClosePayload } from '../wire/websocket/index.js';
import type { BufferType, CloseStatus } from './actions.js';

export interface SendOperation {
  readonly bufferType: BufferType;
  readonly data: Uint8Array;
  readonly context: unknown;
  /** App operations get a send-complete indication; internal ones do not. */
  readonly internal: boolean;
  /** A whole message to send uncompressed on a deflate connection (`send(…, { compress: false })`). */
  readonly uncompressed: boolean;
  /** The payload as pieces sent as they are behind one header (`data` is then empty). */
  readonly pieces?: readonly Uint8Array[];
  /** A whole frame built beforehand (a prepared message), written as it is (`data` is then empty). */
  readonly framed?: Uint8Array;
}

export interface SendCompletion {
  readonly op: SendOperation;
  readonly sent: boolean;
}

/** The payload bytes of `op`. */
export function sizeOf(op: SendOperation): number {
  if (op.framed !== undefined) return op.framed.length;
  if (op.pieces === undefined) return op.data.length;
  let n = 0;
  for (const p of op.pieces) n += p.length;
  return n;
}

/** Frozen: a push onto a shared empty list throws instead of leaking into every connection. */
export const NO_OPERATIONS = Object.freeze([]) as unknown as SendOperation[];
export const NO_COMPLETIONS = Object.freeze([]) as unknown as SendCompletion[];

/** The status a close body carries (the component built it, so it parses). */
export function closeStatusOf(payload: Uint8Array): CloseStatus {
  const parsed = parseClosePayload(payload, { verifyUtf8: false });
  return parsed.ok
    ? { code: parsed.value.code, reason: parsed.value.reason }
    : { code: CloseCode.NoStatusReceived, reason: '' };
}

export function invalidOperation(message: string): NetrxError {
  return new NetrxError('ERR_WS_INVALID_OPERATION', message, { number: 0x83760001 });
}
