import { echoCharacter } from './escapes.js';
import type { ChatOptions } from './options.js';

/** Ends the run from deep inside with chat's exit code. */
export class ChatExit extends Error {
  constructor(readonly code: number) {
    super(`chat exit ${code}`);
  }
}

/** chat formats log lines into 1024 bytes: longer ones are cut. */
const LOG_LINE_MAX = 1023;

/**
 * A chat run's three outputs, in chat's order: syslog-style log lines (`-v`,
 * cut at 1023 bytes, optionally timestamped), the echo/`-V` bytes on stderr
 * (held until the next line so the two never interleave mid-line), and the
 * REPORT lines.
 */
export class ChatLog {
  readonly reports: string[] = [];
  private needLf = false;
  private pendingStderr = '';

  constructor(private readonly options: ChatOptions) {}

  log(line: string): void {
    this.flushStderr();
    if (!this.options.toStderr) return;
    const stamp = this.options.timestamps;
    const cut = line.slice(0, LOG_LINE_MAX);
    this.options.output.log(stamp === undefined ? cut : stamp(this.options.clock.now()) + cut);
  }

  stderr(text: string): void {
    this.pendingStderr += text;
  }

  flushStderr(): void {
    if (this.pendingStderr === '') return;
    const text = this.pendingStderr;
    this.pendingStderr = '';
    this.options.output.stderr(text);
  }

  /** chat's `echo_stderr`: -1 ends a pending line. */
  echoStderr(c: number): void {
    if (c === 0x0d) return;
    if (c === -1 && !this.needLf) return;
    if (c === -1 || c === 0x0a) {
      this.stderr('\n');
      this.needLf = false;
      return;
    }
    this.stderr(echoCharacter(c));
    this.needLf = true;
  }

  writeReport(line: string): void {
    this.flushStderr();
    this.reports.push(line);
    this.options.output.report(line);
  }

  /** A line on the report output that is not a REPORT match (chat's report-file messages). */
  reportNote(line: string): void {
    this.options.output.report(line);
  }
}
