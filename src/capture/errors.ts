/**
 * The coded errors of event capture. LREC methods return Win32 codes ("all
 * error values MUST be treated the same"), so the session table's refusals
 * carry the Win32 name as `code` and its value as `number`, which the RPC
 * transport puts on the wire as the DWORD status. Control-side misuse (the
 * CIM-like API that creates and starts sessions) has netrx codes.
 */
import { NetrxError } from '../runtime/index.js';

/** Win32 values used by the session table (winerror.h). */
export const CaptureErrorNumber = {
  ERROR_INVALID_HANDLE: 6,
  ERROR_BUSY: 170,
  ERROR_ASYNC_REQUEST_PENDING: 616,
  ERROR_NOT_FOUND: 1168,
  ERROR_INVALID_STATE: 5023,
} as const;
export type CaptureErrorName = keyof typeof CaptureErrorNumber;

export function captureError(code: CaptureErrorName, message: string): NetrxError {
  return new NetrxError(code, message, { number: CaptureErrorNumber[code] });
}

/** Control-side refusals (creating, starting, stopping, deleting sessions). */
export type CaptureControlCode =
  | 'ERR_CAPTURE_SESSION_EXISTS'
  | 'ERR_CAPTURE_SESSION_TABLE_FULL'
  | 'ERR_CAPTURE_NO_PROVIDERS'
  | 'ERR_CAPTURE_SESSION_RUNNING'
  | 'ERR_CAPTURE_SESSION_STOPPED';

export function controlError(code: CaptureControlCode, message: string): NetrxError {
  return new NetrxError(code, message);
}
