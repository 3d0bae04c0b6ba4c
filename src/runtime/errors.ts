/**
 * The error classes every netrx module shares.
 *
 * Match on `code`, never on message text: codes are stable and listed in
 * docs/errors.md. Where a seed document names a Win32 or RAS error, the code is
 * that name and `number` carries its value, so `ERROR_PORT_DISCONNECTED` is 619
 * here exactly as in raserror.h.
 */

/** Win32, RAS and WebSocket numbers the seeds name, kept with their values. */
export const SeedErrorNumber = {
  ERROR_SUCCESS: 0,
  PENDING: 600,
  ERROR_INVALID_PORT_HANDLE: 601,
  ERROR_BUFFER_TOO_SMALL: 603,
  ERROR_PORT_NOT_CONNECTED: 606,
  ERROR_BUFFER_INVALID: 610,
  ERROR_OUT_OF_BUFFERS: 614,
  ERROR_ASYNC_REQUEST_PENDING: 616,
  ERROR_PORT_NOT_OPEN: 618,
  ERROR_PORT_DISCONNECTED: 619,
  ERROR_REQUEST_TIMEOUT: 638,
  ERROR_PPP_INVALID_PACKET: 722,
  ERROR_SCRIPT_SYNTAX: 752,
  ERROR_REQUEST_ABORTED: 1235,
} as const;
export type SeedErrorName = keyof typeof SeedErrorNumber;

export interface NetrxErrorOptions {
  readonly cause?: unknown;
  /** The seed's numeric value for this code, where the seed has one. */
  readonly number?: number;
}

/** Base of every coded netrx error. */
export class NetrxError extends Error {
  readonly code: string;
  readonly number: number | undefined;

  constructor(code: string, message: string, options: NetrxErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'NetrxError';
    this.code = code;
    this.number =
      options.number ?? (SeedErrorNumber as Record<string, number | undefined>)[code] ?? undefined;
  }
}

/**
 * A stream protocol was broken. `side` says who broke it: `remote` when the peer
 * sent something the protocol forbids, `local` when this side was asked to do
 * something the protocol forbids. `closeCode` is what the engine sent when it
 * closed the stream (a WebSocket close code, for instance), if anything.
 */
export class ProtocolError extends NetrxError {
  readonly side: 'local' | 'remote';
  readonly closeCode: number | undefined;

  constructor(
    code: string,
    message: string,
    side: 'local' | 'remote',
    options: NetrxErrorOptions & { readonly closeCode?: number } = {},
  ) {
    super(code, message, options);
    this.name = 'ProtocolError';
    this.side = side;
    this.closeCode = options.closeCode;
  }
}
