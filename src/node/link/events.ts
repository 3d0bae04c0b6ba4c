import { defineEvent, TraceLevel } from '../../trace/index.js';
import { LinkKeyword } from '../../link/index.js';

/**
 * Events of the Node side of the link layer (VXLAN tunnel endpoint, capture
 * files), on the link provider (`netrx-link`) so a listener sees them beside
 * the adapter's own. Ids 40–49 are this file's: the cores use lower ones.
 */
export const NodeLinkEvent = {
  /** A VXLAN datagram from a source address that is not an allowed remote. */
  vxlanSourceRefused: defineEvent({
    id: 40,
    name: 'VxlanSourceRefused',
    level: TraceLevel.Warning,
    keywords: LinkKeyword.Drops,
    fields: [
      { name: 'adapter', type: 'string' },
      { name: 'address', type: 'string' },
      { name: 'port', type: 'u16' },
      { name: 'length', type: 'u32' },
    ],
  }),
  /** Writing a capture file failed; the capture stopped (later records are dropped and counted). */
  captureWriteFailed: defineEvent({
    id: 41,
    name: 'CaptureWriteFailed',
    level: TraceLevel.Error,
    keywords: LinkKeyword.Drops,
    fields: [
      { name: 'file', type: 'string' },
      { name: 'message', type: 'string' },
    ],
  }),
  /** The capture file's backlog reached its byte limit: records are being dropped (once per run of drops). */
  captureBacklogFull: defineEvent({
    id: 42,
    name: 'CaptureBacklogFull',
    level: TraceLevel.Warning,
    keywords: LinkKeyword.Drops,
    fields: [
      { name: 'file', type: 'string' },
      { name: 'pendingBytes', type: 'u32' },
      { name: 'limit', type: 'u32' },
    ],
  }),
} as const;
