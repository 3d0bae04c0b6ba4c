/**
 * The chat runner: the script's expect/send loop, keywords, sending with
 * chat's pacing and alarms, the expect window and its log lines, and the
 * end of the script (`terminate`). The ABORT and REPORT strings it watches
 * for are in watched.ts; the line (port, telnet, break) in line.ts.
 */
import { AnsiStripper } from '../ansi.js';
import { LiteralMatcher } from '../matcher.js';
import { latin1Bytes, latin1Text } from '../latin1.js';
import { PortEventDescriptor } from '../events.js';
import { traceTranscript } from '../transcript.js';
import type { Port } from '../port.js';
import {
  atoi,
  cleanChatString,
  cString,
  echoCharacter,
  visible,
  type EscapeContext,
} from './escapes.js';
import { ChatLine } from './line.js';
import { ChatExit, ChatLog } from './log.js';
import type { ChatOptions, ChatResult } from './options.js';
import { CHAT_LIMITS, keywordOf, subExpects, type ChatKeyword, type ChatScript } from './script.js';
import { isControl, WatchedStrings } from './watched.js';

/**
 * Runs a chat script on a port with chat's semantics (pppd's chat 1.22,
 * Debian ppp 2.4.9): the same order of checks per received byte (REPORT,
 * then the expect, then ABORT in declaration order), bit 7 stripped, the
 * 1024-byte window and its log lines, sub-expects, keywords, exit codes and
 * `-v` log lines. Matching is incremental (one automaton per string, O(1)
 * amortised per byte); the window is kept only for chat's log lines.
 */
export async function runChat(
  port: Port,
  script: ChatScript,
  options: ChatOptions,
): Promise<ChatResult> {
  return new ChatRun(port, script, options).run();
}

class ChatRun {
  private readonly verbose: boolean;
  private readonly context: EscapeContext;
  private readonly fast: boolean;
  private timeout: number;
  private echo: boolean;
  /** `HANGUP`: whether SIGHUP ends the script (chat's default). */
  private hangup = true;
  /** chat's `terminating`: set on the first `terminate`. */
  private terminating = false;
  private exitCode = 0;
  private failReason: string | undefined;
  /** The expect being waited for (undefined once it matched): the failing one in the result. */
  private waitingFor: string | undefined;
  /** The ABORT and REPORT strings, and the REPORT line being gathered. */
  private readonly watched: WatchedStrings;
  private next: ChatKeyword | undefined;
  /** chat's `temp`: the bytes of the current expect, for its log lines only. */
  private readonly window = new Uint8Array(CHAT_LIMITS.window);
  /** `stripAnsi`: escape sequences removed from what is matched (the log keeps them). */
  private readonly ansi: AnsiStripper | undefined;
  private readonly out: ChatLog;
  private readonly line: ChatLine;
  private readonly pager: { readonly matcher: LiteralMatcher; readonly answer: string } | undefined;

  constructor(
    private readonly port: Port,
    private readonly script: ChatScript,
    private readonly options: ChatOptions,
  ) {
    this.verbose = options.verbose ?? false;
    this.fast = options.pacing === 'fast';
    this.timeout = options.timeoutSeconds ?? 45;
    this.echo = options.echo ?? false;
    this.out = new ChatLog(options);
    this.watched = new WatchedStrings(options, this.out);
    this.line = new ChatLine(port, options, this.verbose, this.out, () => this.checkSignal());
    this.ansi = options.stripAnsi === true ? new AnsiStripper() : undefined;
    const pager = options.pager;
    this.pager =
      pager === undefined || pager.prompt === ''
        ? undefined
        : { matcher: new LiteralMatcher(latin1Bytes(pager.prompt)), answer: pager.answer };
    const env = options.env ?? (() => undefined);
    this.context = {
      useEnv: options.useEnv ?? false,
      env,
      phone: options.phone,
      phone2: options.phone2,
    };
  }

  async run(): Promise<ChatResult> {
    let code: number;
    try {
      if (
        this.options.reportFile !== undefined &&
        (this.options.verboseBeforeReportFile ?? this.verbose)
      ) {
        this.out.reportNote(`Opening "${this.options.reportFile}"...`);
      }
      const tokens = this.script.tokens;
      for (let index = 0; index < tokens.length; index++) {
        this.checkSignal();
        const text = (tokens[index] as { text: string }).text;
        if (index % 2 === 0) await this.chatExpect(text);
        else await this.chatSend(text);
      }
      if (this.script.syntaxError !== undefined) this.fatal(1, this.script.syntaxError.message);
      code = await this.terminate(0);
    } catch (thrown) {
      if (!(thrown instanceof ChatExit)) throw thrown;
      code = await this.terminate(thrown.code);
    }
    this.out.flushStderr();
    this.port.trace?.emit(PortEventDescriptor.scriptFinished, {
      port: this.port.name,
      exitCode: code,
      abortString: code >= 4 ? (this.failReason ?? '') : '',
    });
    return {
      exitCode: code,
      abortString: code >= 4 ? this.failReason : undefined,
      reports: this.out.reports,
      disconnected: this.line.disconnected,
      expect: code === 0 ? undefined : this.waitingFor,
    };
  }

  /** chat's `fatal`: the message is logged, then the script ends with `code` (through `terminate`). */
  private fatal(code: number, message: string): never {
    this.out.log(message);
    throw new ChatExit(code);
  }

  /**
   * chat's `terminate`: finish a REPORT line, close the report file; the final
   * exit code. Entered once: a signal while it gathers (chat's handler calls
   * `fatal`, which re-enters `terminate` and exits at once) ends it with that
   * code, the partial REPORT line and the `Closing` line unwritten.
   */
  private async terminate(code: number): Promise<number> {
    if (this.terminating) return code;
    this.terminating = true;
    this.out.echoStderr(-1);
    if (this.watched.isGathering) {
      // chat gathers the rest of a REPORT line (1 s per byte, up to its 256-byte buffer);
      // `alarm` is logged when the wait for a byte times out.
      try {
        while (this.watched.gatherHasRoom) {
          const c = await this.line.readOne(1000);
          if (c === -1 && !this.line.disconnected && this.verbose) this.out.log('alarm');
          if (c < 0 || isControl(c)) break;
          this.watched.gather(c);
        }
      } catch (thrown) {
        if (!(thrown instanceof ChatExit)) throw thrown;
        this.watched.finishGathering(false);
        return thrown.code;
      }
      this.watched.finishGathering(true);
    }
    if (this.options.reportFile !== undefined && this.verbose) {
      this.out.reportNote(`Closing "${this.options.reportFile}".`);
    }
    // On a tty that hung up chat cannot restore the line settings and exits 2.
    return this.line.disconnected ? 2 : code;
  }

  private checkSignal(): void {
    const signal = this.options.signal;
    if (signal?.aborted) {
      const reason: unknown = signal.reason;
      // The CLI aborts with the signal's name; anything else is named by its message.
      const text =
        typeof reason === 'string' ? reason : reason instanceof Error ? reason.message : 'SIGTERM';
      this.fatal(2, text);
    }
  }

  // ---- the script ----

  private async chatExpect(text: string): Promise<void> {
    const keyword = keywordOf(text);
    if (keyword !== undefined) {
      this.next = keyword;
      return;
    }
    const parts = subExpects(text);
    for (;;) {
      const expect = parts.next();
      if (expect.done) return;
      const reply = parts.next();
      if (await this.getString(expect.value.text)) return;
      if (reply.done || this.exitCode !== 3) break;
      await this.chatSend(reply.value.text);
    }
    this.out.log(this.failReason !== undefined ? `Failed (${this.failReason})` : 'Failed');
    throw new ChatExit(this.exitCode);
  }

  private async chatSend(raw: string): Promise<void> {
    const keyword = this.next;
    this.next = undefined;
    switch (keyword) {
      case 'SAY':
        this.out.stderr(cString(this.clean(raw, true).text));
        this.out.flushStderr();
        return;
      case 'HANGUP':
        // chat: `OFF` ignores SIGHUP, anything else restores its handler. A port has no
        // SIGHUP, so the setting goes to the host, which owns the signal.
        this.hangup = raw !== 'OFF';
        this.options.onHangupSetting?.(this.hangup);
        return;
      case 'ECHO':
        this.echo = raw === 'ON';
        return;
      case 'ABORT': {
        if (this.watched.abortsFull) this.fatal(2, 'Too many ABORT strings');
        const text = this.checkedString(raw, 'ABORT');
        this.watched.addAbort(text);
        if (this.verbose) this.out.log(`abort on (${visible(raw)})`);
        return;
      }
      case 'CLR_ABORT': {
        const text = this.checkedString(raw, 'CLR_ABORT');
        if (this.watched.clearAbort(text) && this.verbose) {
          this.out.log(`clear abort on (${visible(raw)})`);
        }
        return;
      }
      case 'REPORT': {
        if (this.watched.reportsFull) this.fatal(2, 'Too many REPORT strings');
        const text = this.checkedString(raw, 'REPORT');
        this.watched.addReport(text);
        if (this.verbose) this.out.log(`report (${visible(raw)})`);
        return;
      }
      case 'CLR_REPORT': {
        const text = this.checkedString(raw, 'REPORT');
        this.watched.clearReport(text, () => {
          if (this.verbose) this.out.log(`clear report (${visible(raw)})`);
        });
        return;
      }
      case 'TIMEOUT': {
        const seconds = atoi(this.clean(raw, false).text);
        this.timeout = seconds <= 0 ? 45 : seconds;
        if (this.verbose) this.out.log(`timeout set to ${this.timeout} seconds`);
        return;
      }
      default:
        break;
    }
    let text = raw;
    if (text.startsWith('@')) {
      const name = text.slice(1).replace(/^[ \t]+/, '');
      if (name !== '') text = await this.readSendFile(name);
    }
    if (text === 'EOT') text = '^D\\c';
    else if (text === 'BREAK') text = '\\K\\c';
    if (!(await this.putString(text))) this.fatal(1, 'Failed');
  }

  private async readSendFile(name: string): Promise<string> {
    const read = this.options.readFile;
    let content: string;
    try {
      if (read === undefined) throw new Error('No such file or directory');
      content = await read(name);
    } catch (error) {
      this.fatal(1, `${name} -- open failed: ${(error as Error).message}`);
    }
    // chat reads at most 1023 bytes into a C string and drops one final newline.
    content = cString(content.slice(0, 1023));
    return content.endsWith('\n') ? content.slice(0, -1) : content;
  }

  private clean(raw: string, sending: boolean) {
    return cleanChatString(raw, sending, this.context);
  }

  /** ABORT/REPORT strings: shorter than 50 bytes and no longer than written, or exit 1. */
  private checkedString(raw: string, what: string): string {
    const text = this.clean(raw, false).text;
    if (text.length > raw.length || text.length + 1 > 50) {
      this.fatal(1, `Illegal or too-long ${what} string ('${visible(raw)}')`);
    }
    return text;
  }

  // ---- sending ----

  private async putString(raw: string): Promise<boolean> {
    const { text, quiet } = this.clean(raw, true);
    if (this.verbose) this.out.log(quiet ? 'send (??????)' : `send (${visible(cString(text))})`);
    // `\q` hides the string from the log: from the transcript too.
    traceTranscript(this.port, 'send', cString(text), quiet);
    const clock = this.options.clock;
    // chat's alarm(timeout) around the send: once it fires it logs `alarm` and
    // re-arms for 1 s, each alarm cuts a pause short, and the next write fails.
    let nextAlarm = this.timeout > 0 ? clock.now() + this.timeout * 1000 : Infinity;
    let alarmed = false;
    const pause = async (ms: number): Promise<void> => {
      const now = clock.now();
      await this.line.sleep(Math.min(now + ms, nextAlarm) - now);
      if (clock.now() >= nextAlarm) {
        alarmed = true;
        nextAlarm += 1000;
        if (this.verbose) this.out.log('alarm');
      }
    };
    let run = '';
    const flush = (): boolean => {
      if (run === '') return true;
      const bytes = run;
      run = '';
      return this.line.writeBytes(bytes);
    };
    for (let i = 0; i < text.length; i++) {
      let c = text[i] as string;
      let delay = 0;
      let brk = false;
      if (c === '\\') {
        c = text[++i] ?? '';
        if (c === 'd') delay = 1000;
        else if (c === 'p') delay = 10;
        else if (c === 'K') brk = true;
      }
      if (delay > 0 || brk) {
        if (!flush()) return false;
        if (brk) this.line.sendBreak();
        else await pause(delay);
        continue;
      }
      if (this.fast) {
        run += c;
        continue;
      }
      await pause(10);
      if (alarmed) {
        if (this.verbose) this.out.log(' -- write timed out');
        return false;
      }
      if (!this.line.writeBytes(c)) return false;
    }
    return flush();
  }

  // ---- receiving ----

  /** chat's `get_string`: waits for `raw` (cleaned) within the timeout. */
  private async getString(raw: string): Promise<boolean> {
    this.failReason = undefined;
    const string = this.clean(raw, false).text;
    this.waitingFor = string;
    const len = string.length;
    const minlen = Math.max(len, 50) - 1;
    if (this.verbose) this.out.log(`expect (${visible(string)})`);
    traceTranscript(this.port, 'expect', string);
    if (len > CHAT_LIMITS.maxExpectLength) {
      this.out.log('expect string is too long');
      this.exitCode = 1;
      return false;
    }
    if (len === 0) {
      if (this.verbose) this.out.log('got it');
      this.waitingFor = undefined;
      return true;
    }
    const clock = this.options.clock;
    const deadline = this.timeout > 0 ? clock.now() + this.timeout * 1000 : Infinity;
    const expect = new LiteralMatcher(latin1Bytes(string));
    this.watched.reset();
    const temp = this.window;
    let s = 0;
    let logged = 0;
    const pending = () => visible(latin1Text(temp.subarray(logged, s)));
    for (;;) {
      if (this.line.disconnected) break;
      const left = deadline - clock.now();
      const chunk = left <= 0 ? undefined : await this.line.receive(left);
      if (chunk === undefined) {
        if (!this.line.disconnected && this.verbose) this.out.log('alarm');
        break;
      }
      traceTranscript(this.port, 'received', latin1Text(chunk));
      for (let i = 0; i < chunk.length; i++) {
        // Telnet commands are the line's protocol, not text: out of the log and the matching.
        const raw =
          this.line.telnet === undefined
            ? (chunk[i] as number)
            : this.line.telnet.step(chunk[i] as number);
        if (raw < 0) continue;
        const c = raw & 0x7f;
        if (this.echo) this.out.echoStderr(c);
        if (this.verbose && c === 0x0a) {
          this.out.log(s === logged ? '' : pending());
          logged = s + 1;
        }
        temp[s++] = c;
        if (this.verbose && s >= logged + 80) {
          this.out.log(pending());
          logged = s;
        }
        if (this.options.verboseStderr) {
          if (c === 0x0a) this.out.stderr('\n');
          else if (c !== 0x0d) this.out.stderr(echoCharacter(c));
        }
        // ANSI sequences leave the matching only: the log above has them as received.
        const data = this.ansi === undefined ? raw : this.ansi.step(raw);
        const outcome =
          data < 0 ? undefined : this.watched.matchByte(expect, this.pager?.matcher, data & 0x7f);
        if (outcome === 'expect') {
          if (this.verbose) {
            if (s > logged) this.out.log(pending());
            this.out.log(' -- got it\n');
          }
          traceTranscript(this.port, 'matched', string);
          this.line.unread(chunk.subarray(i + 1));
          this.line.answerTelnet();
          this.waitingFor = undefined;
          return true;
        }
        if (typeof outcome === 'number') {
          if (this.verbose) {
            if (s > logged) this.out.log(pending());
            this.out.log(' -- failed');
          }
          this.exitCode = outcome + 4;
          this.failReason = this.watched.abortText(outcome);
          traceTranscript(this.port, 'failed', this.failReason);
          this.line.unread(chunk.subarray(i + 1));
          this.line.answerTelnet();
          return false;
        }
        if (outcome === 'pager' && this.pager !== undefined) {
          if (this.verbose) {
            if (s > logged) this.out.log(pending());
            logged = s;
            this.out.log(`pager (${visible(this.pager.answer)})`);
          }
          if (!this.line.writeBytes(this.pager.answer)) break;
        }
        if (s >= temp.length) {
          // The window is full: keep its last `minlen` bytes (enough for any match).
          if (logged < s - minlen) {
            this.out.log(pending());
            logged = s;
          }
          const shift = s - minlen;
          temp.copyWithin(0, shift, s);
          s = minlen;
          logged -= shift;
        }
      }
      this.line.answerTelnet();
      this.out.flushStderr();
    }
    traceTranscript(this.port, 'timeout', string);
    this.exitCode = 3;
    return false;
  }
}
