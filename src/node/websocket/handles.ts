/**
 * Handles as Node connections want them: real clock and crypto, zlib for
 * permessage-deflate, `buffer.isUtf8` for whole-message UTF-8 checks, and
 * whole messages delivered as views (message assembly on).
 */
import { isUtf8 } from 'node:buffer';
import type { TraceRegistry } from '../../trace/index.js';
import {
  createClientHandle,
  createServerHandle,
  type WebSocketHandle,
} from '../../websocket/index.js';
import { nodeCrypto, systemClock } from '../runtime/index.js';
import { allocateUnsafe, fastMask, fastMaskInto } from './native.js';
import { deflateCodecFor, type DeflateTuning } from './deflate-tuning.js';

export type { DeflateTuning } from './deflate-tuning.js';

/** The handle's owner (its connection) decides whether a ping gets the automatic pong. */
function pingToOwner(handle: WebSocketHandle, payload: Uint8Array): boolean {
  const owner = handle.owner as { receivedPing?(payload: Uint8Array): boolean } | undefined;
  return owner?.receivedPing?.(payload) ?? true;
}

/** Bytes inflated or gathered per `getAction` (see `receiveStepBytes`). */
export const RECEIVE_STEP_BYTES = 1024 * 1024;

const checkUtf8 = (bytes: Uint8Array): boolean => isUtf8(bytes);

export interface NodeHandleOptions {
  /** Largest message accepted, after decompression (default 64 MiB). */
  readonly maxPayload?: number;
  /** Most frames one message may span (default 131072). */
  readonly maxFragments?: number;
  /** Most sends (messages, pings, pongs) the core queues per connection (default 65536). */
  readonly maxQueuedSends?: number;
  /** Ping after this many idle milliseconds; fail after twice that (default off). */
  readonly keepAliveInterval?: number;
  /** Do not check that text messages and close reasons are UTF-8 (default false, as in `ws`). */
  readonly skipUTF8Validation?: boolean;
  readonly trace?: TraceRegistry;
}

/** The handle's `owner` is its connection; keep-alive work wakes it (one function for all). */
function wakeOwner(handle: WebSocketHandle): void {
  (handle.owner as { wake(): void } | undefined)?.wake();
}

export function nodeHandle(
  role: 'client' | 'server',
  options: NodeHandleOptions,
  name: string,
  deflate?: DeflateTuning,
): WebSocketHandle {
  const properties = {
    crypto: nodeCrypto,
    clock: systemClock,
    deflateCodec: deflateCodecFor(deflate),
    isUtf8: checkUtf8,
    mask: fastMask,
    maskInto: fastMaskInto,
    allocate: allocateUnsafe,
    assembleMessages: true,
    // Each socket read is fresh memory nobody reuses (transport.ts): the
    // pieces of a split message may be held as views and gathered once.
    retainLentChunks: true,
    // Inflating and gathering a message go in steps of at most this many
    // bytes (~1 ms); the transport gives the event loop its turn between
    // them once a drive has used its time budget.
    receiveStepBytes: RECEIVE_STEP_BYTES,
    name,
    onActionAvailable: wakeOwner,
    onPing: pingToOwner,
    ...(deflate?.threshold === undefined ? {} : { deflateThreshold: deflate.threshold }),
    ...(options.skipUTF8Validation === true ? { disableUtf8Verification: true } : {}),
    ...(options.maxPayload === undefined ? {} : { maxMessageSize: options.maxPayload }),
    ...(options.maxFragments === undefined ? {} : { maxFragments: options.maxFragments }),
    ...(options.maxQueuedSends === undefined ? {} : { maxQueuedSends: options.maxQueuedSends }),
    ...(options.keepAliveInterval === undefined
      ? {}
      : { keepAliveInterval: options.keepAliveInterval }),
    ...(options.trace === undefined ? {} : { trace: options.trace }),
  };
  return role === 'client' ? createClientHandle(properties) : createServerHandle(properties);
}
