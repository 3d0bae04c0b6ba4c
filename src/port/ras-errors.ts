import { NetrxError } from '../runtime/index.js';

/**
 * The raserror.h codes a port can report, with their values (RASBASE = 600).
 * `SeedErrorNumber` in netrx/runtime holds the ones other modules share; this
 * table adds the disconnect causes and dial results a login script returns.
 */
export const RasError = {
  ERROR_SUCCESS: 0,
  PENDING: 600,
  ERROR_INVALID_PORT_HANDLE: 601,
  ERROR_BUFFER_TOO_SMALL: 603,
  ERROR_PORT_NOT_CONNECTED: 606,
  ERROR_BUFFER_INVALID: 610,
  ERROR_OUT_OF_BUFFERS: 614,
  ERROR_ASYNC_REQUEST_PENDING: 616,
  ERROR_ALREADY_DISCONNECTING: 617,
  ERROR_PORT_NOT_OPEN: 618,
  ERROR_PORT_DISCONNECTED: 619,
  ERROR_DISCONNECTION: 628,
  ERROR_REMOTE_DISCONNECTION: 629,
  ERROR_HARDWARE_FAILURE: 630,
  ERROR_USER_DISCONNECTION: 631,
  ERROR_REQUEST_TIMEOUT: 638,
  ERROR_NO_CONNECTION: 668,
  ERROR_LINE_BUSY: 676,
  ERROR_NO_ANSWER: 678,
  ERROR_NO_CARRIER: 679,
  ERROR_NO_DIALTONE: 680,
  ERROR_INTERACTIVE_MODE: 703,
  ERROR_SCRIPT_SYNTAX: 752,
  /** Win32 `ERROR_INVALID_PARAMETER`: netrx's answer to a retrieve with no receive posted. */
  ERROR_INVALID_PARAMETER: 87,
} as const;
export type RasErrorName = keyof typeof RasError;

/** A `NetrxError` whose `code` is the raserror.h name and `number` its value. */
export function rasError(name: RasErrorName, message: string, cause?: unknown): NetrxError {
  return new NetrxError(name, message, { number: RasError[name], cause });
}

/** The RAS number of an error thrown by a port call, for the DWORD-returning callbacks. */
export function rasNumberOf(error: unknown): number {
  if (error instanceof NetrxError && error.number !== undefined) return error.number;
  throw error;
}
