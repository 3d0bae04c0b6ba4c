/**
 * Handles as Node connections want them: real clock and crypto, zlib for
 * permessage-deflate, `buffer.isUtf8` for whole-message UTF-8 checks, and
 * whole messages delivered as views (message assembly on).
 */
import { isUtf8 } from 'node:buffer';
import type { TraceRegistry } from '../../trace/index.js';
import {
  createClientHandle,
  createDeflateCodecPool,
  createServerHandle,
  type WebSocketHandle,
} from '../../websocket/index.js';
import { nodeCrypto, systemClock } from '../runtime/index.js';
import { allocateUnsafe, fastMask } from './native.js';
import { zlibDeflateCodec } from './zlib-codec.js';

/** One pool for the process: idle connections hold no zlib memory, busy ones reuse it. */
const sharedDeflateCodec = createDeflateCodecPool(zlibDeflateCodec);

const checkUtf8 = (bytes: Uint8Array): boolean => isUtf8(bytes);

export interface NodeHandleOptions {
  /** Largest message accepted, after decompression (default 64 MiB). */
  readonly maxPayload?: number;
  /** Most frames one message may span (default 131072). */
  readonly maxFragments?: number;
  /** Ping after this many idle milliseconds; fail after twice that (default off). */
  readonly keepAliveInterval?: number;
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
): WebSocketHandle {
  const properties = {
    crypto: nodeCrypto,
    clock: systemClock,
    deflateCodec: sharedDeflateCodec,
    isUtf8: checkUtf8,
    mask: fastMask,
    allocate: allocateUnsafe,
    assembleMessages: true,
    name,
    onActionAvailable: wakeOwner,
    ...(options.maxPayload === undefined ? {} : { maxMessageSize: options.maxPayload }),
    ...(options.maxFragments === undefined ? {} : { maxFragments: options.maxFragments }),
    ...(options.keepAliveInterval === undefined
      ? {}
      : { keepAliveInterval: options.keepAliveInterval }),
    ...(options.trace === undefined ? {} : { trace: options.trace }),
  };
  return role === 'client' ? createClientHandle(properties) : createServerHandle(properties);
}
