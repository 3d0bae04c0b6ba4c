import { describe, expect, it } from 'vitest';
import { atoi, cleanChatString, echoCharacter, visible, type EscapeContext } from './escapes.js';
import { checkChatScript, parseChatArgs, parseChatFile, subExpects } from './script.js';

const plain: EscapeContext = {
  useEnv: false,
  env: () => undefined,
  phone: undefined,
  phone2: undefined,
};
const send = (s: string, context = plain) => cleanChatString(s, true, context).text;
const expectText = (s: string, context = plain) => cleanChatString(s, false, context).text;

describe('chat escapes (clean)', () => {
  it.each([
    ['\\b', '\b', '\b\r'],
    ['\\r', '\r', '\r\r'],
    ['\\n', '\n', '\n\r'],
    ['\\t', '\t', '\t\r'],
    ['\\s', ' ', ' \r'],
    ['\\\\', '\\', '\\\\\r'],
    ['\\101', 'A', 'A\r'],
    ['\\7', '\x07', '\x07\r'],
    ['\\000', '', '\\\0\r'],
    ['\\134', '\\', '\\\\\r'],
    ['^C', '\x03', '\x03\r'],
    ['^@', '', '\r'],
    ['x^', 'x^', 'x^\r'],
    ['\\c', 'c', ''],
    ['a\\cb', 'acb', 'acb\r'],
    ['\\d', 'd', '\\d\r'],
    ['\\p', 'p', '\\p\r'],
    ['\\K', 'K', '\\K\r'],
    ['\\N', 'N', '\\\0\r'],
    ['\\q', '', '\r'],
    ['\\T', '\\T', '\\T\r'],
    ['\\x', 'x', '\\x\r'],
    ['x\\', 'x', 'x\\\\\r'],
    ['$HOME', '$HOME', '$HOME\r'],
  ])('%j → expect %j, send %j', (input, asExpect, asSend) => {
    expect(expectText(input)).toBe(asExpect);
    expect(send(input)).toBe(asSend);
  });

  it('\\q marks a send quiet', () => {
    expect(cleanChatString('\\qpw', true, plain)).toEqual({ text: 'pw\r', quiet: true });
  });

  it('-T/-U substitute only in sends; -E substitutes $NAME (nothing when unset) and \\$ is a dollar', () => {
    const context: EscapeContext = {
      useEnv: true,
      env: (name) => ({ USER: 'bob', EMPTY: '' })[name],
      phone: '555',
      phone2: '666',
    };
    expect(send('ATDT\\T,\\U', context)).toBe('ATDT555,666\r');
    expect(expectText('\\T', context)).toBe('\\T');
    expect(send('$USER:$NOPE:\\$:$', context)).toBe('bob::$:\r');
  });

  it('visible() writes control bytes as ^X, 8-bit bytes with M-, and keeps tabs', () => {
    expect(visible('a\r\n\t\x7f\xc1\x81')).toBe('a^M^J\t^?M-AM-^A');
    expect(echoCharacter(0x0d)).toBe('^M');
    expect(echoCharacter(0x7f)).toBe('^?');
  });

  it('atoi reads like C', () => {
    expect([atoi('12x'), atoi(' -3'), atoi('x'), atoi('')]).toEqual([12, -3, 0, 0]);
  });
});

describe('chat scripts (parse)', () => {
  it('reads quotes, comments and whitespace like do_file', () => {
    const script = parseChatFile("# comment\nABORT 'NO CARRIER'\t\"a b\"c  d\n'it''s'\n");
    expect(script.tokens.map((t) => t.text)).toEqual([
      'ABORT',
      'NO CARRIER',
      'a b',
      'c',
      'd',
      'it',
      's',
    ]);
    expect(script.tokens[1]).toMatchObject({ line: 2, column: 7 });
    expect(script.syntaxError).toBeUndefined();
  });

  it('keeps a backslash-protected quote inside a quoted token', () => {
    expect(parseChatFile("'it\\'s' x").tokens.map((t) => t.text)).toEqual(["it\\'s", 'x']);
  });

  it("reports an unterminated quote with chat's message, its line and column, keeping the tokens before", () => {
    const script = parseChatFile("'' hello\n  ok 'oops\n");
    expect(script.tokens.map((t) => t.text)).toEqual(['', 'hello', 'ok']);
    expect(script.syntaxError).toEqual({
      code: 'ERR_CHAT_UNTERMINATED_QUOTE',
      message: 'unterminated quote (line 2)',
      line: 2,
      column: 6,
    });
  });

  it('cuts lines at 1023 bytes like fgets', () => {
    const script = parseChatFile(`${'a'.repeat(1030)}\n`);
    expect(script.tokens.map((t) => t.text.length)).toEqual([1023, 7]);
    expect(script.tokens[1]?.line).toBe(2);
  });

  it('argv words are tokens as they are', () => {
    expect(parseChatArgs(["'x'", 'a b']).tokens.map((t) => [t.text, t.argument])).toEqual([
      ["'x'", 1],
      ['a b', 2],
    ]);
  });

  it('splits sub-expects at unescaped dashes', () => {
    const parts = (s: string) => [...subExpects(s)].map((p) => p.text);
    expect(parts('ogin:--ogin:')).toEqual(['ogin:', '', 'ogin:']);
    expect(parts('ogin:-BREAK-ogin:')).toEqual(['ogin:', 'BREAK', 'ogin:']);
    expect(parts('a\\-b')).toEqual(['a\\-b']);
    expect(parts('ogin:-')).toEqual(['ogin:']);
    expect(parts('')).toEqual([]);
  });

  it('checkChatScript finds every problem with where it is, before running', () => {
    const abort51 = Array.from({ length: 51 }, (_, i) => `ABORT s${i}`).join('\n');
    const problems = checkChatScript(
      parseChatFile(
        `${abort51}\nABORT ${'y'.repeat(50)}\nREPORT ${'z'.repeat(60)}\n${'e'.repeat(1030)}\nx 'open\n`,
      ),
      plain,
    );
    expect(problems.map((p) => [p.code, p.line, p.exitCode])).toEqual([
      ['ERR_CHAT_TOO_MANY_ABORTS', 51, 2],
      ['ERR_CHAT_TOO_MANY_ABORTS', 52, 2],
      ['ERR_CHAT_ABORT_TOO_LONG', 52, 1],
      ['ERR_CHAT_REPORT_TOO_LONG', 53, 1],
      ['ERR_CHAT_UNTERMINATED_QUOTE', 56, 1],
    ]);
    expect(checkChatScript(parseChatArgs(['ok', '', 'TIMEOUT']), plain)).toMatchObject([
      { code: 'ERR_CHAT_KEYWORD_WITHOUT_ARGUMENT', argument: 3, exitCode: 'ignored' },
    ]);
    expect(checkChatScript(parseChatArgs(['x'.repeat(1025)]), plain)[0]?.code).toBe(
      'ERR_CHAT_EXPECT_TOO_LONG',
    );
  });
});
