/**
 * The numbers a method or the framework puts in `dwAuthResultCode` or returns
 * from `makeMessage` (raserror.h: RASBASE 600 + n; winerror.h). 0 is success.
 * `ERROR_PPP_INVALID_PACKET` is the seed's own and lives in netrx/runtime too.
 */
import { SeedErrorNumber } from '../runtime/index.js';

export const EapResultCode = {
  NO_ERROR: 0,
  /** RASBASE+38: the authenticator ran out of retransmissions. */
  ERROR_REQUEST_TIMEOUT: SeedErrorNumber.ERROR_REQUEST_TIMEOUT,
  /** RASBASE+45: the method or provider failed inside (a bug, a thrown exception). */
  ERROR_AUTH_INTERNAL: 645,
  ERROR_RESTRICTED_LOGON_HOURS: 646,
  ERROR_ACCT_DISABLED: 647,
  ERROR_PASSWD_EXPIRED: 648,
  ERROR_NO_DIALIN_PERMISSION: 649,
  /** RASBASE+91: wrong credentials, unknown user, or the other side said Failure. */
  ERROR_AUTHENTICATION_FAILURE: 691,
  /** RASBASE+103: the method needs the UI and `RasEapFlag.NonInteractive` forbids it. */
  ERROR_INTERACTIVE_MODE: 703,
  /** RASBASE+122: discard the received packet, the session goes on. */
  ERROR_PPP_INVALID_PACKET: SeedErrorNumber.ERROR_PPP_INVALID_PACKET,
  /** winerror.h: the user cancelled the interactive UI. */
  ERROR_CANCELLED: 1223,
} as const;
export type EapResultCodeName = keyof typeof EapResultCode;
