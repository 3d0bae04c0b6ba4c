/**
 * Tokens of the Dial-Up Scripting Command Language (SCRIPT.TXT, 1995): words,
 * `$` system variables, decimal integers, double-quoted strings, operators.
 * `;` starts a comment to the end of the line. Newlines are whitespace (the
 * parser is free-form) but each token records whether it starts a line, so
 * optional arguments stay on their command's line and recovery after an
 * error resumes at the next line.
 */

export type TokenKind = 'word' | 'system' | 'integer' | 'string' | 'op' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** The word in lower case (keywords and names are case-insensitive), the operator, or the string's raw text. */
  readonly text: string;
  /** The word as written, for messages. */
  readonly written: string;
  readonly value?: number;
  readonly line: number;
  readonly column: number;
  /** The first token on its line. */
  readonly startsLine: boolean;
}

export interface ScpSyntaxError {
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/** Reserved words (SCRIPT.TXT §9.0, with `else`): no variable, label or procedure may take them. */
export const SCP_RESERVED = new Set([
  'and',
  'boolean',
  'databits',
  'delay',
  'do',
  'else',
  'endif',
  'endproc',
  'endwhile',
  'even',
  'false',
  'getip',
  'goto',
  'halt',
  'if',
  'integer',
  'ipaddr',
  'keyboard',
  'mark',
  'matchcase',
  'none',
  'odd',
  'off',
  'on',
  'or',
  'parity',
  'port',
  'proc',
  'raw',
  'screen',
  'set',
  'space',
  'stopbits',
  'string',
  'then',
  'transmit',
  'true',
  'until',
  'waitfor',
  'while',
]);

/** Integers are 32-bit signed (DWORD-sized, as the scripting engine's). */
export const SCP_INT_MAX = 0x7fff_ffff;

const TWO_CHAR_OPS = new Set(['<=', '>=', '==', '!=']);
const ONE_CHAR_OPS = new Set(['+', '-', '*', '/', '!', '<', '>', '=', ',', ':', '(', ')']);

const isWordStart = (c: string) => /[A-Za-z_]/.test(c);
const isWordPart = (c: string) => /[A-Za-z0-9_]/.test(c);
const isDigit = (c: string) => c >= '0' && c <= '9';

/**
 * Splits `source` into tokens; problems (a stray character, an unterminated
 * string, an integer out of range) become errors and lexing goes on.
 * Columns count characters from 1; a tab is one column.
 */
export function lexScp(source: string): { tokens: Token[]; errors: ScpSyntaxError[] } {
  const tokens: Token[] = [];
  const errors: ScpSyntaxError[] = [];
  let line = 1;
  let lineStart = 0;
  let lastLine = 0;
  let i = 0;
  const push = (kind: TokenKind, text: string, written: string, at: number, value?: number) => {
    const column = at - lineStart + 1;
    tokens.push({ kind, text, written, value, line, column, startsLine: line !== lastLine });
    lastLine = line;
  };
  while (i < source.length) {
    const c = source[i] as string;
    if (c === '\n') {
      line++;
      i++;
      lineStart = i;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
      i++;
      continue;
    }
    if (c === ';') {
      while (i < source.length && source[i] !== '\n') i++;
      continue;
    }
    const start = i;
    if (isWordStart(c) || (c === '$' && isWordStart(source[i + 1] ?? ''))) {
      i++;
      while (i < source.length && isWordPart(source[i] as string)) i++;
      const written = source.slice(start, i);
      push(c === '$' ? 'system' : 'word', written.toLowerCase(), written, start);
      continue;
    }
    if (isDigit(c)) {
      while (i < source.length && isDigit(source[i] as string)) i++;
      const written = source.slice(start, i);
      const value = Number(written);
      if (value > SCP_INT_MAX) {
        errors.push({
          line,
          column: start - lineStart + 1,
          message: `integer ${written} is out of range (at most ${SCP_INT_MAX})`,
        });
      }
      push('integer', written, written, start, Math.min(value, SCP_INT_MAX));
      continue;
    }
    if (c === '"') {
      // The raw text is kept: transmit and waitfor translate ^X, <cr>, <lf> and
      // \X when they run, and `transmit …, raw` must see the text untranslated.
      // Here a backslash only keeps the next character from ending the string.
      i++;
      let closed = false;
      while (i < source.length) {
        const d = source[i] as string;
        if (d === '\n') break;
        if (d === '\\' && i + 1 < source.length && source[i + 1] !== '\n') {
          i += 2;
          continue;
        }
        if (d === '"') {
          closed = true;
          break;
        }
        i++;
      }
      const text = source.slice(start + 1, i).replace(/\r$/, '');
      if (!closed) {
        errors.push({
          line,
          column: start - lineStart + 1,
          message: 'unterminated string (a string ends on its line)',
        });
      } else i++;
      push('string', text, source.slice(start, i), start);
      continue;
    }
    const two = source.slice(i, i + 2);
    if (TWO_CHAR_OPS.has(two)) {
      i += 2;
      push('op', two, two, start);
      continue;
    }
    if (ONE_CHAR_OPS.has(c)) {
      i++;
      push('op', c, c, start);
      continue;
    }
    errors.push({
      line,
      column: start - lineStart + 1,
      message: `unexpected character ${JSON.stringify(c)}`,
    });
    i++;
  }
  tokens.push({
    kind: 'eof',
    text: '',
    written: 'end of file',
    line,
    column: i - lineStart + 1,
    startsLine: true,
  });
  return { tokens, errors };
}
