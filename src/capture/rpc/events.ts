import { defineEvent, TraceLevel } from '../../trace/index.js';

/**
 * The LREC RPC server's own trace provider: connections it refused or cut
 * off, each also counted in `stats().dropped` under the same reason.
 */
export const CAPTURE_RPC_PROVIDER = {
  guid: '5e7a0c1d-8b2f-4c3e-9d10-6f4b2a1c0003',
  name: 'netrx-capture-rpc',
} as const;

export const CaptureRpcKeyword = { Connections: 0x1n, Errors: 0x4n } as const;

export const CaptureRpcEvent = {
  /** A connection refused on arrival: `connection-limit` or `address-limit`. */
  connectionRefused: defineEvent({
    id: 1,
    name: 'ConnectionRefused',
    level: TraceLevel.Warning,
    keywords: CaptureRpcKeyword.Connections | CaptureRpcKeyword.Errors,
    fields: [
      { name: 'address', type: 'string' },
      { name: 'reason', type: 'string' },
    ],
  }),
  /**
   * A connection the server closed: a deadline (`bind-timeout`,
   * `idle-timeout`, `partial-pdu-timeout`) or bytes it could not accept (a
   * decode failure code, `unexpected-pdu`, `request-before-bind`, ...).
   */
  connectionDropped: defineEvent({
    id: 2,
    name: 'ConnectionDropped',
    level: TraceLevel.Warning,
    keywords: CaptureRpcKeyword.Connections | CaptureRpcKeyword.Errors,
    fields: [
      { name: 'connection', type: 'u32' },
      { name: 'address', type: 'string' },
      { name: 'reason', type: 'string' },
    ],
  }),
} as const;
