import { cleanChatString, visible, type EscapeContext } from './escapes.js';

/** One token of a chat script, as chat reads it (quotes removed, escapes kept). */
export interface ChatToken {
  /** The raw text, one byte per char code. */
  readonly text: string;
  /** 1-based line and column in the file (the opening quote for a quoted token); 0 for argv. */
  readonly line: number;
  readonly column: number;
  /** 1-based position among the script's argv words; 0 in a file. */
  readonly argument: number;
}

/** A script chat cannot read: where, what, and the exit code chat gives (1). */
export interface ChatSyntaxError {
  readonly code: 'ERR_CHAT_UNTERMINATED_QUOTE';
  /** chat's own message, as it logs it. */
  readonly message: string;
  readonly line: number;
  readonly column: number;
}

/**
 * A parsed script: its tokens in order, alternating expect and send, and the
 * syntax error where reading stopped, if any. As in chat, tokens before the
 * error still run (chat executes each line as it reads it), then the error
 * ends the script with exit code 1.
 */
export interface ChatScript {
  readonly tokens: readonly ChatToken[];
  readonly syntaxError: ChatSyntaxError | undefined;
  /** Where the script came from, for messages: a file name, or `argv`. */
  readonly source: string;
}

/** chat reads script files with `fgets` into 1024 bytes: longer lines are cut into pieces. */
const LINE_MAX = 1023;

/**
 * Reads a script file the way chat's `do_file` does: lines (cut every 1023
 * bytes, NUL ends a line), `#` in column 1 is a comment, tokens are separated
 * by spaces and tabs, a token starting with `'` or `"` runs to the same quote
 * (a backslash protects the next byte) and ends there.
 */
export function parseChatFile(content: string, source = 'script'): ChatScript {
  const tokens: ChatToken[] = [];
  let lineNumber = 0;
  let at = 0;
  while (at < content.length) {
    let end = content.indexOf('\n', at);
    end = end < 0 || end - at >= LINE_MAX ? Math.min(content.length, at + LINE_MAX) : end + 1;
    let line = content.slice(at, end);
    at = end;
    lineNumber++;
    if (line.endsWith('\n')) line = line.slice(0, -1);
    const nul = line.indexOf('\0');
    if (nul >= 0) line = line.slice(0, nul);
    if (line.startsWith('#')) continue;
    let i = 0;
    while (i < line.length) {
      const c = line[i] as string;
      if (c === ' ' || c === '\t') {
        i++;
        continue;
      }
      const column = i + 1;
      if (c === '"' || c === "'") {
        const start = ++i;
        while (line[i] !== c) {
          if (i >= line.length) {
            return {
              tokens,
              source,
              syntaxError: {
                code: 'ERR_CHAT_UNTERMINATED_QUOTE',
                message: `unterminated quote (line ${lineNumber})`,
                line: lineNumber,
                column,
              },
            };
          }
          if (line[i++] === '\\' && i < line.length) i++;
        }
        tokens.push({ text: line.slice(start, i), line: lineNumber, column, argument: 0 });
        i++; // past the closing quote
      } else {
        const start = i;
        while (i < line.length && line[i] !== ' ' && line[i] !== '\t') i++;
        tokens.push({ text: line.slice(start, i), line: lineNumber, column, argument: 0 });
        i++;
      }
    }
  }
  return { tokens, source, syntaxError: undefined };
}

/** A script given as arguments: each word is one token, with no quote processing. */
export function parseChatArgs(words: readonly string[]): ChatScript {
  return {
    tokens: words.map((text, index) => ({ text, line: 0, column: 0, argument: index + 1 })),
    source: 'argv',
    syntaxError: undefined,
  };
}

export const CHAT_KEYWORDS = [
  'HANGUP',
  'ABORT',
  'CLR_ABORT',
  'REPORT',
  'CLR_REPORT',
  'TIMEOUT',
  'ECHO',
  'SAY',
] as const;
export type ChatKeyword = (typeof CHAT_KEYWORDS)[number];

export function keywordOf(text: string): ChatKeyword | undefined {
  return (CHAT_KEYWORDS as readonly string[]).includes(text) ? (text as ChatKeyword) : undefined;
}

/** chat's limits: 50 ABORT and 50 REPORT strings, each shorter than 50 bytes; expects up to 1024. */
export const CHAT_LIMITS = {
  maxAborts: 50,
  maxReports: 50,
  maxAbortLength: 49,
  maxExpectLength: 1024,
  window: 1024,
} as const;

export interface ChatProblem {
  readonly code:
    | 'ERR_CHAT_UNTERMINATED_QUOTE'
    | 'ERR_CHAT_ABORT_TOO_LONG'
    | 'ERR_CHAT_TOO_MANY_ABORTS'
    | 'ERR_CHAT_REPORT_TOO_LONG'
    | 'ERR_CHAT_TOO_MANY_REPORTS'
    | 'ERR_CHAT_EXPECT_TOO_LONG'
    | 'ERR_CHAT_KEYWORD_WITHOUT_ARGUMENT';
  /** What chat does about it: the exit code it ends with, or `ignored`. */
  readonly exitCode: 1 | 2 | 'ignored';
  readonly message: string;
  readonly line: number;
  readonly column: number;
  readonly argument: number;
}

/**
 * Finds, before running, every problem chat would stop at (or silently skip)
 * and says where it is. chat itself only finds them when it reaches them,
 * after running what came before; the runner keeps that behaviour.
 */
export function checkChatScript(script: ChatScript, context: EscapeContext): ChatProblem[] {
  const problems: ChatProblem[] = [];
  const tokens = script.tokens;
  let aborts = 0;
  let reports = 0;
  let pending: { keyword: ChatKeyword; token: ChatToken } | undefined;
  const at = (token: ChatToken) => ({
    line: token.line,
    column: token.column,
    argument: token.argument,
  });
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index] as ChatToken;
    const sending = index % 2 === 1;
    if (!sending) {
      const keyword = keywordOf(token.text);
      if (keyword !== undefined) {
        pending = { keyword, token };
        continue;
      }
      for (const part of subExpects(token.text)) {
        if (part.index % 2 !== 0) continue;
        const length = cleanChatString(part.text, false, context).text.length;
        if (length > CHAT_LIMITS.maxExpectLength) {
          problems.push({
            code: 'ERR_CHAT_EXPECT_TOO_LONG',
            exitCode: 1,
            message: `expect string of ${length} bytes: chat matches at most ${CHAT_LIMITS.maxExpectLength}`,
            ...at(token),
          });
        }
      }
      continue;
    }
    const keyword = pending?.keyword;
    pending = undefined;
    if (
      keyword === 'ABORT' ||
      keyword === 'CLR_ABORT' ||
      keyword === 'REPORT' ||
      keyword === 'CLR_REPORT'
    ) {
      const cleaned = cleanChatString(token.text, false, context).text;
      const isAbort = keyword === 'ABORT' || keyword === 'CLR_ABORT';
      if (keyword === 'ABORT' && ++aborts > CHAT_LIMITS.maxAborts) {
        problems.push({
          code: 'ERR_CHAT_TOO_MANY_ABORTS',
          exitCode: 2,
          message: `more than ${CHAT_LIMITS.maxAborts} ABORT strings`,
          ...at(token),
        });
      }
      if (keyword === 'REPORT' && ++reports > CHAT_LIMITS.maxReports) {
        problems.push({
          code: 'ERR_CHAT_TOO_MANY_REPORTS',
          exitCode: 2,
          message: `more than ${CHAT_LIMITS.maxReports} REPORT strings`,
          ...at(token),
        });
      }
      if (cleaned.length > token.text.length || cleaned.length > CHAT_LIMITS.maxAbortLength) {
        problems.push({
          code: isAbort ? 'ERR_CHAT_ABORT_TOO_LONG' : 'ERR_CHAT_REPORT_TOO_LONG',
          exitCode: 1,
          message: `${keyword} string ('${visible(token.text)}') is ${cleaned.length} bytes: at most ${CHAT_LIMITS.maxAbortLength}, and no longer than written`,
          ...at(token),
        });
      }
    }
  }
  if (pending !== undefined) {
    problems.push({
      code: 'ERR_CHAT_KEYWORD_WITHOUT_ARGUMENT',
      exitCode: 'ignored',
      message: `${pending.keyword} is the last word of the script: chat ignores it`,
      ...at(pending.token),
    });
  }
  if (script.syntaxError !== undefined) {
    const { message, line, column } = script.syntaxError;
    problems.push({
      code: 'ERR_CHAT_UNTERMINATED_QUOTE',
      exitCode: 1,
      message,
      line,
      column,
      argument: 0,
    });
  }
  return problems;
}

/**
 * Splits `exp-send-exp-…` at unescaped dashes (chat's `expect_strtok`): even
 * indexes are expects, odd ones the sends tried after a timeout. A trailing
 * dash adds nothing; `--` gives an empty send (a bare CR).
 */
export function* subExpects(
  text: string,
): Generator<{ readonly index: number; readonly text: string }> {
  let position = 0;
  let index = 0;
  while (position < text.length) {
    const start = position;
    let escaped = false;
    let piece: string | undefined;
    while (position < text.length) {
      const c = text[position] as string;
      if (escaped) {
        escaped = false;
        position++;
        continue;
      }
      if (c === '\\') {
        escaped = true;
        position++;
        continue;
      }
      if (c === '-') {
        piece = text.slice(start, position);
        position++;
        break;
      }
      position++;
    }
    yield { index: index++, text: piece ?? text.slice(start) };
  }
}
