// docs/seeds.md cannot rot: every `file › test name` it cites must name a
// file that exists and a test in it, and its row numbers must be unique, in
// order and under their own seed. The rules for finding a file and matching
// a name are in ./seeds-references.ts. Fast and offline: titles are read
// from the sources, nothing is run.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkDecisionNumbers,
  checkReferences,
  checkRowNumbers,
  compareRowNumbers,
  parseReferences,
  parseRowNumbers,
  pathMatches,
  readTitles,
  rowsCitingNoTest,
  type Repository,
  type TitlePath,
} from './seeds-references.js';

const root = resolve(import.meta.dirname, '..', '..');
const seedsMd = readFileSync(join(root, 'docs', 'seeds.md'), 'utf8');

/** The repository's sources (what a reference may point at), read once. */
function repositoryOnDisk(): Repository {
  const files = ['src', 'test', 'bench', 'ui/src', 'scripts'].flatMap((top) =>
    readdirSync(join(root, top), { recursive: true, encoding: 'utf8' })
      .map((entry) => `${top}/${entry.split('\\').join('/')}`)
      .filter((path) => /\.(ts|tsx|mjs)$/.test(path)),
  );
  const sources = new Map<string, string>();
  const source = (file: string): string => {
    let text = sources.get(file);
    if (text === undefined) {
      text = readFileSync(join(root, file), 'utf8');
      sources.set(file, text);
    }
    return text;
  };
  // Parsed once per file: a file is cited by many rows.
  const titles = new Map<string, TitlePath[]>();
  return {
    files,
    source,
    titles(file) {
      let paths = titles.get(file);
      if (paths === undefined) {
        paths = readTitles(file, source(file));
        titles.set(file, paths);
      }
      return paths;
    },
  };
}

describe('docs/seeds.md', () => {
  it('cites only files that exist and tests that are in them', () => {
    const units = parseReferences(seedsMd);
    // The document is read at all: a parser that found nothing would pass.
    expect(units.length).toBeGreaterThan(80);
    expect(checkReferences(units, repositoryOnDisk())).toEqual([]);
  });

  it('numbers its rows uniquely, in order, each under its own seed', () => {
    const rows = parseRowNumbers(seedsMd);
    expect(rows.length).toBeGreaterThan(60);
    expect(checkRowNumbers(rows)).toEqual([]);
  });

  it('numbers its Decisions lists 1, 2, 3… (14a after 14)', () => {
    expect(checkDecisionNumbers(seedsMd)).toEqual([]);
  });

  it('cites at least one test in every numbered row', () => {
    expect(rowsCitingNoTest(seedsMd)).toEqual([]);
  });
});

/** A small repository, for the checker's own tests. */
const fakeSources: Record<string, string> = {
  'src/port/port.test.ts': `
    describe('Port', () => {
      it('returns at once; the event is set', () => {});
      describe('close', () => { it('gives 601', () => {}); it.skip('gives 602', () => {}); });
      it.each([1, 2])('polls %d times', () => {});
      for (const side of ['peer']) it(\`works on the \${side} side\`, () => {});
      for (const n of [1020]) it(\`TLS 1.3, send capacity \${n}: success\`, () => {});
      const cases = [{ name: 'login hang-up mid-script' }];
      it.concurrent.each(cases)('$name', () => {});
    });`,
  'src/port/custom-script.test.ts': `it('runs a script', () => {});`,
  'src/a/trace.test.ts': `it('traces', () => {});`,
  'src/b/trace.test.ts': `it('traces', () => {});`,
  'src/port/port.ts': `export {};`,
};
const fake: Repository = {
  files: Object.keys(fakeSources),
  source: (file) => fakeSources[file] ?? '',
  titles: (file) => readTitles(file, fakeSources[file] ?? ''),
};
const check = (markdown: string): string[] => checkReferences(parseReferences(markdown), fake);

describe('the reference checker', () => {
  it('accepts a full path with a test name, its end, a describe, or a prefix with …', () => {
    expect(
      check(
        [
          '| 000.1 | x | y | `src/port/port.test.ts › Port › returns at once; the event is set` |',
          '| 000.2 | x | y | `src/port/port.test.ts › returns at once…`; `› close › gives 601`; `› close` |',
          '- a decision — `src/port/port.test.ts › …the event is set`, `› polls 2 times`, `› works on the peer side`',
          '- a dynamic title — `src/port/port.test.ts › …send capacity 1020: success`; `› TLS 1.3, send capacity 1020…`',
          '- a title from data — `src/port/port.test.ts › login hang-up mid-script`; `› Port › login hang-up…`',
          '- a file only — `src/port/custom-script.test.ts`; `src/port/port.ts`',
        ].join('\n'),
      ),
    ).toEqual([]);
  });

  it('names the row of a planted wrong file, a wrong test name, and a wrong name after a good one', () => {
    expect(
      check(
        [
          '## 000 — seed',
          '| 000.1 | x | y | `src/port/prot.test.ts › returns at once…` |',
          '| 000.2 | x | y | `src/port/port.test.ts › returns later` |',
          '- a decision — `src/port/port.test.ts › returns at once…`; `› gives 602`',
          '- a dynamic title — `src/port/port.test.ts › send capacity 1020…`',
          '- a title from data — `src/port/port.test.ts › login hung up`',
        ].join('\n'),
      ),
    ).toEqual([
      'row 000.1: `src/port/prot.test.ts › returns at once…`: no such file',
      'row 000.2: `src/port/port.test.ts › returns later`: no test in src/port/port.test.ts is named so',
      'line 4 (000: "- a decision — `src/port/port.test.ts › …"): `› gives 602`: names only skipped tests in src/port/port.test.ts',
      'line 5 (000: "- a dynamic title — `src/port/port.test.…"): `src/port/port.test.ts › send capacity 1020…`: no test in src/port/port.test.ts is named so',
      'line 6 (000: "- a title from data — `src/port/port.tes…"): `src/port/port.test.ts › login hung up`: no test in src/port/port.test.ts is named so',
    ]);
  });

  it('resolves a bare name beside the last full path of its row, else uniquely in the repository', () => {
    expect(
      check(
        [
          '| 000.1 | x | y | `src/port/port.test.ts › returns at once…`; `custom-script.test.ts › runs a script` |',
          '| 000.2 | x | y | `custom-script.test.ts › runs a script` |',
          '| 000.3 | x | y | `src/a/trace.test.ts › traces`; `port.test.ts › returns at once…` |',
          '| 000.4 | x | y | `trace.test.ts › traces` |',
          '| 000.5 | x | y | `› traces` |',
        ].join('\n'),
      ),
    ).toEqual([
      'row 000.3: `port.test.ts › returns at once…`: no such file',
      'row 000.4: `trace.test.ts › traces`: ambiguous bare name (src/a/trace.test.ts, src/b/trace.test.ts): write the path',
      'row 000.5: `› traces`: a continuation with no file before it in the same row',
    ]);
  });

  it('matches titles segment by segment: no half titles, no skipped describe in the middle', () => {
    const path: TitlePath = [
      { text: 'outer', dynamic: false },
      { text: 'inner', dynamic: false },
      { text: 'does it', dynamic: false },
    ];
    expect(pathMatches(path, 'outer › inner › does it')).toBe('exactly');
    expect(pathMatches(path, 'inner › does it')).toBe('exactly');
    expect(pathMatches(path, 'does')).toBe(false);
    expect(pathMatches(path, 'outer › does it')).toBe(false);
    expect(pathMatches(path, 'does…')).toBe('exactly');
  });

  it('refuses duplicated, out-of-order and misplaced row numbers', () => {
    const rows = parseRowNumbers(
      [
        '## 000 — a',
        '| 000.1 | a |',
        '| 000.10 | b |',
        '| 000.9 | c |',
        '| 000.9 | d |',
        '## 001 — b',
        '| 001.12 | e |',
        '| 001.E1 | f |',
        '| 000.13 | g |',
      ].join('\n'),
    );
    expect(checkRowNumbers(rows)).toEqual([
      'row 000.9 (line 4) comes after 000.10: out of order',
      'row 000.9 (line 5) appears twice',
      'row 000.9 (line 5) comes after 000.9: out of order',
      'row 000.13 (line 9) sits under seed 001, not 000',
      'row 000.13 (line 9) comes after 001.E1: out of order',
    ]);
    expect(compareRowNumbers('004.11', '004.11a')).toBe(-1);
    expect(
      checkDecisionNumbers(['1. a', '2. b', '2a. c', '4. d', '', 'text', '2. e'].join('\n')),
    ).toEqual(['item 4 (line 4) is out of sequence', 'item 2 (line 7) is out of sequence']);
    expect(
      rowsCitingNoTest(
        [
          '## 000 — a',
          '| 000.1 | a | b | every test above |',
          '| 000.2 | a | b | `x.test.ts` |',
        ].join('\n'),
      ),
    ).toEqual(['row 000.1 (line 2) cites no test']);
    expect(compareRowNumbers('001.12', '001.E1')).toBe(-1);
  });
});
