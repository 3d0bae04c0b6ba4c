/**
 * Frame-once broadcast: `WebSocketServer.prepare` builds a message's frame
 * once (and, for receivers whose permessage-deflate keeps no server context,
 * compresses it once per window size: netrx/websocket's prepared-message.ts),
 * and `broadcast` queues those same bytes on every open connection.
 *
 * A slow receiver never makes a broadcast buffer without bound: each
 * connection's `maxBackpressure` and the core's `maxQueuedSends` still
 * apply. By default (`whenFull: 'skip'`) a receiver over its limit does not
 * get this message, which is counted (its `sendsRefused`, and `skipped` in
 * the result) while it stays open; `whenFull: 'close'` fails it instead
 * (1008, as a refused `send` without a callback), for streams where a hole
 * is worse than a disconnect.
 */
import { PreparedMessage } from '../../websocket/index.js';
import { toPayload, type SendData } from './message-data.js';
import { OPEN } from './ready-state.js';
import type { WebSocket } from './websocket.js';

export interface PrepareOptions {
  /** Send as binary (default for bytes) or text (default for strings), as `send` does. */
  readonly binary?: boolean;
}

export interface BroadcastOptions extends PrepareOptions {
  /** Connections that do not get the message (the sender, typically). */
  readonly except?: WebSocket | Iterable<WebSocket>;
  /** A receiver over its backpressure limit: `'skip'` it (default, counted) or `'close'` it (1008). */
  readonly whenFull?: 'skip' | 'close';
}

/** What a broadcast did, receiver by receiver. */
export interface BroadcastResult {
  /** Receivers the message was queued on (including those now over `backpressureAbove`). */
  readonly sent: number;
  /** Of those, receivers whose `send` would have answered `'backpressure'`. */
  readonly backpressured: number;
  /** Receivers over their limit that did not get it (`whenFull: 'skip'`). */
  readonly skipped: number;
  /** Receivers over their limit that were failed with 1008 (`whenFull: 'close'`). */
  readonly closed: number;
}

/** Frames `data` once, to send with `ws.sendPrepared` or `server.broadcast`. */
export function prepareMessage(data: SendData, options: PrepareOptions = {}): PreparedMessage {
  const payload = toPayload(data);
  const text = payload.text ? options.binary !== true : options.binary === false;
  return new PreparedMessage(text ? 'utf8' : 'binary', payload.bytes);
}

const SKIP = Object.freeze({ whenFull: 'skip' as const });
const FAIL = Object.freeze({ whenFull: 'fail' as const });

/** Queues `message` on each open connection of `clients` but those in `except`. */
export function broadcastTo(
  clients: Iterable<WebSocket>,
  message: PreparedMessage,
  options: BroadcastOptions = {},
): BroadcastResult {
  const except = exceptSet(options.except);
  const policy = options.whenFull === 'close' ? FAIL : SKIP;
  let sent = 0;
  let backpressured = 0;
  let refused = 0;
  for (const ws of clients) {
    if (ws.readyState !== OPEN || except?.has(ws) === true) continue;
    const result = ws.sendPrepared(message, policy);
    if (result === 'dropped') refused++;
    else {
      sent++;
      if (result === 'backpressure') backpressured++;
    }
  }
  return policy === SKIP
    ? { sent, backpressured, skipped: refused, closed: 0 }
    : { sent, backpressured, skipped: 0, closed: refused };
}

function exceptSet(except: BroadcastOptions['except']): ReadonlySet<WebSocket> | undefined {
  if (except === undefined) return undefined;
  if (except instanceof Set) return except as ReadonlySet<WebSocket>;
  if (isIterable(except)) return new Set(except);
  return new Set([except]);
}

function isIterable(value: WebSocket | Iterable<WebSocket>): value is Iterable<WebSocket> {
  return typeof (value as Partial<Iterable<WebSocket>>)[Symbol.iterator] === 'function';
}
