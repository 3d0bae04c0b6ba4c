import { defineEvent, TraceLevel } from '../../trace/index.js';

/**
 * The LREC WebSocket transport's own trace provider: connections it refused
 * or cut off, each also counted in its `stats()` under the same reason.
 */
export const CAPTURE_WS_PROVIDER = {
  guid: '5e7a0c1d-8b2f-4c3e-9d10-6f4b2a1c0005',
  name: 'netrx-capture-ws',
} as const;

export const CaptureWsKeyword = { Connections: 0x1n, Errors: 0x4n } as const;

export const CaptureWsEvent = {
  /** A connection refused on arrival: `address-limit`. */
  connectionRefused: defineEvent({
    id: 1,
    name: 'ConnectionRefused',
    level: TraceLevel.Warning,
    keywords: CaptureWsKeyword.Connections | CaptureWsKeyword.Errors,
    fields: [
      { name: 'address', type: 'string' },
      { name: 'reason', type: 'string' },
    ],
  }),
  /**
   * A connection the server cut: `pre-auth-timeout` (no authenticated
   * upgrade within the deadline), `keepalive-timeout` (no pong in time) or
   * `slow-reader` (replies piled up unread).
   */
  connectionDropped: defineEvent({
    id: 2,
    name: 'ConnectionDropped',
    level: TraceLevel.Warning,
    keywords: CaptureWsKeyword.Connections | CaptureWsKeyword.Errors,
    fields: [
      { name: 'address', type: 'string' },
      { name: 'reason', type: 'string' },
    ],
  }),
} as const;
