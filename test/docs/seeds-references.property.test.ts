// Properties of the reference matcher behind seeds-references.test.ts: a
// reference written from a real title path always matches it, however it is
// abbreviated, and a reference carrying text no title has never does. The
// titles come from a small alphabet so that near-misses are common.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pathMatches, readTitles, type TitlePath } from './seeds-references.js';

const word = fc.string({
  unit: fc.constantFrom('a', 'b', ' ', '(', ')', '’', '.'),
  minLength: 1,
  maxLength: 8,
});
const titlePath = fc
  .array(word, { minLength: 1, maxLength: 4 })
  .map((texts): TitlePath => texts.map((text) => ({ text, dynamic: false })));

/** A contiguous slice of the path, joined, optionally cut short with `…` at either end. */
const abbreviation = (path: TitlePath) =>
  fc
    .record({
      start: fc.nat({ max: path.length - 1 }),
      length: fc.nat({ max: path.length - 1 }),
      keepFrom: fc.nat(),
      keepTo: fc.nat(),
      cutStart: fc.boolean(),
      cutEnd: fc.boolean(),
    })
    .map(({ start, length, keepFrom, keepTo, cutStart, cutEnd }) => {
      const slice = path.slice(start, Math.min(path.length, start + length + 1));
      const joined = slice.map((title) => title.text).join(' › ');
      const from = cutStart ? keepFrom % joined.length : 0;
      const to = cutEnd ? Math.max(from, joined.length - (keepTo % joined.length)) : joined.length;
      return `${from > 0 ? '…' : ''}${joined.slice(from, to)}${to < joined.length ? '…' : ''}`;
    });

describe('pathMatches (property)', () => {
  it('matches every abbreviation of a slice of the title path', () => {
    fc.assert(
      fc.property(
        titlePath.chain((path) => fc.tuple(fc.constant(path), abbreviation(path))),
        ([path, reference]) => pathMatches(path, reference) === 'exactly',
      ),
    );
  });

  it('never matches a reference with a character no title holds, put in or put instead', () => {
    fc.assert(
      fc.property(titlePath, fc.nat(), fc.boolean(), (path, at, replace) => {
        const joined = path.map((title) => title.text).join(' › ');
        const cut = at % joined.length;
        // Same length when replacing: a matcher that only compared lengths would pass.
        const reference = `${joined.slice(0, cut)}x${joined.slice(replace ? cut + 1 : cut)}`;
        return pathMatches(path, reference) === false;
      }),
    );
  });

  it('reads the same titles from the source whatever the quoting and the modifiers', () => {
    fc.assert(
      fc.property(
        word,
        word,
        fc.constantFrom('it', 'test', 'it.skip', 'it.only', 'it.skipIf(true)', 'test.concurrent'),
        fc.constantFrom("'", '"', '`'),
        (outer, inner, call, quote) => {
          const literal = (text: string) =>
            `${quote}${text.replace(/\\/g, '\\\\').split(quote).join(`\\${quote}`)}${quote}`;
          const source = `describe(${literal(outer)}, () => { ${call}(${literal(inner)}, () => {}); });`;
          const texts = readTitles('drawn.test.ts', source).map((path) => path.map((t) => t.text));
          expect(texts).toEqual([[outer], [outer, inner]]);
        },
      ),
    );
  });
});
