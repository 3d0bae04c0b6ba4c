import { defineEvent, TraceLevel } from '../trace/index.js';

/** The RADIUS trace provider (seed 001's family: the GUID ends in 1001). */
export const RADIUS_PROVIDER = {
  guid: '5e7a0c1d-8b2f-4c3e-9d10-6f4b2a1c1001',
  name: 'netrx-radius',
} as const;

export const RadiusKeyword = {
  Drops: 0x1n,
  Packets: 0x2n,
  Sessions: 0x4n,
  /** RadSec (RADIUS over TLS) connections: accepted, closed, refused. */
  Connections: 0x8n,
} as const;

export const RadiusEventDescriptor = {
  /** A datagram the server or client dropped, with the reason (the counter's name). */
  packetDropped: defineEvent({
    id: 1,
    name: 'RadiusPacketDropped',
    level: TraceLevel.Warning,
    keywords: RadiusKeyword.Drops,
    fields: [
      { name: 'reason', type: 'string' },
      { name: 'address', type: 'string' },
      { name: 'port', type: 'u32' },
      { name: 'code', type: 'u32' },
      { name: 'identifier', type: 'u32' },
    ],
  }),
  /** A response sent: its code and the request's Identifier. */
  responseSent: defineEvent({
    id: 2,
    name: 'RadiusResponseSent',
    level: TraceLevel.Verbose,
    keywords: RadiusKeyword.Packets,
    fields: [
      { name: 'address', type: 'string' },
      { name: 'port', type: 'u32' },
      { name: 'code', type: 'u32' },
      { name: 'identifier', type: 'u32' },
      { name: 'duplicate', type: 'bool' },
    ],
  }),
  /**
   * An EAP conversation ended (success, failure, timeout, expired), and how
   * long it ran on this server's clock: from the Access-Request that began
   * it to its end; -1 when it was restored from a cluster's bucket (begun on
   * another server, so not known here).
   */
  sessionEnded: defineEvent({
    id: 3,
    name: 'RadiusSessionEnded',
    level: TraceLevel.Information,
    keywords: RadiusKeyword.Sessions,
    fields: [
      { name: 'outcome', type: 'string' },
      { name: 'identity', type: 'string' },
      { name: 'method', type: 'string' },
      { name: 'durationMs', type: 'i32' },
    ],
  }),
  /** An Access-Request answered with Access-Reject: the provider's reason (never sent to the NAS). */
  accessRejected: defineEvent({
    id: 4,
    name: 'RadiusAccessRejected',
    level: TraceLevel.Information,
    keywords: RadiusKeyword.Sessions,
    fields: [
      { name: 'reason', type: 'string' },
      { name: 'address', type: 'string' },
      { name: 'method', type: 'string' },
    ],
  }),
  /** A RadSec connection passed mutual TLS and was mapped to a client. */
  connectionAccepted: defineEvent({
    id: 5,
    name: 'RadiusConnectionAccepted',
    level: TraceLevel.Information,
    keywords: RadiusKeyword.Connections,
    fields: [
      { name: 'address', type: 'string' },
      { name: 'port', type: 'u32' },
      { name: 'client', type: 'string' },
      { name: 'protocol', type: 'string' },
      { name: 'subject', type: 'string' },
    ],
  }),
  /** A RadSec connection ended: idle, peer-closed, framing:<code>, write-backlog, error:<code>, shutdown. */
  connectionClosed: defineEvent({
    id: 6,
    name: 'RadiusConnectionClosed',
    level: TraceLevel.Information,
    keywords: RadiusKeyword.Connections,
    fields: [
      { name: 'reason', type: 'string' },
      { name: 'address', type: 'string' },
      { name: 'port', type: 'u32' },
      { name: 'client', type: 'string' },
      { name: 'packets', type: 'u32' },
    ],
  }),
  /** A RadSec connection refused before any packet: connection-limit, client-connection-limit, unknown-certificate, tls:<code>. */
  connectionRefused: defineEvent({
    id: 7,
    name: 'RadiusConnectionRefused',
    level: TraceLevel.Warning,
    keywords: RadiusKeyword.Connections,
    fields: [
      { name: 'reason', type: 'string' },
      { name: 'address', type: 'string' },
      { name: 'port', type: 'u32' },
      { name: 'subject', type: 'string' },
    ],
  }),
  /**
   * A conversation's sealed state went to (`stored`, `finished`) or came
   * from (`restored`) the cluster's bucket, or could not (`conflict`:
   * another server wrote that round first; `local-fallback`: the bucket did
   * not take it, it stays in memory); the other actions are listed in
   * docs/cluster.md. A record's deletion is counted, not traced.
   */
  conversationShared: defineEvent({
    id: 8,
    name: 'RadiusConversationShared',
    level: TraceLevel.Verbose,
    keywords: RadiusKeyword.Sessions,
    fields: [
      { name: 'action', type: 'string' },
      { name: 'round', type: 'u32' },
      { name: 'revision', type: 'u32' },
    ],
  }),
  /** A record from the bucket refused: truncated, format, authentication (tampered, wrong key, other State), record, snapshot, stale-round, client. */
  conversationRefused: defineEvent({
    id: 9,
    name: 'RadiusConversationRefused',
    level: TraceLevel.Warning,
    keywords: RadiusKeyword.Sessions,
    fields: [{ name: 'reason', type: 'string' }],
  }),
} as const;
