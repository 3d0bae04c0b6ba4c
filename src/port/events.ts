import { defineEvent, TraceLevel, TraceOpcode } from '../trace/index.js';

/** The port's trace provider (the GUID ends in its seed number, 000). */
export const PORT_PROVIDER = {
  guid: '5e7a0c1d-8b2f-4c3e-9d10-6f4b2a1c0000',
  name: 'netrx-port',
} as const;

export const PortKeyword = { Connections: 0x1n, Errors: 0x2n, Flow: 0x4n, Script: 0x8n } as const;

export const PortEventDescriptor = {
  opened: defineEvent({
    id: 1,
    name: 'PortOpened',
    level: TraceLevel.Information,
    keywords: PortKeyword.Connections,
    opcode: TraceOpcode.Start,
    fields: [{ name: 'port', type: 'string' }],
  }),
  disconnected: defineEvent({
    id: 2,
    name: 'PortDisconnected',
    level: TraceLevel.Information,
    keywords: PortKeyword.Connections,
    fields: [
      { name: 'port', type: 'string' },
      { name: 'error', type: 'u32' },
      { name: 'message', type: 'string' },
    ],
  }),
  closed: defineEvent({
    id: 3,
    name: 'PortClosed',
    level: TraceLevel.Information,
    keywords: PortKeyword.Connections,
    opcode: TraceOpcode.Stop,
    fields: [
      { name: 'port', type: 'string' },
      { name: 'bytesReceived', type: 'u64' },
      { name: 'bytesSent', type: 'u64' },
    ],
  }),
  receiveRefused: defineEvent({
    id: 4,
    name: 'ReceiveRefused',
    level: TraceLevel.Warning,
    keywords: PortKeyword.Errors,
    fields: [
      { name: 'port', type: 'string' },
      { name: 'error', type: 'u32' },
    ],
  }),
  bytesRefused: defineEvent({
    id: 5,
    name: 'BytesRefused',
    level: TraceLevel.Warning,
    keywords: PortKeyword.Errors | PortKeyword.Flow,
    fields: [
      { name: 'port', type: 'string' },
      { name: 'bytes', type: 'u32' },
    ],
  }),
  paused: defineEvent({
    id: 6,
    name: 'TransportPaused',
    level: TraceLevel.Verbose,
    keywords: PortKeyword.Flow,
    fields: [
      { name: 'port', type: 'string' },
      { name: 'queuedBytes', type: 'u32' },
    ],
  }),
  scriptFinished: defineEvent({
    id: 7,
    name: 'ScriptFinished',
    level: TraceLevel.Information,
    keywords: PortKeyword.Script,
    fields: [
      { name: 'port', type: 'string' },
      { name: 'exitCode', type: 'u32' },
      { name: 'abortString', type: 'string' },
    ],
  }),
  scpFinished: defineEvent({
    id: 8,
    name: 'ScpFinished',
    level: TraceLevel.Information,
    keywords: PortKeyword.Script,
    fields: [
      { name: 'port', type: 'string' },
      { name: 'outcome', type: 'string' },
      { name: 'error', type: 'u32' },
      { name: 'line', type: 'u32' },
    ],
  }),
  /**
   * One step of a login script's dialogue (transcript.ts): what it sent,
   * what it waits for, what arrived, how a wait ended. `text` is shown as
   * chat's `%v` does (control bytes as `^X`), at most TRANSCRIPT_MAX_CHARS;
   * `bytes` is the whole length; a password-tainted send is `********`.
   */
  transcript: defineEvent({
    id: 9,
    name: 'ScriptTranscript',
    level: TraceLevel.Verbose,
    keywords: PortKeyword.Script,
    fields: [
      { name: 'port', type: 'string' },
      { name: 'step', type: 'string' },
      { name: 'text', type: 'string' },
      { name: 'bytes', type: 'u32' },
      { name: 'truncated', type: 'bool' },
    ],
  }),
} as const;
