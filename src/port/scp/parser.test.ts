import { describe, expect, it } from 'vitest';
import { parseScp } from './parser.js';
import { translateScp } from './strings.js';

const errorsOf = (source: string) => {
  const result = parseScp(source);
  expect(result.ok).toBe(false);
  return result.errors.map((e) => `${e.line}:${e.column}: ${e.message}`);
};

const LOGIN = `; a classic ISP login
proc main
  integer tries = 0
  string prompt = "ogin:"
  boolean done = FALSE
  while !done and tries < 3 do
    waitfor prompt, matchcase then user, "BUSY" then busy until 5
    tries = tries + 1
    goto next
  user:
    transmit $USERID + "^M"
    waitfor "ssword:"
    transmit $PASSWORD, raw
    transmit "<cr>"
    done = TRUE
  next:
  endwhile
  if $FAILURE then
    halt
  else
    set port databits 8
    set port parity none
    set port stopbits 1
    set screen keyboard off
    set ipaddr getip 2
    delay 2 * (1 + 1)
  endif
  goto out
busy:
  halt
out:
  report
endproc

proc report
  string s = "done"
  s = getip
endproc
`;

describe('parseScp: a valid script', () => {
  it('parses every command, typed declarations and both waitfor forms', () => {
    const result = parseScp(LOGIN);
    expect(result.errors).toEqual([]);
    expect(result.ok).toBe(true);
    const main = result.program?.main;
    expect(main?.declarations.map((d) => `${d.type} ${d.name}`)).toEqual([
      'integer tries',
      'string prompt',
      'boolean done',
    ]);
    expect([...(result.program?.procs.keys() ?? [])]).toEqual(['main', 'report']);
    const loop = main?.body[0];
    expect(loop?.kind).toBe('while');
    const wait = loop?.kind === 'while' ? loop.body[0] : undefined;
    expect(wait).toMatchObject({
      kind: 'waitfor',
      branches: [
        { matchcase: true, label: 'user' },
        { matchcase: false, label: 'busy' },
      ],
      until: { kind: 'literal', value: 5 },
    });
  });

  it('keywords, names and system variables are case-insensitive', () => {
    const result = parseScp(
      'PROC Main\nInteger X = 1\nTRANSMIT $userid\nx = X + 1\nWaitFor "a" UNTIL x\nENDPROC\n',
    );
    expect(result.errors).toEqual([]);
  });

  it('operator precedence: * before +, comparisons before and, and before or', () => {
    const result = parseScp('proc main\nboolean b = 1 + 2 * 3 == 7 and TRUE or FALSE\nendproc');
    expect(result.ok).toBe(true);
    const init = result.program?.main.declarations[0]?.init;
    expect(init).toMatchObject({
      op: 'or',
      left: { op: 'and', left: { op: '==', left: { op: '+', right: { op: '*' } } } },
    });
  });
});

describe('parseScp: errors by line and column', () => {
  it('an unterminated string', () => {
    expect(errorsOf('proc main\n  transmit "abc\nendproc\n')).toEqual([
      '2:12: unterminated string (a string ends on its line)',
    ]);
  });

  it('an unknown command, then carries on to the next line', () => {
    expect(errorsOf('proc main\n  send "x"\n  transmit 5\nendproc\n')).toEqual([
      '2:3: unknown command send',
      '3:12: transmit needs a string, not an integer',
    ]);
  });

  it('type errors, undeclared variables, read-only system variables', () => {
    expect(
      errorsOf(
        'proc main\n  integer n = "x"\n  transmit 5\n  m = 1\n  $SUCCESS = TRUE\n  waitfor "a" until "b"\nendproc',
      ),
    ).toEqual([
      '2:15: the initial value of n needs an integer, not a string',
      '3:12: transmit needs a string, not an integer',
      '4:3: variable m is not declared',
      '5:3: $SUCCESS is read-only',
      '6:21: until needs an integer, not a string',
    ]);
  });

  it('labels, gotos, procedures and main', () => {
    expect(errorsOf('proc other\n  goto nowhere\n  x:\n  x:\n  missing\nendproc\n')).toEqual([
      '2:8: no label nowhere in procedure other',
      '4:3: label x is defined twice',
      '5:3: no procedure named missing',
      '7:1: a script must have a main procedure (proc main … endproc)',
    ]);
  });

  it('declarations after commands, reserved words as names, a missing endproc', () => {
    expect(errorsOf('proc main\n  delay 1\n  integer x\n  integer while\n')).toEqual([
      '3:3: declarations must come before the commands of a procedure',
      '4:3: declarations must come before the commands of a procedure',
      '5:1: procedure main is not closed (expected endproc)',
      '5:1: a script must have a main procedure (proc main … endproc)',
    ]);
    expect(errorsOf('proc main\n  integer while\nendproc')).toEqual([
      '2:11: while is a reserved word and cannot name a variable',
    ]);
  });

  it('waitfor: a second string needs then; set port values out of range', () => {
    expect(
      errorsOf(
        'proc main\n  waitfor "a" then l, "b"\nl:\n  set port databits 9\n  set port parity weird\n  set port baud 9600\nendproc',
      ),
    ).toEqual([
      "2:23: waitfor's string 2 needs then LABEL, as the first has",
      '4:21: set port databits takes 5, 6, 7, 8, not 9',
      '5:19: expected none, odd, even, mark or space after set port parity, found "weird"',
      '6:12: expected databits, parity or stopbits after set port, found "baud"',
    ]);
  });

  it('a stray character, an out-of-range integer, stray block ends', () => {
    expect(errorsOf('proc main\n  delay 99999999999 #\n  endif\nendproc')).toEqual([
      '2:9: integer 99999999999 is out of range (at most 2147483647)',
      '2:21: unexpected character "#"',
      '3:3: endif does not belong here (expected endproc)',
    ]);
  });

  it('deep nesting is an error, not a stack overflow', () => {
    const deep = `proc main\ninteger x = ${'('.repeat(5000)}1${')'.repeat(5000)}\nendproc`;
    expect(errorsOf(deep)[0]).toMatch(/^2:\d+: blocks nested deeper than 64$/);
  });
});

describe('translateScp: the string escapes of SCRIPT.TXT', () => {
  it.each([
    ['^M', '\r'],
    ['^m', '\r'],
    ['^@^[^_', '\x00\x1b\x1f'],
    ['^1', '^1'],
    ['end^', 'end^'],
    ['a<cr><lf>b<CR>', 'a\r\nb\r'],
    ['<cx>', '<cx>'],
    ['\\^M \\<cr> \\" \\\\', '^M <cr> " \\'],
    ['tail\\', 'tail\\'],
  ])('%j → %j', (input, output) => {
    expect(translateScp(input)).toBe(output);
  });
});
