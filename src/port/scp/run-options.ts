import type { AbortSignalLike, Clock } from '../../runtime/index.js';
import type { CommSettings } from '../transport.js';
import type { At, ParityName, ScpExpr } from './ast.js';

export interface ScpOptions {
  readonly clock: Clock;
  /** `$USERID` and `$PASSWORD` (RASDIALPARAMS' user name and password). */
  readonly dialParams?: { readonly userName: string; readonly password: string };
  /** `-v`: one line per command and per chunk received (control bytes as `^M`). */
  readonly log?: (line: string) => void;
  /**
   * `set port …`: applies line settings and returns a DWORD (0 = success). Default:
   * `port.setCommSettings`. `customScriptExecute` passes RASCUSTOMSCRIPTEXTENSIONS'.
   */
  readonly setCommSettings?: (settings: CommSettings) => number;
  /** `set ipaddr`: the address the link should use. */
  readonly onIpAddress?: (address: string) => void;
  /** `set screen keyboard on|off` (netrx has no terminal window: recorded only). */
  readonly onScreenKeyboard?: (on: boolean) => void;
  /** Aborting ends the script: `failed` with `ERROR_USER_DISCONNECTION` (631). */
  readonly signal?: AbortSignalLike;
  /**
   * `waitfor` matches with ANSI/VT escape sequences removed (colours,
   * `ESC[?2004h`, OSC titles); the `-v` log and the bytes left unread stay raw.
   */
  readonly stripAnsi?: boolean;
  /** Instructions executed before the script is stopped as runaway. Default 1,000,000. */
  readonly maxSteps?: number;
}

export interface ScpResult {
  /** `done`: main's endproc reached (PPP would start); `halted`: `halt`; `failed`: see `error`. */
  readonly outcome: 'done' | 'halted' | 'failed';
  /** 0 done; 703 (`ERROR_INTERACTIVE_MODE`) halted; otherwise the raserror/Win32 number. */
  readonly error: number;
  readonly message: string | undefined;
  /** Where it stopped (halt or failure). */
  readonly at: At | undefined;
  /** The last `set ipaddr`. */
  readonly ipAddress: string | undefined;
  readonly steps: number;
}

/** Bounds on what a running script can build. */
export const SCP_RUN_LIMITS = {
  /** Characters in one string value. */
  string: 65_536,
  /** Procedure calls in progress at once. */
  calls: 32,
  /** Instructions run without an I/O wait before the script yields to the clock. */
  slice: 1000,
} as const;

export type Value = number | string | boolean;

export const PARITY: Record<ParityName, CommSettings['parity']> = {
  none: 0,
  odd: 1,
  even: 2,
  mark: 3,
  space: 4,
};
/**
 * A dotted quad, whole: not inside a longer run of digits and dots, and
 * followed by something that ends it (a sentence's final dot counts), so an
 * address split across chunks is not taken early.
 */
export const IP_PATTERN = /(?<![\d.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?=[^\d.]|\.[^\d])/;

export function isIpv4(text: string): boolean {
  const parts = text.split('.');
  return parts.length === 4 && parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255);
}

export function mentionsPassword(expr: ScpExpr): boolean {
  switch (expr.kind) {
    case 'variable':
      return expr.name === '$password';
    case 'unary':
      return mentionsPassword(expr.operand);
    case 'binary':
      return mentionsPassword(expr.left) || mentionsPassword(expr.right);
    default:
      return false;
  }
}
