import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AnsiStripper } from './ansi.js';

const strip = (text: string, stripper = new AnsiStripper()) =>
  [...text]
    .map((c) => stripper.step(c.charCodeAt(0)))
    .filter((b) => b >= 0)
    .map((b) => String.fromCharCode(b))
    .join('');

describe('AnsiStripper', () => {
  it.each([
    ['\x1b[?2004h42\r\n\x1b[?2004l', '42\r\n'],
    ['\x1b[1;31mlogin:\x1b[0m ', 'login: '],
    ['\x1b]0;title\x07$ ', '$ '],
    ['\x1b]2;t\x1b\\> ', '> '],
    ['\x1bcreset', 'reset'],
    ['\x9b2Jclear', 'clear'],
    ['plain text', 'plain text'],
    // Found by the chat --strip-ansi chunking property: ESC ( B (tput sgr0) left the B behind.
    ['\x1b(B\x1b[mlogin:', 'login:'],
    ['\x1b$)Ax', 'x'],
  ])('%j → %j', (input, output) => {
    expect(strip(input)).toBe(output);
  });

  it('abandons a sequence that never ends after MAX_SEQUENCE bytes', () => {
    const long = '\x1b[' + '1'.repeat(AnsiStripper.MAX_SEQUENCE + 10) + 'ok';
    // ESC [ and MAX_SEQUENCE bytes of it are dropped; the rest is text again.
    expect(strip(long)).toBe('1'.repeat(10) + 'ok');
  });

  it('(property) the same result under any chunking: state carries across chunks', () => {
    const piece = fc.constantFrom(
      'a',
      'b',
      '\r',
      '\n',
      '\x1b[',
      '0',
      ';',
      'm',
      '\x1b]',
      '\x07',
      '\x1b',
      '\\',
      '?',
      'h',
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 60 }),
        fc.integer({ min: 1, max: 7 }),
        (pieces, size) => {
          const text = pieces.join('');
          const whole = strip(text);
          const stripper = new AnsiStripper();
          let chunked = '';
          for (let i = 0; i < text.length; i += size)
            chunked += strip(text.slice(i, i + size), stripper);
          expect(chunked).toBe(whole);
          expect(whole.length).toBeLessThanOrEqual(text.length);
        },
      ),
    );
  });
});
