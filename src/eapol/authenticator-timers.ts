/** The authenticator's states, timers, defaults and counters (802.1X-2004 §8.2.2, §8.2.4, §8.2.9). */

/** Authenticator PAE states (802.1X-2004 Figure 8-15, as hostapd's eapol_auth_sm runs them). */
export type AuthenticatorPaeState =
  | 'INITIALIZE'
  | 'DISCONNECTED'
  | 'RESTART'
  | 'CONNECTING'
  | 'AUTHENTICATING'
  | 'AUTHENTICATED'
  | 'ABORTING'
  | 'HELD'
  | 'FORCE_AUTH'
  | 'FORCE_UNAUTH';

/** Backend authentication states (802.1X-2004 Figure 8-18). */
export type BackendState =
  'INITIALIZE' | 'IDLE' | 'REQUEST' | 'RESPONSE' | 'SUCCESS' | 'FAIL' | 'TIMEOUT';

/** 802.1X AuthControlledPortControl. */
export type PortControlMode = 'auto' | 'force-authorized' | 'force-unauthorized';

export interface AuthenticatorTimers {
  /** HELD lasts this long after a failure; Starts are ignored meanwhile. Default 60 000 ms. */
  readonly quietPeriodMs: number;
  /** In CONNECTING, a new Request/Identity after this long without an answer. Default 30 000 ms. */
  readonly txPeriodMs: number;
  /** AUTHENTICATED reauthenticates after this long (0: never). Default 3 600 000 ms. */
  readonly reAuthPeriodMs: number;
  /** CONNECTING entered more than this many times in a row gives up (DISCONNECTED). Default 2. */
  readonly reAuthMax: number;
  /**
   * AUTHENTICATING gives up (ABORTING, then RESTART) after this long without
   * an end from the backend: a bound even for a backend that never answers.
   * Default 120 000 ms (the local backend's own retransmissions end sooner).
   */
  readonly authTimeoutMs: number;
}

export const DEFAULT_AUTHENTICATOR_TIMERS: AuthenticatorTimers = {
  quietPeriodMs: 60_000,
  txPeriodMs: 30_000,
  reAuthPeriodMs: 3_600_000,
  reAuthMax: 2,
  authTimeoutMs: 120_000,
};

/** Supplicants the authenticator tracks at most; default 256. */
export const DEFAULT_MAX_SUPPLICANTS = 256;

export const AUTHENTICATOR_DROP_REASONS = [
  'table-full',
  'held',
  'unexpected-eap',
  'not-a-response',
  'logoff-unknown',
] as const;
export type AuthenticatorDropReason = (typeof AUTHENTICATOR_DROP_REASONS)[number];

export function checkTimers(timers: AuthenticatorTimers): void {
  for (const key of ['quietPeriodMs', 'txPeriodMs', 'authTimeoutMs'] as const) {
    if (!(timers[key] > 0)) throw new RangeError(`${key} must be above 0: got ${timers[key]}`);
  }
  if (!(timers.reAuthPeriodMs >= 0))
    throw new RangeError(`reAuthPeriodMs must be 0 or more: got ${timers.reAuthPeriodMs}`);
  if (!Number.isInteger(timers.reAuthMax) || timers.reAuthMax < 1)
    throw new RangeError(`reAuthMax must be an integer of 1 or more: got ${timers.reAuthMax}`);
}
