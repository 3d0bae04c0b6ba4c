/**
 * The vocabulary of the action loop: buffer types and the actions
 * `getAction` hands out (websocket.dll's WEB_SOCKET_BUFFER_TYPE and
 * WEB_SOCKET_ACTION, as TypeScript unions).
 */
import type { NetrxError } from '../runtime/index.js';

/**
 * What a buffer holds. A `*-message` is the last (or only) part of a
 * message and a `*-fragment` an earlier part; neither is tied to frames on
 * the wire. On a send, `ping-pong` sends a ping; on a receive it is a pong.
 */
export type BufferType =
  | 'utf8-message'
  | 'utf8-fragment'
  | 'binary-message'
  | 'binary-fragment'
  | 'close'
  | 'ping-pong'
  | 'unsolicited-pong';

/** websocket.dll's WEB_SOCKET_BUFFER_TYPE values, for readers of the seed. */
export const BUFFER_TYPE_VALUE: Readonly<Record<BufferType, number>> = Object.freeze({
  'utf8-message': 0x80000000,
  'utf8-fragment': 0x80000001,
  'binary-message': 0x80000002,
  'binary-fragment': 0x80000003,
  close: 0x80000004,
  'ping-pong': 0x80000005,
  'unsolicited-pong': 0x80000006,
});

/** websocket.dll's WEB_SOCKET_ACTION values. */
export const ACTION_VALUE = Object.freeze({
  'no-action': 0,
  'send-to-network': 1,
  'indicate-send-complete': 2,
  'receive-from-network': 3,
  'indicate-receive-complete': 4,
} as const);

/** Which operations `getAction` may return work for. */
export type ActionQueue = 'send' | 'receive' | 'all';

/** How a receive without a buffer hands a message out (`WebSocketHandle.receive`). */
export interface ReceiveOptions {
  /** A binary message held as pieces of lent chunks is indicated as those pieces (`buffers`). */
  readonly pieces?: boolean;
}

/** A close status as the close frame carried it (1005 when it carried none). */
export interface CloseStatus {
  readonly code: number;
  readonly reason: string;
}

/**
 * Write every buffer to the transport, in order, then report the bytes
 * written with `completeAction`. Internal sends (pongs, close replies,
 * keep-alive pings) have `context` undefined.
 */
export interface SendToNetworkAction {
  readonly type: 'send-to-network';
  readonly actionContext: number;
  readonly context: unknown;
  readonly bufferType: BufferType;
  readonly buffers: readonly Uint8Array[];
  /** The sum of the buffers' lengths. */
  readonly byteLength: number;
}

/** A send finished (or was cancelled): its data buffer is the caller's again. */
export interface IndicateSendCompleteAction {
  readonly type: 'indicate-send-complete';
  readonly actionContext: number;
  readonly context: unknown;
  readonly bufferType: BufferType;
  /** False when the transport wrote less than the frame (the send was cancelled). */
  readonly sent: boolean;
}

/**
 * Read from the transport. Fill `buffer` (the component's own, allocated on
 * first use) and complete with the count, or complete with bytes you already
 * hold: `completeAction(actionContext, chunk)` decodes `chunk` in place (no
 * copy; the component unmasks it and may hand out views of it). Completing
 * with 0 means end of stream.
 */
export interface ReceiveFromNetworkAction {
  readonly type: 'receive-from-network';
  readonly actionContext: number;
  readonly context: unknown;
  readonly buffer: Uint8Array;
}

/**
 * A receive finished. `buffer` is the caller's buffer (filled to
 * `buffer.length`) or, for a receive posted without one, a view of the
 * component's memory or of the completed chunk, valid until this action is
 * completed. A `close` carries the status; when the component closed
 * because the peer broke the protocol, the status is the one it sent and
 * `error` says why.
 */
export interface IndicateReceiveCompleteAction {
  readonly type: 'indicate-receive-complete';
  readonly actionContext: number;
  readonly context: unknown;
  readonly bufferType: BufferType;
  readonly buffer: Uint8Array;
  /**
   * Only for a receive queued with `{ pieces: true }`: a binary message
   * that arrived in several lent chunks, as views of them in order (not
   * gathered into one buffer); `buffer` is then empty.
   */
  readonly buffers?: readonly Uint8Array[];
  readonly close: CloseStatus | undefined;
  readonly error: NetrxError | undefined;
}

export type WebSocketAction =
  | SendToNetworkAction
  | IndicateSendCompleteAction
  | ReceiveFromNetworkAction
  | IndicateReceiveCompleteAction;
