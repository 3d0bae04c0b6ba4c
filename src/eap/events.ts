import { defineEvent, TraceLevel, TraceOpcode } from '../trace/index.js';

/** The EAP trace provider (the GUID ends in its seed number, 001). */
export const EAP_PROVIDER = {
  guid: '5e7a0c1d-8b2f-4c3e-9d10-6f4b2a1c0001',
  name: 'netrx-eap',
} as const;

export const EapKeyword = {
  State: 0x1n,
  Method: 0x2n,
  Drops: 0x4n,
  Retransmit: 0x8n,
  Session: 0x10n,
} as const;

const sessionFields = [
  { name: 'session', type: 'u32' },
  { name: 'role', type: 'string' },
] as const;

export const EapEventDescriptor = {
  /** Every RFC 4137 state change of a peer or authenticator. */
  stateChanged: defineEvent({
    id: 1,
    name: 'EapStateChanged',
    level: TraceLevel.Verbose,
    keywords: EapKeyword.State,
    fields: [...sessionFields, { name: 'from', type: 'string' }, { name: 'to', type: 'string' }],
  }),
  /** Every `makeMessage` answer: the action, or the error it returned. */
  methodResult: defineEvent({
    id: 2,
    name: 'EapMethodResult',
    level: TraceLevel.Information,
    keywords: EapKeyword.Method,
    fields: [
      ...sessionFields,
      { name: 'method', type: 'string' },
      { name: 'action', type: 'string' },
      { name: 'error', type: 'u32' },
      { name: 'resultCode', type: 'u32' },
      { name: 'reason', type: 'string' },
    ],
  }),
  /** A received packet the framework dropped, with the reason (the counter's name). */
  packetDropped: defineEvent({
    id: 3,
    name: 'EapPacketDropped',
    level: TraceLevel.Warning,
    keywords: EapKeyword.Drops,
    fields: [
      ...sessionFields,
      { name: 'reason', type: 'string' },
      { name: 'identifier', type: 'u32' },
    ],
  }),
  /** The authenticator resent its outstanding Request. */
  retransmitted: defineEvent({
    id: 4,
    name: 'EapRetransmitted',
    level: TraceLevel.Information,
    keywords: EapKeyword.Retransmit,
    fields: [
      ...sessionFields,
      { name: 'identifier', type: 'u32' },
      { name: 'attempt', type: 'u32' },
      { name: 'nextTimeoutMs', type: 'u32' },
    ],
  }),
  /** The session ended: outcome, result code, method. */
  sessionEnded: defineEvent({
    id: 5,
    name: 'EapSessionEnded',
    level: TraceLevel.Information,
    keywords: EapKeyword.Session,
    opcode: TraceOpcode.Stop,
    fields: [
      ...sessionFields,
      { name: 'outcome', type: 'string' },
      { name: 'resultCode', type: 'u32' },
      { name: 'method', type: 'string' },
    ],
  }),
} as const;
