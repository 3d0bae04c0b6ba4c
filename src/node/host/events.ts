import { defineEvent, TraceLevel, TraceOpcode } from '../../trace/index.js';

/**
 * The host's own trace provider and events. Its GUID is outside the seed
 * numbers (…0000–…0004 are the seed modules' providers): it once had
 * netrx-eap's, so a host could not register both.
 */
export const HOST_PROVIDER = {
  guid: '5e7a0c1d-8b2f-4c3e-9d10-6f4b2a1c0100',
  name: 'netrx-host',
} as const;

export const HostKeyword = { Lifecycle: 0x1n, Http: 0x2n, Auth: 0x4n } as const;

export const HostEvent = {
  serviceStarted: defineEvent({
    id: 1,
    name: 'ServiceStarted',
    level: TraceLevel.Information,
    opcode: TraceOpcode.Start,
    keywords: HostKeyword.Lifecycle,
    fields: [
      { name: 'service', type: 'string' },
      { name: 'detail', type: 'string' },
    ],
  }),
  serviceStopped: defineEvent({
    id: 2,
    name: 'ServiceStopped',
    level: TraceLevel.Information,
    opcode: TraceOpcode.Stop,
    keywords: HostKeyword.Lifecycle,
    fields: [{ name: 'service', type: 'string' }],
  }),
  httpRequest: defineEvent({
    id: 3,
    name: 'HttpRequest',
    level: TraceLevel.Verbose,
    keywords: HostKeyword.Http,
    fields: [
      { name: 'method', type: 'string' },
      { name: 'path', type: 'string' },
      { name: 'status', type: 'u16' },
    ],
  }),
  /** A dashboard login or bearer token, right or wrong (never the token). */
  login: defineEvent({
    id: 4,
    name: 'Login',
    level: TraceLevel.Information,
    keywords: HostKeyword.Auth,
    fields: [
      { name: 'result', type: 'string' },
      { name: 'via', type: 'string' },
      { name: 'address', type: 'string' },
    ],
  }),
  /** An address (scope address) or everyone (scope global) must wait before the next try. */
  loginBlocked: defineEvent({
    id: 5,
    name: 'LoginBlocked',
    level: TraceLevel.Warning,
    keywords: HostKeyword.Auth,
    fields: [
      { name: 'scope', type: 'string' },
      { name: 'address', type: 'string' },
      { name: 'retryAfterMs', type: 'u32' },
    ],
  }),
  /** A login session ended to make room for a new one. */
  sessionEvicted: defineEvent({
    id: 6,
    name: 'SessionEvicted',
    level: TraceLevel.Information,
    keywords: HostKeyword.Auth,
    fields: [
      { name: 'reason', type: 'string' },
      { name: 'address', type: 'string' },
    ],
  }),
} as const;
