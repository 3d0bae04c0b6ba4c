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

/**
 * What each status means to the person reading it: a transport that only
 * carries the number (LREC over RPC) prints `NAME (number): meaning`, as the
 * WebSocket transport prints the server's message.
 */
const STATUS_MEANINGS: Readonly<Record<number, readonly [name: string, meaning: string]>> = {
  5: ['ERROR_ACCESS_DENIED', 'the server refuses unauthenticated calls'],
  [CaptureErrorNumber.ERROR_INVALID_HANDLE]: [
    'ERROR_INVALID_HANDLE',
    'the session handle is not valid',
  ],
  [CaptureErrorNumber.ERROR_BUSY]: ['ERROR_BUSY', 'session is open by another client'],
  [CaptureErrorNumber.ERROR_ASYNC_REQUEST_PENDING]: [
    'ERROR_ASYNC_REQUEST_PENDING',
    'a receive is already outstanding on this session',
  ],
  [CaptureErrorNumber.ERROR_NOT_FOUND]: ['ERROR_NOT_FOUND', 'no session by that name'],
  [CaptureErrorNumber.ERROR_INVALID_STATE]: ['ERROR_INVALID_STATE', 'the session is not running'],
};

/**
 * `ERROR_BUSY (170): session is open by another client` for a status a
 * session call returned; `session` names the session in the NOT_FOUND
 * meaning (`No session named "x"`). Unknown numbers print as the number.
 */
export function describeCaptureStatus(status: number, session?: string): string {
  const known = STATUS_MEANINGS[status];
  if (known === undefined) return `status ${status}`;
  const [name, meaning] = known;
  const text =
    status === CaptureErrorNumber.ERROR_NOT_FOUND && session !== undefined
      ? `No session named ${JSON.stringify(session)}`
      : meaning;
  return `${name} (${status}): ${text}`;
}

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
