import { MultiMatcher } from './matcher.js';
import { latin1Bytes, latin1Text } from './latin1.js';
import type { Port } from './port.js';
import { NetrxError } from '../runtime/index.js';
import { rasError } from './ras-errors.js';
import type { AbortSignalLike } from '../runtime/index.js';

/** A literal (a latin1 string or bytes) or a regular expression over the latin1 text. */
export type ExpectPattern = string | Uint8Array | RegExp;

export interface ExpectOptions {
  /** Milliseconds for the whole wait; absent waits until a match or the line goes away. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignalLike;
  /**
   * How many of the latest bytes are kept for regular expressions and for
   * `before` (older ones are forgotten and counted in `forgotten`). Literals
   * need no window at all. Default 2048 (Tcl expect's `match_max` is 2000).
   */
  readonly maxWindow?: number;
  /**
   * Regular expressions see only complete lines: the window up to its last
   * `\n` or `\r`. A match then cannot depend on how the bytes were chunked
   * (`/speed (\d+)/` gives `115200` whether `speed 115200\r\n` came in one
   * read or as `speed 11` + `5200\r\n`), provided the pattern does not match
   * across a line end and has no `$` without the `m` flag. Literals are not
   * affected. Default false: pexpect's behaviour, a regex is tried on
   * whatever has arrived, so a pattern ending in a greedy quantifier may
   * match a prefix of what it would match on the whole line.
   */
  readonly lineComplete?: boolean;
}

export interface ExpectMatch {
  /** Which pattern matched, as an index into the list given. */
  readonly index: number;
  /** The matched text (latin1). */
  readonly match: string;
  /** What came before the match in this expect, within the window (latin1). */
  readonly before: string;
  /** Regex capture groups (empty for literals). */
  readonly groups: readonly (string | undefined)[];
  /** Bytes that fell out of the window while waiting. */
  readonly forgotten: number;
}

/**
 * Waits for the first pattern to appear in the port's input. Literals are
 * matched incrementally (first in the stream wins; ties go to the first
 * listed); a regular expression is tried on the window after each chunk, and
 * wins over a literal when its match ends first. Bytes after the match stay
 * in the port for the next read. Rejects like `Port.receive` (638 on timeout,
 * the disconnect cause, …).
 */
export async function expectOn(
  port: Port,
  patterns: readonly ExpectPattern[],
  options: ExpectOptions = {},
): Promise<ExpectMatch> {
  if (patterns.length === 0) throw new TypeError('expect needs at least one pattern');
  const maxWindow = options.maxWindow ?? 2048;
  if (!Number.isInteger(maxWindow) || maxWindow < 1) {
    throw new RangeError(`maxWindow must be a positive integer: got ${maxWindow}`);
  }
  const literalIndex: number[] = [];
  const literals: Uint8Array[] = [];
  const regexes: { index: number; regex: RegExp }[] = [];
  patterns.forEach((pattern, index) => {
    if (pattern instanceof RegExp) {
      // Sticky and global flags would make exec() stateful across chunks.
      regexes.push({
        index,
        regex: new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, '')),
      });
    } else {
      const bytes = typeof pattern === 'string' ? latin1Bytes(pattern) : pattern;
      if (bytes.length === 0) throw new TypeError('expect patterns must not be empty');
      literalIndex.push(index);
      literals.push(bytes);
    }
  });
  const matcher = new MultiMatcher(literals);
  const deadline = options.timeoutMs === undefined ? Infinity : nowOf(port) + options.timeoutMs;
  let window = '';
  let forgotten = 0;
  for (;;) {
    // Past the deadline a receive still polls (timeout 0): bytes already queued
    // are matched, and only an empty queue ends the wait with 638.
    const left = Math.max(0, deadline - nowOf(port));
    let chunk: Uint8Array;
    try {
      chunk = await port.receive({
        timeoutMs: deadline === Infinity ? undefined : left,
        signal: options.signal,
      });
    } catch (error) {
      if (error instanceof NetrxError && error.code === 'ERROR_REQUEST_TIMEOUT') {
        throw rasError('ERROR_REQUEST_TIMEOUT', `No match on ${port.name} before the timeout`);
      }
      throw error;
    }
    const hit = literals.length > 0 ? matcher.feed(chunk) : undefined;
    const examined = hit === undefined ? chunk : chunk.subarray(0, hit.end);
    const windowStart = window.length;
    window += latin1Text(examined);
    let best:
      { index: number; start: number; end: number; groups: (string | undefined)[] } | undefined;
    if (hit !== undefined) {
      const pattern = literals[hit.index] as Uint8Array;
      best = {
        index: literalIndex[hit.index] as number,
        start: Math.max(0, window.length - pattern.length),
        end: window.length,
        groups: [],
      };
    }
    const lineEnd = Math.max(window.lastIndexOf('\n'), window.lastIndexOf('\r')) + 1;
    const text = options.lineComplete === true ? window.slice(0, lineEnd) : window;
    for (const { index, regex } of regexes) {
      const found = options.lineComplete === true && text === '' ? null : regex.exec(text);
      if (found === null) continue;
      const end = found.index + found[0].length;
      if (best === undefined || end < best.end || (end === best.end && index < best.index)) {
        best = { index, start: found.index, end, groups: found.slice(1) };
      }
    }
    if (best !== undefined) {
      const consumed = best.end - windowStart;
      if (consumed >= 0) port.unread(chunk.subarray(consumed));
      else {
        // lineComplete: the match ended in an earlier chunk's bytes; what followed it
        // is put back too (a deliberate copy, rare: a line end arrived after it).
        const earlier = latin1Bytes(window.slice(best.end, windowStart));
        const rest = chunk;
        const back = new Uint8Array(earlier.length + rest.length);
        back.set(earlier);
        back.set(rest, earlier.length);
        port.unread(back);
      }
      return {
        index: best.index,
        match: window.slice(best.start, best.end),
        before: window.slice(0, best.start),
        groups: best.groups,
        forgotten,
      };
    }
    if (window.length > maxWindow) {
      forgotten += window.length - maxWindow;
      window = window.slice(window.length - maxWindow);
    }
  }
}

function nowOf(port: Port): number {
  return port.clockNow();
}
