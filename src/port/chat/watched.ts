/**
 * The strings a chat run watches for besides its expect: ABORT strings (a
 * match ends the script with 4 + their index) and REPORT strings (a match
 * starts a report line, gathered up to a control byte), with chat's order of
 * checks per received byte and its report buffer bounds. The runner
 * (runner.ts) drives the script and the line; this holds the automata and
 * the report being gathered.
 */
import { latin1Bytes } from '../latin1.js';
import { LiteralMatcher } from '../matcher.js';
import type { ChatLog } from './log.js';
import { utcStamp, type ChatOptions } from './options.js';
import { CHAT_LIMITS } from './script.js';

/**
 * chat 2.4.9's `report_buffer[256]`: the gather at the end of the script
 * (terminate()) stops when the line, timestamp included, has 256 bytes (chat
 * then writes its NUL one past the end; checked with /usr/sbin/chat).
 */
const REPORT_BUFFER = 256;
/**
 * While expecting, chat appends to `report_buffer` without a bound (checked:
 * a 378-byte line is reported whole); netrx bounds a line at this instead of
 * overflowing.
 */
const REPORT_MAX = 1024;

interface Tracked {
  readonly text: string;
  readonly matcher: LiteralMatcher;
}

/** What one byte completed: the expect, the pager prompt or ABORT string number n. */
export type ByteOutcome = 'expect' | 'pager' | number | undefined;

export class WatchedStrings {
  private aborts: Tracked[] = [];
  private reportStrings: (Tracked | undefined)[] = [];
  private gathering = false;
  private reportBuffer = '';

  constructor(
    private readonly options: ChatOptions,
    private readonly out: ChatLog,
  ) {}

  /** Whether a REPORT line is being gathered. */
  get isGathering(): boolean {
    return this.gathering;
  }

  /** Whether chat's limit of ABORT strings is reached. */
  get abortsFull(): boolean {
    return this.aborts.length >= CHAT_LIMITS.maxAborts;
  }

  /** Whether chat's limit of REPORT strings is reached. */
  get reportsFull(): boolean {
    return this.reportStrings.length >= CHAT_LIMITS.maxReports;
  }

  addAbort(text: string): void {
    this.aborts.push(track(text));
  }

  /** Removes the first ABORT string equal to `text`; false when there is none. */
  clearAbort(text: string): boolean {
    // chat clears the first copy only: a string given twice still aborts (as 4 + its later n).
    const at = this.aborts.findIndex((entry) => entry.text === text);
    if (at < 0) return false;
    this.aborts.splice(at, 1);
    return true;
  }

  /** The text of ABORT string number `n`. */
  abortText(n: number): string {
    return (this.aborts[n] as Tracked).text;
  }

  addReport(text: string): void {
    this.reportStrings.push(track(text));
  }

  /** Removes every REPORT string equal to `text`, calling `cleared` once for each. */
  clearReport(text: string, cleared: () => void): void {
    this.reportStrings = this.reportStrings.filter((entry) => {
      if (entry === undefined || entry.text !== text) return true;
      cleared();
      return false;
    });
  }

  /** A new expect starts: every automaton starts over. */
  reset(): void {
    for (const entry of this.aborts) entry.matcher.reset();
    for (const entry of this.reportStrings) entry?.matcher.reset();
  }

  /**
   * One byte through the matchers in chat's order (REPORT, the expect, ABORT
   * in declaration order), then the pager prompt: what it completed, if anything.
   */
  matchByte(expect: LiteralMatcher, pager: LiteralMatcher | undefined, c: number): ByteOutcome {
    this.stepReports(c);
    if (expect.step(c)) return 'expect';
    for (let n = 0; n < this.aborts.length; n++) {
      if ((this.aborts[n] as Tracked).matcher.step(c)) return n;
    }
    return pager?.step(c) === true ? 'pager' : undefined;
  }

  /** Appends a byte of the gather at the end of the script (see `gatherHasRoom`). */
  gather(c: number): void {
    this.reportBuffer += String.fromCharCode(c);
  }

  /** Whether the end-of-script gather has room for another byte. */
  get gatherHasRoom(): boolean {
    return this.reportBuffer.length + 1 <= REPORT_BUFFER;
  }

  /** Ends the gathering; the line is written unless `write` is false (a signal cut it short). */
  finishGathering(write: boolean): void {
    this.gathering = false;
    if (write) this.out.writeReport(`chat:  ${this.reportBuffer}`);
  }

  /** REPORT strings: each reports once; after a match chat gathers up to a control byte. */
  private stepReports(c: number): void {
    const gathering = this.gathering;
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
        this.gathering = true;
      }
      return;
    }
    if (!isControl(c)) {
      if (this.reportBuffer.length < REPORT_MAX) this.reportBuffer += String.fromCharCode(c);
    } else {
      this.finishGathering(true);
    }
  }
}

function track(text: string): Tracked {
  return { text, matcher: new LiteralMatcher(latin1Bytes(text)) };
}

/** A control byte ends a REPORT line. */
export function isControl(c: number): boolean {
  return c < 0x20 || c === 0x7f;
}
