// The checker behind test/docs/seeds-references.test.ts: it reads the test
// references in docs/seeds.md and says which ones point at nothing.
//
// A reference is a backticked `file › test name`, a bare `file` (the file
// must exist), or a continuation `› test name` (the same file as the
// reference before it in the same row). Every line of the document is one
// unit (a table row, a Decisions bullet or numbered item, a paragraph), so a
// continuation never borrows a file from another row.
//
// How a file is found (the rule this checker picks):
// - a path with a directory (`src/port/port.test.ts`) is relative to the
//   repository root and must exist;
// - a bare name (`port.test.ts`) after a full path in the same row is looked
//   up in that path's directory, and only there (a reader goes there too);
// - a bare name with no full path before it in the row must name exactly one
//   file in the repository: none, or two (`trace.test.ts`), is a failure.
//
// How a test name matches: vitest's full name is the `describe` titles and
// the `it` title joined (` > ` in vitest, ` › ` here). A reference matches a
// test when it equals that joined title, or its end (outer `describe`s left
// out), or names a `describe` (then it covers the tests inside). An ellipsis
// `…` stands for any text: `abc…` is a prefix, `…xyz` a suffix. Titles are
// read from the source with the TypeScript parser, not by running vitest
// (collecting imports every module and takes minutes on a loaded machine); a
// title built at run time (a template with `${}`, `it.each` with `%s`) is a
// pattern whose dynamic parts match anything, and one that is nothing but
// data (`it.each(cases)('$name')`) matches only if the reference's words are
// in the file. A test skipped for good (`it.skip`, `it.todo`, inside
// `describe.skip`) proves nothing: naming only such tests is a failure.
import ts from 'typescript';

/** One line of docs/seeds.md that holds references. */
export interface ReferenceUnit {
  /** 1-based line number in the document. */
  readonly line: number;
  /** How a failure names the unit: the row number, or the section and the line. */
  readonly label: string;
  readonly references: readonly Reference[];
}

export interface Reference {
  /** The backticked text as written. */
  readonly text: string;
  /** The file as written, or undefined for a continuation. */
  readonly file: string | undefined;
  /** The test name as written, or undefined for a file-only reference. */
  readonly test: string | undefined;
}

/** A numbered table row (`000.1`, `001.E1`, `004.11a`) and the seed section it sits in. */
export interface NumberedRow {
  readonly line: number;
  readonly number: string;
  /** The seed number of the `## NNN —` heading above the row. */
  readonly section: string | undefined;
}

/** The repository as the checker sees it, injectable for its own tests. */
export interface Repository {
  /** Every file path, relative to the root, with `/` separators. */
  readonly files: readonly string[];
  /** The test title paths (`describe`s then `it`) in a file. */
  titles(file: string): readonly TitlePath[];
  /** The file's text. */
  source(file: string): string;
}

/** The titles from the outermost `describe` to the `it`. */
export type TitlePath = readonly Title[];
/** A title as written; one built at run time has `…` for each dynamic part. */
export interface Title {
  readonly text: string;
  readonly dynamic: boolean;
  /** `it.skip`, `it.todo`, `describe.skip`: never runs, so it proves nothing (`skipIf` may run). */
  readonly skipped?: boolean;
}

const referencePattern = /`([^`\n]+)`/g;
const fileOnly = /^[\w./-]+\.tsx?$/;
const withTest = /^([\w./-]+\.tsx?) › (.+)$/;
const rowNumber = /^\| (\d{3}\.[A-Z]?\d+[a-z]?) \|/;
const sectionHeading = /^##+ (?:(\d{3}) )?(.*)$/;

/** The units of a document that hold at least one reference. */
export function parseReferences(markdown: string): ReferenceUnit[] {
  const units: ReferenceUnit[] = [];
  let section = '(top)';
  markdown.split('\n').forEach((text, index) => {
    const heading = sectionHeading.exec(text);
    if (heading !== null) {
      section = text.replace(/^#+ /, '').split(/ — | → /)[0] ?? text;
      return;
    }
    const references: Reference[] = [];
    for (const [, span] of text.matchAll(referencePattern)) {
      if (span === undefined) continue;
      const reference = parseSpan(span);
      if (reference !== undefined) references.push(reference);
    }
    if (references.length === 0) return;
    const row = rowNumber.exec(text)?.[1];
    const label =
      row !== undefined ? `row ${row}` : `line ${index + 1} (${section}: "${text.slice(0, 40)}…")`;
    units.push({ line: index + 1, label, references });
  });
  return units;
}

function parseSpan(span: string): Reference | undefined {
  if (span.startsWith('› ')) return { text: span, file: undefined, test: span.slice(2) };
  const both = withTest.exec(span);
  if (both !== null) return { text: span, file: both[1], test: both[2] };
  if (fileOnly.test(span) && span.includes('.')) return { text: span, file: span, test: undefined };
  return undefined;
}

/** The numbered rows of the document, in document order. */
export function parseRowNumbers(markdown: string): NumberedRow[] {
  const rows: NumberedRow[] = [];
  let section: string | undefined;
  markdown.split('\n').forEach((text, index) => {
    const heading = sectionHeading.exec(text);
    if (heading !== null && text.startsWith('## ')) section = heading[1];
    const number = rowNumber.exec(text)?.[1];
    if (number !== undefined) rows.push({ line: index + 1, number, section });
  });
  return rows;
}

/** Why the row numbers are not unique, in order and under their own seed; empty if they are. */
export function checkRowNumbers(rows: readonly NumberedRow[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  let previous: NumberedRow | undefined;
  for (const row of rows) {
    if (seen.has(row.number)) problems.push(`row ${row.number} (line ${row.line}) appears twice`);
    seen.add(row.number);
    if (row.number.slice(0, 3) !== row.section)
      problems.push(
        `row ${row.number} (line ${row.line}) sits under seed ${row.section ?? 'none'}, not ${row.number.slice(0, 3)}`,
      );
    if (previous !== undefined && compareRowNumbers(previous.number, row.number) >= 0)
      problems.push(
        `row ${row.number} (line ${row.line}) comes after ${previous.number}: out of order`,
      );
    previous = row;
  }
  return problems;
}

/** The numbered rows that cite no test file at all ("every test above" proves nothing). */
export function rowsCitingNoTest(markdown: string): string[] {
  const cited = new Set(
    parseReferences(markdown)
      .filter((unit) =>
        unit.references.some((r) => r.test !== undefined || /\.test\.tsx?$/.test(r.file ?? '')),
      )
      .map((unit) => unit.line),
  );
  return parseRowNumbers(markdown)
    .filter((row) => !cited.has(row.line))
    .map((row) => `row ${row.number} (line ${row.line}) cites no test`);
}

/**
 * Why a numbered Decisions list is not numbered 1, 2, 3… (a letter may follow
 * a number once inserted: `14a` after `14`); empty if every list is.
 */
export function checkDecisionNumbers(markdown: string): string[] {
  const problems: string[] = [];
  let previous: { number: number; letter: string } | undefined;
  markdown.split('\n').forEach((text, index) => {
    const item = /^(\d+)([a-z]?)\. /.exec(text);
    if (item === null) {
      if (text.trim() !== '') previous = undefined; // a list ends at the next non-item line
      return;
    }
    const current = { number: Number(item[1]), letter: item[2] ?? '' };
    const follows =
      previous === undefined
        ? current.number === 1 && current.letter === ''
        : (current.number === previous.number + 1 && current.letter === '') ||
          (current.number === previous.number && current.letter > previous.letter);
    if (!follows)
      problems.push(`item ${item[1]}${current.letter} (line ${index + 1}) is out of sequence`);
    previous = current;
  });
  return problems;
}

/** Orders `000.9` < `000.10` < `000.10a` < `000.E1`: seed, letter series, number, suffix. */
export function compareRowNumbers(a: string, b: string): number {
  const key = (n: string): [string, string, number, string] => {
    const match = /^(\d{3})\.([A-Z]?)(\d+)([a-z]?)$/.exec(n);
    if (match === null) throw new RangeError(`not a row number: ${n}`);
    return [match[1] ?? '', match[2] ?? '', Number(match[3]), match[4] ?? ''];
  };
  const [ka, kb] = [key(a), key(b)];
  for (let i = 0; i < ka.length; i++) {
    const [x, y] = [ka[i], kb[i]];
    if (x === undefined || y === undefined || x === y) continue;
    return x < y ? -1 : 1;
  }
  return 0;
}

/** Every reference that points at nothing, as one line naming its row; empty if none. */
export function checkReferences(units: readonly ReferenceUnit[], repository: Repository): string[] {
  const problems: string[] = [];
  for (const unit of units) {
    let lastFullPath: string | undefined;
    let lastFile: string | undefined;
    for (const reference of unit.references) {
      const where = `${unit.label}: \`${reference.text}\``;
      let file: string | undefined;
      if (reference.file === undefined) {
        if (lastFile === undefined) {
          problems.push(`${where}: a continuation with no file before it in the same row`);
          continue;
        }
        file = lastFile;
      } else {
        const resolved = resolveFile(reference.file, lastFullPath, repository.files);
        if (typeof resolved !== 'string' || !repository.files.includes(resolved)) {
          problems.push(
            `${where}: ${typeof resolved === 'string' ? 'no such file' : resolved.problem}`,
          );
          lastFile = undefined;
          continue;
        }
        file = resolved;
        if (reference.file.includes('/')) lastFullPath = reference.file;
        lastFile = file;
      }
      if (reference.test === undefined) continue;
      if (!/\.test\.tsx?$/.test(file)) {
        problems.push(`${where}: ${file} is not a test file`);
        continue;
      }
      const name = reference.test;
      const matches = repository.titles(file).map((path) => pathMatches(path, name));
      if (matches.includes('exactly')) continue;
      // A test that never runs proves nothing, even when a data-built title could also match.
      if (matches.includes('skipped')) {
        problems.push(`${where}: names only skipped tests in ${file}`);
        continue;
      }
      // A title built from data (`it.each(cases)('$name')`) matches any text,
      // so the words the reference gives must at least be in the file (the
      // case's `name: '…'`), or a stale reference to such a test would pass.
      const source = repository.source(file);
      const pieces = name.split(/…| › /).map((piece) => piece.trim());
      if (matches.includes('by-pattern') && pieces.every((piece) => source.includes(piece)))
        continue;
      problems.push(`${where}: no test in ${file} is named so`);
    }
  }
  return problems;
}

function resolveFile(
  written: string,
  lastFullPath: string | undefined,
  files: readonly string[],
): string | { problem: string } {
  if (written.includes('/')) return written;
  if (lastFullPath !== undefined) {
    const directory = lastFullPath.slice(0, lastFullPath.lastIndexOf('/') + 1);
    return `${directory}${written}`;
  }
  const candidates = files.filter((f) => f === written || f.endsWith(`/${written}`));
  if (candidates.length === 1 && candidates[0] !== undefined) return candidates[0];
  if (candidates.length === 0) return { problem: 'no file of that name in the repository' };
  return { problem: `ambiguous bare name (${candidates.join(', ')}): write the path` };
}

/**
 * Whether `reference` names this test or one of the `describe`s around it:
 * `'exactly'` through titles with some text written out, `'by-pattern'`
 * only through a title that is nothing but data (`'$name'`; see
 * `checkReferences`), `'skipped'` only where the test or a `describe`
 * around it is skipped for good, or `false`.
 */
export function pathMatches(
  path: TitlePath,
  reference: string,
): 'exactly' | 'by-pattern' | 'skipped' | false {
  const wanted = reference.split('…').join(anything);
  let found: 'by-pattern' | 'skipped' | false = false;
  for (let start = 0; start < path.length; start++)
    for (let end = start + 1; end <= path.length; end++) {
      const slice = path.slice(start, end);
      const joined = slice
        .map((title) => (title.dynamic ? title.text.split('…').join(anything) : title.text))
        .join(' › ');
      if (!patternsMeet(wanted, joined)) continue;
      if (path.slice(0, end).some((title) => title.skipped === true)) {
        found ||= 'skipped';
        continue;
      }
      if (slice.every((title) => title.text !== '…')) return 'exactly';
      found = 'by-pattern';
    }
  return found;
}

/** Stands for any text, in a reference (its `…`) and in a title (its dynamic parts). */
const anything = '\u0000';

/**
 * Whether some string matches both patterns (literal characters and
 * `anything`): a reference with an ellipsis may name a title built at run
 * time, so neither side is a plain string.
 */
function patternsMeet(a: string, b: string): boolean {
  const memo = new Map<number, boolean>();
  const meet = (i: number, j: number): boolean => {
    const key = i * (b.length + 1) + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    if (i === a.length && j === b.length) result = true;
    else if (a[i] === anything) result = meet(i + 1, j) || (j < b.length && meet(i, j + 1));
    else if (b[j] === anything) result = meet(i, j + 1) || (i < a.length && meet(i + 1, j));
    else result = i < a.length && j < b.length && a[i] === b[j] && meet(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  return meet(0, 0);
}

const testFunctions = new Set(['describe', 'it', 'test', 'suite']);

/** The title paths of every `describe`/`it`/`test` call in a TypeScript source. */
export function readTitles(fileName: string, source: string): TitlePath[] {
  const sourceFile = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true);
  const paths: TitlePath[] = [];
  const visit = (node: ts.Node, around: readonly Title[]): void => {
    if (ts.isCallExpression(node)) {
      const kind = testCallKind(node.expression);
      const first = node.arguments[0];
      if (kind !== undefined && first !== undefined) {
        const path = [...around, { ...titleOf(first, kind.each), skipped: kind.skipped }];
        // A describe's own path is kept too: a reference may name the block.
        paths.push(path);
        for (const argument of node.arguments.slice(1)) visit(argument, path);
        return;
      }
    }
    ts.forEachChild(node, (child) => visit(child, around));
  };
  visit(sourceFile, []);
  return paths;
}

/** `it`, `it.skip`, `it.skipIf(c)`, `describe.each(t)`, `test.concurrent.each(t)`…: the root name. */
function testCallKind(callee: ts.Expression): { each: boolean; skipped: boolean } | undefined {
  let each = false;
  let skipped = false;
  let node: ts.Expression = callee;
  for (;;) {
    if (ts.isIdentifier(node)) return testFunctions.has(node.text) ? { each, skipped } : undefined;
    if (ts.isPropertyAccessExpression(node)) {
      if (node.name.text === 'each' || node.name.text === 'for') each = true;
      if (node.name.text === 'skip' || node.name.text === 'todo') skipped = true;
      node = node.expression;
    } else if (ts.isCallExpression(node)) {
      node = node.expression;
    } else return undefined;
  }
}

function titleOf(node: ts.Expression, each: boolean): Title {
  const literal = literalText(node);
  if (literal !== undefined) {
    // `it.each` titles interpolate %s, %d, $name.
    const interpolation = /%[sdifjoO#]|\$[\w.]+/g;
    if (each && /%[sdifjoO#]|\$[\w.]+/.test(literal))
      return { text: literal.replace(interpolation, '…'), dynamic: true };
    return { text: literal, dynamic: false };
  }
  // A template with `${}`: its dynamic parts become `…`.
  if (ts.isTemplateExpression(node)) {
    const pieces = [node.head.text, ...node.templateSpans.map((span) => span.literal.text)];
    return { text: pieces.join('…'), dynamic: true };
  }
  return { text: '…', dynamic: true };
}

function literalText(node: ts.Expression): string | undefined {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) {
    const [left, right] = [literalText(node.left), literalText(node.right)];
    return left !== undefined && right !== undefined ? left + right : undefined;
  }
  if (ts.isParenthesizedExpression(node)) return literalText(node.expression);
  return undefined;
}
