/**
 * netrx/eapol: IEEE 802.1X port-based access control over netrx/link,
 * carrying netrx/eap (seed 001's methods, over EAPOL instead of PPP).
 *
 * `EapolAuthenticator` is a link binding for EtherType 0x888E (to the PAE
 * group address 01:80:c2:00:00:03 or to the adapter) that runs one
 * authenticator PAE and backend state machine per supplicant MAC
 * (802.1X-2004 §8.2.4 and §8.2.9: INITIALIZE, DISCONNECTED, RESTART,
 * CONNECTING, AUTHENTICATING, AUTHENTICATED, ABORTING, HELD, FORCE_AUTH,
 * FORCE_UNAUTH), with quietPeriod, txPeriod (Request/Identity again),
 * reAuthPeriod (or the backend's Session-Timeout) and reAuthMax on the
 * injected clock. It drives the adapter's controlled port through
 * `PortControl`: until a MAC is AUTHENTICATED, it reaches nothing but EAPOL.
 * The EAP conversation after the identity belongs to an
 * `AuthenticatorBackend`: `LocalEapBackend` runs netrx/eap's standalone
 * authenticator with a user store; a RADIUS pass-through backend plugs in
 * through the same interface. The per-MAC table is bounded (a flood of
 * EAPOL-Start from random MACs evicts among itself, counted, and never an
 * authorised supplicant).
 *
 * `EapolSupplicant` is the other side: EAPOL-Start (startPeriod, maxStart),
 * netrx/eap's peer answering the Requests, Success and Failure followed,
 * heldPeriod after a failure, authPeriod, EAPOL-Logoff.
 *
 * Both decode with netrx/wire's `decodeEapolPdu` (EAPOL versions 1–3; Key
 * and the rest passed over, counted), never throw on frames (drops by reason
 * in `stats().dropped`, traced as `EapolFrameDropped`), and trace every state
 * change (`EapolStateChanged`) and every authentication's end on the
 * `netrx-eapol` provider.
 */
export {
  EapolAuthenticator,
  type AuthenticatorResultEvent,
  type EapolAuthenticatorOptions,
  type EapolAuthenticatorStats,
  type SupplicantInfo,
} from './authenticator.js';
export {
  AUTHENTICATOR_DROP_REASONS,
  DEFAULT_AUTHENTICATOR_TIMERS,
  DEFAULT_MAX_SUPPLICANTS,
  type AuthenticatorDropReason,
  type AuthenticatorPaeState,
  type AuthenticatorTimers,
  type BackendState,
  type PortControlMode,
} from './authenticator-timers.js';
export {
  LocalEapBackend,
  type AuthenticatorBackend,
  type BackendCallbacks,
  type BackendConversation,
  type BackendOutcome,
  type BackendResult,
  type BackendSupplicant,
  type LocalEapBackendOptions,
} from './backend.js';
export {
  DEFAULT_SUPPLICANT_TIMERS,
  EapolSupplicant,
  SUPPLICANT_DROP_REASONS,
  type EapolSupplicantOptions,
  type EapolSupplicantStats,
  type SupplicantDropReason,
  type SupplicantOutcome,
  type SupplicantPaeState,
  type SupplicantResultEvent,
  type SupplicantTimers,
} from './supplicant.js';
export { EAPOL_PROVIDER, EapolEvent, EapolKeyword } from './events.js';
export { FRAME_DROP_REASONS as EAPOL_FRAME_DROP_REASONS } from './port-binding.js';
