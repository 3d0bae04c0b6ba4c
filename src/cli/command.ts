import type { ParseArgsConfig } from 'node:util';

/** Where a command writes; injected so tests can capture it. */
export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** Resolves when the user asks to stop (Ctrl-C, SIGTERM). */
  readonly untilStopped: () => Promise<void>;
  /**
   * Asks for SIGHUP as a reload request: while `listener` is set, SIGHUP
   * calls it instead of stopping (unless the controlling terminal is gone:
   * a closed terminal still stops the command). Returns the undo. Absent
   * where there are no signals (tests): nothing to reload then.
   */
  readonly onReload?: (listener: () => void) => () => void;
  /** The terminal's width for help text; undefined (not a terminal) wraps at 80. */
  readonly columns?: number | undefined;
}

export interface CliCommand {
  /** The words that name it: `['up']`, `['pcap', 'info']`. */
  readonly path: readonly string[];
  readonly summary: string;
  /** Usage line after `netrx`, e.g. `up [--config FILE]`. */
  readonly usage: string;
  readonly options: NonNullable<ParseArgsConfig['options']>;
  /** How many positional arguments it takes. */
  readonly positionals?: { readonly min: number; readonly max: number; readonly names: string };
  /**
   * The exit code of a usage mistake. Default 2; a drop-in for another program
   * uses that program's (`netrx chat`: 1, as pppd's chat).
   */
  readonly usageExitCode?: number;
  /**
   * Options stop at the first word that is not an option (or its value), as
   * in chat's own argv: `netrx chat -v ABORT -ERR '' PING` reads `-ERR` as a
   * script word. `--` is still accepted. Default: options anywhere.
   */
  readonly optionsEndAtFirstOperand?: boolean;
  run(
    values: Record<string, string | boolean | undefined>,
    positionals: string[],
    io: CliIo,
    /** The long names of the options given, in argv order (for a drop-in whose options act in order). */
    order?: readonly string[],
  ): Promise<number>;
}

/** A mistake in how the command was called: printed as one line, exit code 2. */
export class UsageError extends Error {
  readonly code = 'ERR_CLI_USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
