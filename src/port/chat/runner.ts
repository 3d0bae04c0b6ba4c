import { NetrxError } from '../../runtime/index.js';
import { AnsiStripper } from '../ansi.js';
import { LiteralMatcher } from '../matcher.js';
import { TelnetFilter, telnetEscape } from '../telnet.js';
import { latin1Bytes, latin1Text } from '../latin1.js';
import { PortEventDescriptor } from '../events.js';
import type { Port } from '../port.js';
import {
  atoi,
  cleanChatString,
  cString,
  echoCharacter,
  visible,
  type EscapeContext,
} from './escapes.js';
import { utcStamp, type ChatOptions, type ChatResult } from './options.js';
import { CHAT_LIMITS, keywordOf, subExpects, type ChatKeyword, type ChatScript } from './script.js';

/** Ends the run from deep inside with chat's exit code. */
class ChatExit extends Error {
  constructor(readonly code: number) {
    super(`chat exit ${code}`);
  }
}

/** chat formats log lines into 1024 bytes: longer ones are cut. */
const LOG_LINE_MAX = 1023;
/** chat's `report_buffer` is 50 bytes; netrx bounds a report at this instead of overflowing. */
const REPORT_MAX = 1024;

interface Tracked {
  readonly text: string;
  readonly matcher: LiteralMatcher;
}

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
  private exitCode = 0;
  private failReason: string | undefined;
  private aborts: Tracked[] = [];
  private reportStrings: (Tracked | undefined)[] = [];
  private reportGathering = false;
  private reportBuffer = '';
  private readonly reports: string[] = [];
  private next: ChatKeyword | undefined;
  private needLf = false;
  private disconnected = false;
  private pendingStderr = '';
  /** chat's `temp`: the bytes of the current expect, for its log lines only. */
  private readonly window = new Uint8Array(CHAT_LIMITS.window);
  /** `telnet`: one filter for the whole run, so a command split across reads is still seen whole. */
  private readonly telnet: TelnetFilter | undefined;
  /** `stripAnsi`: escape sequences removed from what is matched (the log keeps them). */
  private readonly ansi: AnsiStripper | undefined;
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
    this.telnet = options.telnet === true ? new TelnetFilter() : undefined;
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
      if (this.options.reportFile !== undefined && this.verbose) {
        this.options.output.report(`Opening "${this.options.reportFile}"...`);
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
    this.flushStderr();
    this.port.trace?.emit(PortEventDescriptor.scriptFinished, {
      port: this.port.name,
      exitCode: code,
      abortString: code >= 4 ? (this.failReason ?? '') : '',
    });
    return {
      exitCode: code,
      abortString: code >= 4 ? this.failReason : undefined,
      reports: this.reports,
      disconnected: this.disconnected,
    };
  }

  // ---- output ----

  private log(line: string): void {
    this.flushStderr();
    if (!this.options.toStderr) return;
    const stamp = this.options.timestamps;
    const cut = line.slice(0, LOG_LINE_MAX);
    this.options.output.log(stamp === undefined ? cut : stamp(this.options.clock.now()) + cut);
  }

  private stderr(text: string): void {
    this.pendingStderr += text;
  }

  private flushStderr(): void {
    if (this.pendingStderr === '') return;
    const text = this.pendingStderr;
    this.pendingStderr = '';
    this.options.output.stderr(text);
  }

  private echoStderr(c: number): void {
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

  private writeReport(line: string): void {
    this.flushStderr();
    this.reports.push(line);
    this.options.output.report(line);
  }

  /** chat's `fatal`: the message is logged, then the script ends with `code` (through `terminate`). */
  private fatal(code: number, message: string): never {
    this.log(message);
    throw new ChatExit(code);
  }

  /** chat's `terminate`: finish a REPORT line, close the report file; the final exit code. */
  private async terminate(code: number): Promise<number> {
    this.echoStderr(-1);
    if (this.reportGathering) {
      // chat gathers the rest of a REPORT line (1 s per byte, at most 50 bytes) before it exits.
      while (this.reportBuffer.length + 1 <= 50) {
        const c = await this.readOne(1000);
        if (c < 0 || isControl(c)) break;
        this.reportBuffer += String.fromCharCode(c);
      }
      this.reportGathering = false;
      this.writeReport(`chat:  ${this.reportBuffer}`);
    }
    if (this.options.reportFile !== undefined && this.verbose) {
      this.options.output.report(`Closing "${this.options.reportFile}".`);
    }
    // On a tty that hung up chat cannot restore the line settings and exits 2.
    return this.disconnected ? 2 : code;
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
    this.log(this.failReason !== undefined ? `Failed (${this.failReason})` : 'Failed');
    throw new ChatExit(this.exitCode);
  }

  private async chatSend(raw: string): Promise<void> {
    const keyword = this.next;
    this.next = undefined;
    switch (keyword) {
      case 'SAY':
        this.stderr(cString(this.clean(raw, true).text));
        this.flushStderr();
        return;
      case 'HANGUP':
        // SIGHUP handling: a port has no SIGHUP; a hang-up is always seen as a disconnect.
        return;
      case 'ECHO':
        this.echo = raw === 'ON';
        return;
      case 'ABORT': {
        if (this.aborts.length >= CHAT_LIMITS.maxAborts) this.fatal(2, 'Too many ABORT strings');
        const text = this.checkedString(raw, 'ABORT');
        this.aborts.push(track(text));
        if (this.verbose) this.log(`abort on (${visible(raw)})`);
        return;
      }
      case 'CLR_ABORT': {
        const text = this.checkedString(raw, 'CLR_ABORT');
        this.aborts = this.aborts.filter((entry) => {
          if (entry.text !== text) return true;
          if (this.verbose) this.log(`clear abort on (${visible(raw)})`);
          return false;
        });
        return;
      }
      case 'REPORT': {
        if (this.reportStrings.length >= CHAT_LIMITS.maxReports) {
          this.fatal(2, 'Too many REPORT strings');
        }
        const text = this.checkedString(raw, 'REPORT');
        this.reportStrings.push(track(text));
        if (this.verbose) this.log(`report (${visible(raw)})`);
        return;
      }
      case 'CLR_REPORT': {
        const text = this.checkedString(raw, 'REPORT');
        this.reportStrings = this.reportStrings.filter((entry) => {
          if (entry === undefined || entry.text !== text) return true;
          if (this.verbose) this.log(`clear report (${visible(raw)})`);
          return false;
        });
        return;
      }
      case 'TIMEOUT': {
        const seconds = atoi(this.clean(raw, false).text);
        this.timeout = seconds <= 0 ? 45 : seconds;
        if (this.verbose) this.log(`timeout set to ${this.timeout} seconds`);
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
    if (this.verbose) this.log(quiet ? 'send (??????)' : `send (${visible(cString(text))})`);
    const clock = this.options.clock;
    const deadline = this.timeout > 0 ? clock.now() + this.timeout * 1000 : Infinity;
    let run = '';
    const flush = (): boolean => {
      if (run === '') return true;
      const bytes = run;
      run = '';
      return this.writeBytes(bytes);
    };
    for (let i = 0; i < text.length; i++) {
      let c = text[i] as string;
      let pause = 0;
      let brk = false;
      if (c === '\\') {
        c = text[++i] ?? '';
        if (c === 'd') pause = 1000;
        else if (c === 'p') pause = 10;
        else if (c === 'K') brk = true;
      }
      if (pause > 0 || brk) {
        if (!flush()) return false;
        if (brk) this.port.sendBreak();
        else await this.sleep(pause);
        continue;
      }
      if (this.fast) {
        run += c;
        continue;
      }
      await this.sleep(10);
      if (clock.now() >= deadline) {
        if (this.verbose) this.log(' -- write timed out');
        return false;
      }
      if (!this.writeBytes(c)) return false;
    }
    return flush();
  }

  private writeBytes(text: string): boolean {
    const bytes = latin1Bytes(text);
    return this.writeRaw(this.telnet === undefined ? bytes : telnetEscape(bytes));
  }

  /** Sends the telnet answers the last bytes asked for (WONT/DONT). */
  private answerTelnet(): void {
    const replies = this.telnet?.takeReplies();
    if (replies !== undefined) this.writeRaw(replies);
  }

  private writeRaw(bytes: Uint8Array): boolean {
    try {
      this.port.send(bytes);
      return true;
    } catch (error) {
      if (!(error instanceof NetrxError)) throw error;
      this.disconnected = true;
      if (this.verbose) this.log(` -- write failed: ${error.message}`);
      return false;
    }
  }

  private sleep(ms: number): Promise<void> {
    this.checkSignal();
    return new Promise<void>((resolve) => {
      const signal = this.options.signal;
      const onAbort = () => {
        timer.cancel();
        resolve();
      };
      const timer = this.options.clock.setTimer(ms, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    }).then(() => this.checkSignal());
  }

  // ---- receiving ----

  /**
   * One byte with bit 7 stripped, or -1 on timeout or disconnect (chat's
   * `get_char`); bytes after it in the same chunk stay in the port.
   */
  private async readOne(timeoutMs: number): Promise<number> {
    for (;;) {
      const chunk = await this.receive(timeoutMs);
      if (chunk === undefined) return -1;
      this.port.unread(chunk.subarray(1));
      const byte = chunk[0] as number;
      const data = this.telnet === undefined ? byte : this.telnet.step(byte);
      this.answerTelnet();
      if (data >= 0) return data & 0x7f;
    }
  }

  /** The next chunk, or undefined on timeout or disconnect (which is remembered). */
  private async receive(timeoutMs: number): Promise<Uint8Array | undefined> {
    try {
      return await this.port.receive({
        timeoutMs: timeoutMs === Infinity ? undefined : Math.max(0, timeoutMs),
        signal: this.options.signal,
      });
    } catch (error) {
      this.checkSignal();
      if (error instanceof NetrxError && error.code === 'ERROR_REQUEST_TIMEOUT') return undefined;
      if (error instanceof NetrxError) {
        this.disconnected = true;
        return undefined;
      }
      throw error;
    }
  }

  /** chat's `get_string`: waits for `raw` (cleaned) within the timeout. */
  private async getString(raw: string): Promise<boolean> {
    this.failReason = undefined;
    const string = this.clean(raw, false).text;
    const len = string.length;
    const minlen = Math.max(len, 50) - 1;
    if (this.verbose) this.log(`expect (${visible(string)})`);
    if (len > CHAT_LIMITS.maxExpectLength) {
      this.log('expect string is too long');
      this.exitCode = 1;
      return false;
    }
    if (len === 0) {
      if (this.verbose) this.log('got it');
      return true;
    }
    const clock = this.options.clock;
    const deadline = this.timeout > 0 ? clock.now() + this.timeout * 1000 : Infinity;
    const expect = new LiteralMatcher(latin1Bytes(string));
    for (const entry of this.aborts) entry.matcher.reset();
    for (const entry of this.reportStrings) entry?.matcher.reset();
    const temp = this.window;
    let s = 0;
    let logged = 0;
    const pending = () => visible(latin1Text(temp.subarray(logged, s)));
    for (;;) {
      if (this.disconnected) break;
      const left = deadline - clock.now();
      const chunk = left <= 0 ? undefined : await this.receive(left);
      if (chunk === undefined) {
        if (!this.disconnected && this.verbose) this.log('alarm');
        break;
      }
      for (let i = 0; i < chunk.length; i++) {
        // Telnet commands are the line's protocol, not text: out of the log and the matching.
        const raw =
          this.telnet === undefined ? (chunk[i] as number) : this.telnet.step(chunk[i] as number);
        if (raw < 0) continue;
        const c = raw & 0x7f;
        if (this.echo) this.echoStderr(c);
        if (this.verbose && c === 0x0a) {
          this.log(s === logged ? '' : pending());
          logged = s + 1;
        }
        temp[s++] = c;
        if (this.verbose && s >= logged + 80) {
          this.log(pending());
          logged = s;
        }
        if (this.options.verboseStderr) {
          if (c === 0x0a) this.stderr('\n');
          else if (c !== 0x0d) this.stderr(echoCharacter(c));
        }
        // ANSI sequences leave the matching only: the log above has them as received.
        const data = this.ansi === undefined ? raw : this.ansi.step(raw);
        const outcome = data < 0 ? undefined : this.matchByte(expect, data & 0x7f);
        if (outcome === 'expect') {
          if (this.verbose) {
            if (s > logged) this.log(pending());
            this.log(' -- got it\n');
          }
          this.port.unread(chunk.subarray(i + 1));
          this.answerTelnet();
          return true;
        }
        if (typeof outcome === 'number') {
          if (this.verbose) {
            if (s > logged) this.log(pending());
            this.log(' -- failed');
          }
          this.exitCode = outcome + 4;
          this.failReason = (this.aborts[outcome] as Tracked).text;
          this.port.unread(chunk.subarray(i + 1));
          this.answerTelnet();
          return false;
        }
        if (outcome === 'pager' && this.pager !== undefined) {
          if (this.verbose) {
            if (s > logged) this.log(pending());
            logged = s;
            this.log(`pager (${visible(this.pager.answer)})`);
          }
          if (!this.writeBytes(this.pager.answer)) break;
        }
        if (s >= temp.length) {
          // The window is full: keep its last `minlen` bytes (enough for any match).
          if (logged < s - minlen) {
            this.log(pending());
            logged = s;
          }
          const shift = s - minlen;
          temp.copyWithin(0, shift, s);
          s = minlen;
          logged -= shift;
        }
      }
      this.answerTelnet();
      this.flushStderr();
    }
    this.exitCode = 3;
    return false;
  }

  /**
   * One byte through the matchers in chat's order (REPORT, the expect, ABORT
   * in declaration order), then the pager prompt: what it completed, if anything.
   */
  private matchByte(expect: LiteralMatcher, c: number): 'expect' | 'pager' | number | undefined {
    this.stepReports(c);
    if (expect.step(c)) return 'expect';
    for (let n = 0; n < this.aborts.length; n++) {
      if ((this.aborts[n] as Tracked).matcher.step(c)) return n;
    }
    return this.pager?.matcher.step(c) === true ? 'pager' : undefined;
  }

  /** REPORT strings: each reports once; after a match chat gathers up to a control byte. */
  private stepReports(c: number): void {
    const gathering = this.reportGathering;
    let matched: number | undefined;
    // Every automaton sees every byte, so a match after gathering ends is still found.
    for (let n = 0; n < this.reportStrings.length; n++) {
      const entry = this.reportStrings[n];
      if (entry !== undefined && entry.matcher.step(c) && matched === undefined) matched = n;
    }
    if (!gathering) {
      if (matched !== undefined) {
        const entry = this.reportStrings[matched] as Tracked;
        this.reportBuffer =
          (this.options.formatTime ?? utcStamp)(this.options.clock.now()) + entry.text;
        this.reportStrings[matched] = undefined;
        this.reportGathering = true;
      }
      return;
    }
    if (!isControl(c)) {
      if (this.reportBuffer.length < REPORT_MAX) this.reportBuffer += String.fromCharCode(c);
    } else {
      this.reportGathering = false;
      this.writeReport(`chat:  ${this.reportBuffer}`);
    }
  }
}

function track(text: string): Tracked {
  return { text, matcher: new LiteralMatcher(latin1Bytes(text)) };
}

function isControl(c: number): boolean {
  return c < 0x20 || c === 0x7f;
}
