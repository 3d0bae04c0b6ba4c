import { defineEvent, TraceLevel } from '../trace/index.js';

/**
 * The EAPOL trace provider. Its GUID ends in 2001: seed 001's family, like
 * netrx-eap (0001) and netrx-radius (1001), and distinct from both, because a
 * registry (the host's) holds every provider at once.
 */
export const EAPOL_PROVIDER = {
  guid: '5e7a0c1d-8b2f-4c3e-9d10-6f4b2a1c2001',
  name: 'netrx-eapol',
} as const;

export const EapolKeyword = {
  State: 0x1n,
  Drops: 0x2n,
  Table: 0x4n,
  Result: 0x8n,
} as const;

export const EapolEvent = {
  /**
   * A state change of one supplicant's machine: `machine` is `pae` or
   * `backend` (authenticator) or `supplicant`; `mac` is the supplicant's.
   */
  stateChanged: defineEvent({
    id: 1,
    name: 'EapolStateChanged',
    level: TraceLevel.Information,
    keywords: EapolKeyword.State,
    fields: [
      { name: 'role', type: 'string' },
      { name: 'mac', type: 'string' },
      { name: 'machine', type: 'string' },
      { name: 'from', type: 'string' },
      { name: 'to', type: 'string' },
    ],
  }),
  /** A received EAPOL frame dropped, with the reason (the counter's name). */
  frameDropped: defineEvent({
    id: 2,
    name: 'EapolFrameDropped',
    level: TraceLevel.Warning,
    keywords: EapolKeyword.Drops,
    fields: [
      { name: 'role', type: 'string' },
      { name: 'reason', type: 'string' },
      { name: 'mac', type: 'string' },
      { name: 'length', type: 'u32' },
    ],
  }),
  /** A supplicant's entry left the full table for a newcomer. */
  supplicantEvicted: defineEvent({
    id: 3,
    name: 'EapolSupplicantEvicted',
    level: TraceLevel.Warning,
    keywords: EapolKeyword.Table,
    fields: [
      { name: 'mac', type: 'string' },
      { name: 'state', type: 'string' },
    ],
  }),
  /** An authentication ended: outcome (success, failure, timeout, error), identity, reason. */
  authenticationEnded: defineEvent({
    id: 4,
    name: 'EapolAuthenticationEnded',
    level: TraceLevel.Information,
    keywords: EapolKeyword.Result,
    fields: [
      { name: 'role', type: 'string' },
      { name: 'mac', type: 'string' },
      { name: 'outcome', type: 'string' },
      { name: 'identity', type: 'string' },
      { name: 'reason', type: 'string' },
    ],
  }),
} as const;
