import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseScp, SCP_LIMITS } from './parser.js';

/** Words and symbols of the language, so random scripts get past the lexer and deep into the parser. */
const PIECES = [
  'proc',
  'main',
  'endproc',
  'integer',
  'string',
  'boolean',
  'x',
  'y',
  'l',
  'l:',
  '=',
  '==',
  '!=',
  '<',
  '>=',
  '+',
  '-',
  '*',
  '/',
  '!',
  '(',
  ')',
  ',',
  'and',
  'or',
  'TRUE',
  'FALSE',
  '1',
  '0',
  '42',
  '"ogin:"',
  '"^M<cr>\\""',
  '"open',
  '$USERID',
  '$PASSWORD',
  '$SUCCESS',
  '$FAILURE',
  '$NOPE',
  'transmit',
  'raw',
  'waitfor',
  'matchcase',
  'then',
  'until',
  'delay',
  'getip',
  'goto',
  'halt',
  'set',
  'port',
  'databits',
  'parity',
  'stopbits',
  'none',
  'even',
  'ipaddr',
  'screen',
  'keyboard',
  'on',
  'off',
  'if',
  'else',
  'endif',
  'while',
  'do',
  'endwhile',
  '\n',
  '\n',
  ';c\n',
  '#',
  '\t',
];

describe('parseScp (property)', () => {
  it('never throws: any input gives a program or errors with a line and column inside the source', () => {
    const soup = fc
      .array(fc.constantFrom(...PIECES), { maxLength: 120 })
      .map((pieces) => pieces.join(' '));
    fc.assert(
      fc.property(
        fc.oneof(
          soup,
          fc.string({ maxLength: 300 }),
          fc.string({ unit: 'binary', maxLength: 100 }),
        ),
        (source) => {
          const result = parseScp(source);
          const lines = source.split('\n').length;
          if (result.ok) {
            expect(result.errors).toEqual([]);
            expect(result.program.main.name).toBe('main');
          } else {
            expect(result.errors.length).toBeGreaterThan(0);
            expect(result.errors.length).toBeLessThanOrEqual(SCP_LIMITS.errors);
            for (const error of result.errors) {
              expect(error.line).toBeGreaterThanOrEqual(1);
              expect(error.line).toBeLessThanOrEqual(lines);
              expect(error.column).toBeGreaterThanOrEqual(1);
              expect(error.message.length).toBeGreaterThan(0);
            }
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('a valid script with random statements inserted still parses, or reports where it broke', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...PIECES), { maxLength: 30 }), (pieces) => {
        const source = `proc main\ninteger x\n${pieces.join(' ')}\nendproc\n`;
        const result = parseScp(source);
        const lines = source.split('\n').length;
        if (pieces.every((piece) => !/^(proc|endproc|\n|;c\n|"open)$/.test(piece))) {
          // No structure or newlines inserted: every problem is on the inserted
          // line, or at the endproc after it (an unclosed if, a missing argument).
          for (const error of result.errors) expect([3, 4]).toContain(error.line);
        }
        for (const error of result.errors) expect(error.line).toBeLessThanOrEqual(lines);
      }),
      { numRuns: 1000 },
    );
  });
});
