/**
 * The pure parts of a connection's `send`, `ping`, `pong` and `close`:
 * what kind of frame a send makes, how long it is, and the errors a
 * refused send or a bad close code gets. websocket.ts does the queueing.
 */
import { NetrxError } from '../../runtime/index.js';
import type { BufferType } from '../../websocket/index.js';
import { isValidWireCloseCode } from '../../wire/websocket/index.js';
import { EMPTY_BUFFER, toPayload, type SendData } from './message-data.js';
import type { SendOptions } from './ready-state.js';

/** The handle's per-send options for `send(data, { compress: false })` (one shared object). */
export const NO_COMPRESS = Object.freeze({ compress: false });
/** What `send` works with for an array of pieces (their bytes are counted apart). */
const NO_PAYLOAD = Object.freeze({ bytes: EMPTY_BUFFER, text: false });

/** A message send resolved: its pieces or bytes, its length and its frame type. */
export interface MessageSend {
  readonly pieces: readonly Uint8Array[] | undefined;
  readonly bytes: Uint8Array;
  readonly length: number;
  readonly fin: boolean;
  readonly type: Exclude<BufferType, 'close' | 'ping-pong' | 'unsolicited-pong'>;
}

/** What `send(data, options)` sends: text for strings unless `binary`, binary for bytes unless `binary: false`. */
export function messageSend(
  data: SendData | readonly Uint8Array[],
  options: SendOptions,
): MessageSend {
  const pieces = Array.isArray(data) ? (data as readonly Uint8Array[]) : undefined;
  const payload = pieces === undefined ? toPayload(data as SendData) : NO_PAYLOAD;
  const bytes = payload.bytes;
  const length = pieces === undefined ? bytes.length : piecesLength(pieces);
  const text =
    pieces === undefined && (payload.text ? options.binary !== true : options.binary === false);
  const fin = options.fin !== false;
  const type = text
    ? fin
      ? 'utf8-message'
      : 'utf8-fragment'
    : fin
      ? 'binary-message'
      : 'binary-fragment';
  return { pieces, bytes, length, fin, type };
}

function piecesLength(pieces: readonly Uint8Array[]): number {
  let n = 0;
  for (const p of pieces) n += p.length;
  return n;
}

/** The error of a send refused over `maxBackpressure`. */
export function backpressureError(what: string, wouldWait: number, max: number): NetrxError {
  return new NetrxError(
    'ERR_WS_BACKPRESSURE',
    `The ${what} was refused: ${wouldWait} bytes would wait (maxBackpressure ${max})`,
  );
}

/** The core's own bound (`maxQueuedSends` sends) refused the send. */
export function isQueueFull(error: unknown): error is NetrxError {
  return error instanceof NetrxError && error.code === 'ERR_WS_SEND_QUEUE_FULL';
}

/** `close(code)`'s check: ws throws TypeError here (the core's RangeError would surprise its users). */
export function checkCloseCode(code: number | undefined): void {
  if (code !== undefined && (typeof code !== 'number' || !isValidWireCloseCode(code))) {
    throw new TypeError(
      `First argument must be a valid close code (1000-1003, 1007-1014 or 3000-4999): got ${String(code)}`,
    );
  }
}
