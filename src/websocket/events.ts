import { defineEvent, TraceLevel, TraceOpcode } from '../trace/index.js';

/** The WebSocket component's trace provider. */
export const WEBSOCKET_PROVIDER = Object.freeze({
  guid: '5e7a0c1d-8b2f-4c3e-9d10-6f4b2a1c0002',
  name: 'netrx-websocket',
} as const);

export const WebSocketKeyword = Object.freeze({
  Connections: 0x1n,
  Messages: 0x2n,
  Errors: 0x4n,
} as const);

export const WebSocketEvent = {
  opened: defineEvent({
    id: 1,
    name: 'ConnectionOpened',
    level: TraceLevel.Information,
    keywords: WebSocketKeyword.Connections,
    opcode: TraceOpcode.Start,
    fields: [
      { name: 'connection', type: 'string' },
      { name: 'role', type: 'string' },
      { name: 'protocol', type: 'string' },
      { name: 'extensions', type: 'string' },
    ],
  }),
  closed: defineEvent({
    id: 2,
    name: 'ConnectionClosed',
    level: TraceLevel.Information,
    keywords: WebSocketKeyword.Connections,
    opcode: TraceOpcode.Stop,
    fields: [
      { name: 'connection', type: 'string' },
      { name: 'code', type: 'u16' },
      { name: 'reason', type: 'string' },
      { name: 'clean', type: 'bool' },
    ],
  }),
  protocolError: defineEvent({
    id: 3,
    name: 'ProtocolError',
    level: TraceLevel.Warning,
    keywords: WebSocketKeyword.Errors,
    fields: [
      { name: 'connection', type: 'string' },
      { name: 'code', type: 'string' },
      { name: 'closeCode', type: 'u16' },
      { name: 'message', type: 'string' },
    ],
  }),
  messageReceived: defineEvent({
    id: 4,
    name: 'MessageReceived',
    level: TraceLevel.Verbose,
    keywords: WebSocketKeyword.Messages,
    opcode: TraceOpcode.Receive,
    fields: [
      { name: 'connection', type: 'string' },
      { name: 'text', type: 'bool' },
      { name: 'size', type: 'u32' },
    ],
  }),
  messageSent: defineEvent({
    id: 5,
    name: 'MessageSent',
    level: TraceLevel.Verbose,
    keywords: WebSocketKeyword.Messages,
    opcode: TraceOpcode.Send,
    fields: [
      { name: 'connection', type: 'string' },
      { name: 'bufferType', type: 'string' },
      { name: 'size', type: 'u32' },
    ],
  }),
} as const;
