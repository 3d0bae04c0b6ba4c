import type { Clock } from '../../runtime/index.js';
import type { AbortSignalLike } from '../../runtime/index.js';

/** Where chat's output goes. Every string is bytes, one per char code (latin1). */
export interface ChatOutput {
  /** A log line (chat's `msgf`/`fatal` with `-s`), without its newline. */
  log(line: string): void;
  /** Raw bytes chat writes to stderr: `SAY`, `-e` echo, `-V`. */
  stderr(text: string): void;
  /** A line for the report file (`-r`), or stderr when there is none; without its newline. */
  report(line: string): void;
}

export interface ChatOptions {
  readonly clock: Clock;
  readonly output: ChatOutput;
  /** `-v`: log the conversation. */
  readonly verbose?: boolean;
  /** `-V`: echo received bytes to stderr as they come. */
  readonly verboseStderr?: boolean;
  /** `-s`: log lines go to stderr (`output.log`); without it they are dropped (netrx has no syslog). */
  readonly toStderr?: boolean;
  /** `-e`: start with ECHO ON. */
  readonly echo?: boolean;
  /** `-E`: `$NAME` in strings takes the environment value. */
  readonly useEnv?: boolean;
  readonly env?: (name: string) => string | undefined;
  /** `-t`: seconds per expect (default 45); 0 or less waits forever, as chat's alarm(0) does. */
  readonly timeoutSeconds?: number;
  /** `-T` and `-U`. */
  readonly phone?: string;
  readonly phone2?: string;
  /**
   * `chat`: one byte per write with a 10 ms pause before each, and chat's
   * write timeout, so timing matches chat. `fast`: each run of bytes between
   * `\d`/`\p`/`\K` goes out in one write. Default `chat`.
   */
  readonly pacing?: 'chat' | 'fast';
  /** `-r FILE`: the report file's name (for chat's "Opening"/"Closing" lines). */
  readonly reportFile?: string;
  /**
   * Whether `-v` was already given when `-r FILE` was read: chat writes its
   * `Opening "FILE"...` line only then (`Closing` depends on `-v` alone).
   * Default: `verbose`.
   */
  readonly verboseBeforeReportFile?: boolean;
  /** Reads `@file` sends; rejects with an Error whose message is the reason. */
  readonly readFile?: (path: string) => Promise<string>;
  /** Aborting ends the script as chat's SIGINT/SIGTERM do: exit 2, the reason logged. */
  readonly signal?: AbortSignalLike;
  /**
   * `HANGUP OFF|ON`: called with `false` after `HANGUP OFF` and `true` after
   * any other `HANGUP` argument (chat: `signal(SIGHUP, SIG_IGN)` or its
   * handler). A port has no SIGHUP: the host (the CLI) ignores its SIGHUP
   * while the setting is off, as chat does; it starts on.
   */
  readonly onHangupSetting?: (enabled: boolean) => void;
  /**
   * Telnet consoles: refuse every option the peer offers or asks for (DO →
   * WONT, WILL → DONT), keep telnet commands out of the log and the
   * matching (`IAC IAC` is a 0xFF byte), and double 0xFF in what is sent.
   */
  readonly telnet?: boolean;
  /** Match with ANSI/VT escape sequences removed (`AnsiStripper`); the log keeps them. */
  readonly stripAnsi?: boolean;
  /** Answer a pager prompt (`--More--`) with `answer` (a space) wherever it shows up while expecting. */
  readonly pager?: { readonly prompt: string; readonly answer: string };
  /** Timestamped transcript: each log line starts with this (`isoStamp`: `2026-12-02T09:50:00.000Z `). */
  readonly timestamps?: (ms: number) => string;
  /** chat's REPORT timestamp (`%b %d %H:%M:%S `); default from the clock, in UTC. */
  readonly formatTime?: (ms: number) => string;
}

export interface ChatResult {
  /** chat's exit code: 0 done, 1 bad script, 2 I/O error or signal, 3 timeout, 4 + n ABORT n. */
  readonly exitCode: number;
  /** The ABORT string that ended the script, if one did. */
  readonly abortString: string | undefined;
  /** The REPORT lines written. */
  readonly reports: readonly string[];
  /** True when the line went away during the script (which makes the exit code 2). */
  readonly disconnected: boolean;
  /** When the script failed while an expect waited: that expect (escapes applied). */
  readonly expect: string | undefined;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

export function utcStamp(ms: number): string {
  const d = new Date(ms);
  return `${MONTHS[d.getUTCMonth()]} ${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} `;
}

/** A transcript timestamp in UTC with milliseconds, then a space. */
export function isoStamp(ms: number): string {
  return `${new Date(ms).toISOString()} `;
}

/** What `--pager` answers by default: `--More--` with a space. */
export const DEFAULT_PAGER = { prompt: '--More--', answer: ' ' } as const;
