/**
 * The handle's plain types (role, state, stats, what was negotiated) and
 * how a handshake's result becomes a `Negotiated`: shared by handle.ts and
 * the handshake wrappers, and importing neither.
 */
import { formatExtensions, type Extension, type PerMessageDeflateParams } from './extensions.js';

export type HandleRole = 'client' | 'server';
export type HandleState = 'connecting' | 'open' | 'closing' | 'closed' | 'aborted';

/** What a handle has done, for `stats`. */
export interface HandleStats {
  messagesReceived: number;
  messagesSent: number;
  bytesReceived: number;
  bytesSent: number;
  pingsAnswered: number;
  /** Pongs not sent because newer pings were waiting (RFC 6455 §5.5.3 allows it). */
  pongsCoalesced: number;
  /** Sends refused because the send queue was at its bound (`ERR_WS_SEND_QUEUE_FULL`). */
  sendsRefused: number;
}

/** Per-send options of `WebSocketHandle.send`. */
export interface SendOptions {
  /**
   * `false`: a whole message goes out uncompressed on a permessage-deflate
   * connection (one frame without RSV1), whatever its size. Default: whole
   * messages of at least `deflateThreshold` bytes are compressed.
   */
  readonly compress?: boolean;
}

/** What the handshake agreed (or, without one, what the caller asserts was agreed). */
export interface Negotiated {
  readonly protocol?: string | undefined;
  readonly extensions?: string;
  readonly perMessageDeflate?: PerMessageDeflateParams | undefined;
}

/** Nothing agreed: one object for every plain connection (frozen: it is shared). */
const NOTHING_NEGOTIATED: Negotiated = Object.freeze({
  protocol: undefined,
  extensions: '',
  perMessageDeflate: undefined,
});

/** What a checked handshake agreed, as the handle keeps it. */
export function negotiation(agreed: {
  readonly protocol: string | undefined;
  readonly extensions: readonly Extension[];
  readonly perMessageDeflate: PerMessageDeflateParams | undefined;
}): Negotiated {
  if (agreed.protocol === undefined && agreed.extensions.length === 0) return NOTHING_NEGOTIATED;
  return {
    protocol: agreed.protocol,
    extensions: formatExtensions(agreed.extensions),
    perMessageDeflate: agreed.perMessageDeflate,
  };
}
