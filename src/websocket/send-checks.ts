/**
 * The argument checks of `WebSocketHandle.send` and `sendPieces` (API
 * misuse: tier 3 of DESIGN.md's errors, thrown before anything is queued),
 * kept apart from the handle's wiring. Each returns what the send path
 * queues, or throws `TypeError`, `RangeError` or `ERR_WS_INVALID_OPERATION`.
 */
import { MAX_CONTROL_PAYLOAD, emitClosePayload } from '../wire/websocket/index.js';
import { EMPTY_BYTES } from '../wire/websocket/empty.js';
import type { BufferType, CloseStatus } from './actions.js';
import { invalidOperation } from './send-path.js';

/** The close body to queue for `send('close', status)`; a second close is refused. */
export function closePayloadFor(
  status: Partial<CloseStatus> | undefined,
  closeQueued: boolean,
): Uint8Array {
  if (closeQueued) throw invalidOperation('A close was already sent');
  const s = status ?? {};
  return emitClosePayload(s.code, s.reason ?? '');
}

/**
 * The payload to queue for `send(bufferType, data)`: bytes only; a ping or
 * pong carries at most 125 of them and may follow a close, data may not.
 */
export function sendPayloadFor(
  bufferType: Exclude<BufferType, 'close'>,
  data: unknown,
  closeQueued: boolean,
): Uint8Array {
  const payload = data ?? EMPTY_BYTES;
  if (!(payload instanceof Uint8Array)) throw new TypeError('Send data must be a Uint8Array');
  if (bufferType === 'ping-pong' || bufferType === 'unsolicited-pong') {
    if (payload.length > MAX_CONTROL_PAYLOAD) {
      throw new RangeError(`A control frame carries at most 125 bytes: got ${payload.length}`);
    }
  } else if (closeQueued) {
    throw invalidOperation('Cannot send data after a close');
  }
  return payload;
}

/** `sendPieces`' checks: data after a close is refused; every piece must be bytes. */
export function checkPieces(pieces: readonly unknown[], closeQueued: boolean): void {
  if (closeQueued) throw invalidOperation('Cannot send data after a close');
  for (const p of pieces) {
    if (!(p instanceof Uint8Array)) throw new TypeError('Send data must be Uint8Arrays');
  }
}
