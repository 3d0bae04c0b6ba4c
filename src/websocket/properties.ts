/**
 * Handle properties (websocket.dll's WEB_SOCKET_PROPERTY, plus the limits a
 * server facing the internet needs), with their defaults and checks.
 */
import type { Clock, Crypto } from '../runtime/index.js';
import type { TraceRegistry } from '../trace/index.js';
import type { MaskFunction, MaskIntoFunction } from '../wire/websocket/index.js';
import type { DeflateCodec } from './deflate-codec.js';

/**
 * Every handle property but the callbacks that receive the handle itself
 * (`HandleProperties` in handle.ts adds those), so this file needs nothing
 * from handle.ts and the two do not import each other.
 */
export interface HandleSettings {
  /**
   * Size of the component's own receive buffer, used when a
   * `receive-from-network` action is filled through its `buffer` (minimum
   * 256, default 4096). Allocated on first use only.
   */
  readonly receiveBufferSize?: number;
  /**
   * Largest frame payload the component builds when it fragments a message
   * it sends (minimum 256, default 16 MiB: messages go out in one frame).
   */
  readonly sendBufferSize?: number;
  /**
   * Milliseconds without any received byte after which a ping is sent; if
   * another interval passes silently the connection is failed (1006 locally,
   * `ERR_WS_KEEPALIVE_TIMEOUT`). 0 (default) turns keep-alive off.
   */
  readonly keepAliveInterval?: number;
  /**
   * Tests only: a client sends unmasked frames and a server accepts them
   * (websocket.dll's DISABLE_MASKING).
   */
  readonly disableMasking?: boolean;
  /** Skip UTF-8 checks of text messages and close reasons (default false). */
  readonly disableUtf8Verification?: boolean;
  /** Largest message accepted, after decompression (default 64 MiB). Over it: close 1009. */
  readonly maxMessageSize?: number;
  /** Most frames one message may span (default 131072). Over it: close 1009. */
  readonly maxFragments?: number;
  /**
   * Receives posted without a buffer get whole messages (netrx extension,
   * default false). A message that arrived in one frame inside one chunk is
   * a view of that chunk; any other
   * is gathered into one buffer that grows with the bytes that arrive (never
   * sized from an announced length: at most four times what has arrived).
   * Off, every piece is indicated as it arrives (a
   * `*-fragment` per piece, as websocket.dll does).
   */
  readonly assembleMessages?: boolean;
  /**
   * The host never reuses a chunk it lends with `completeAction(ctx, chunk)`
   * (default false; netrx/node sets it: every socket read is fresh memory).
   * With message assembly, the pieces of a message split across lent chunks
   * are then kept as views and gathered once, into an exact-size buffer,
   * when the message ends (one copy, no regrowth, nothing reserved from an
   * announced length), instead of being copied into a growing buffer as
   * they arrive. A piece under half of its chunk's memory is copied (a view
   * would pin the whole chunk); past 256 pieces a message falls back to the
   * growing buffer. Chunks read into the handle's own receive buffer
   * (`completeAction(ctx, n)`) are never held.
   */
  readonly retainLentChunks?: boolean;
  /** Compression for permessage-deflate; without one the extension is never negotiated. */
  readonly deflateCodec?: DeflateCodec;
  /** Messages shorter than this are sent uncompressed (default 1024 bytes). */
  readonly deflateThreshold?: number;
  /** A faster `maskInPlace` the host may inject (Node: bufferutil's, when installed). */
  readonly mask?: MaskFunction;
  /**
   * A faster `maskInto` (unmask while copying) the host may inject (Node:
   * a copy and bufferutil's `unmask`, when installed): used when a payload is
   * decoded straight into an assembly or caller buffer, and for a client's
   * masked frames.
   */
  readonly maskInto?: MaskIntoFunction;
  /**
   * Makes buffers the component fills completely before anyone sees them
   * (message assembly, masked frames). Default `new Uint8Array` (zeroed);
   * netrx/node injects an allocator that skips the zeroing.
   */
  readonly allocate?: (size: number) => Uint8Array;
  /** A fast whole-buffer UTF-8 check the host may inject (Node: `buffer.isUtf8`). */
  readonly isUtf8?: (bytes: Uint8Array) => boolean;
  readonly clock?: Clock;
  readonly crypto?: Crypto;
  readonly trace?: TraceRegistry;
  /** A name for traces (the remote address, say). */
  readonly name?: string;
  /**
   * Most application sends queued at once, not yet handed out in a send
   * action (default 65536). One more is refused: `send` throws
   * `ERR_WS_SEND_QUEUE_FULL` and `stats.sendsRefused` counts it. A close is
   * never refused.
   */
  readonly maxQueuedSends?: number;
  /**
   * Most payload bytes queued at once by application sends (default
   * 64 MiB, the default `maxMessageSize`: one largest message always fits).
   * A send that would pass it is refused as for `maxQueuedSends`.
   */
  readonly maxQueuedSendBytes?: number;
  /**
   * Most bytes the receive path inflates or gathers into a message per
   * `getAction` call (default unlimited). Past it `getAction` returns
   * undefined with `receivePending` true and no network read: call it
   * again, after giving other work a turn, to go on. A host that bounds its
   * event-loop turns (netrx/node: 1 MiB) sets it; a zip bomb or a 64 MiB
   * message then costs many short steps instead of one long one.
   */
  readonly receiveStepBytes?: number;
}

export interface ResolvedProperties {
  readonly receiveBufferSize: number;
  readonly sendBufferSize: number;
  readonly keepAliveInterval: number;
  readonly disableMasking: boolean;
  readonly disableUtf8Verification: boolean;
  readonly maxMessageSize: number;
  readonly maxFragments: number;
  readonly assembleMessages: boolean;
  readonly retainLentChunks: boolean;
  readonly deflateThreshold: number;
  readonly maxQueuedSends: number;
  readonly maxQueuedSendBytes: number;
  readonly receiveStepBytes: number;
}

export const DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024 * 1024;
export const DEFAULT_MAX_FRAGMENTS = 131072;
export const DEFAULT_MAX_QUEUED_SENDS = 65536;
export const DEFAULT_MAX_QUEUED_SEND_BYTES = 64 * 1024 * 1024;

function integer(name: string, value: number | undefined, fallback: number, min: number): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min) {
    throw new RangeError(`${name} must be an integer of at least ${min}: got ${String(v)}`);
  }
  return v;
}

/**
 * Resolved properties are shared between handles with the same values (a
 * server's connections all have them): one object per distinct set, not
 * one per connection.
 */
const shared = new Map<string, ResolvedProperties>();
const MAX_SHARED = 64;

export function resolveProperties(p: HandleSettings): ResolvedProperties {
  const resolved = resolveFresh(p);
  const key = Object.values(resolved).join(',');
  const known = shared.get(key);
  if (known !== undefined) return known;
  if (shared.size >= MAX_SHARED) shared.clear();
  shared.set(key, resolved);
  return resolved;
}

function resolveFresh(p: HandleSettings): ResolvedProperties {
  const keepAliveInterval = integer('keepAliveInterval', p.keepAliveInterval, 0, 0);
  if (keepAliveInterval > 0 && p.clock === undefined) {
    throw new TypeError('keepAliveInterval needs a clock');
  }
  return {
    receiveBufferSize: integer('receiveBufferSize', p.receiveBufferSize, 4096, 256),
    sendBufferSize: integer('sendBufferSize', p.sendBufferSize, 16 * 1024 * 1024, 256),
    keepAliveInterval,
    disableMasking: p.disableMasking ?? false,
    disableUtf8Verification: p.disableUtf8Verification ?? false,
    maxMessageSize: integer('maxMessageSize', p.maxMessageSize, DEFAULT_MAX_MESSAGE_SIZE, 0),
    maxFragments: integer('maxFragments', p.maxFragments, DEFAULT_MAX_FRAGMENTS, 1),
    assembleMessages: p.assembleMessages ?? false,
    retainLentChunks: p.retainLentChunks ?? false,
    deflateThreshold: integer('deflateThreshold', p.deflateThreshold, 1024, 0),
    maxQueuedSends: integer('maxQueuedSends', p.maxQueuedSends, DEFAULT_MAX_QUEUED_SENDS, 1),
    maxQueuedSendBytes: integer(
      'maxQueuedSendBytes',
      p.maxQueuedSendBytes,
      DEFAULT_MAX_QUEUED_SEND_BYTES,
      0,
    ),
    receiveStepBytes:
      p.receiveStepBytes === undefined
        ? Number.POSITIVE_INFINITY
        : integer('receiveStepBytes', p.receiveStepBytes, 0, 1),
  };
}
