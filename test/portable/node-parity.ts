/**
 * Does a runtime's report of the core's test files (vitest-shim.ts) show
 * the same tests as vitest collects on Node, each run or skipped as on
 * Node? A test skipped only off Node is how a port hides a test that fails
 * there, and the shim reports it with its name, so comparing names alone
 * counted it as passed (verify15 NEW-1). `parityProblems` says, file by
 * file, which tests differ; the runtimes test expects none, and plants a
 * runtime-only skip to prove it sees one.
 */
import type { FileResult } from './vitest-shim.js';

/** One test as vitest on Node collects it (scripts/lib/vitest-collect.mjs). */
export interface NodeTest {
  /** Repo-relative. */
  readonly file: string;
  readonly name: string;
  /** Skipped at collection (`it.skip`, a skipped suite, …). */
  readonly skipped: boolean;
}

const sorted = (names: Iterable<string>): string[] => [...names].sort();

function difference(a: ReadonlySet<string>, b: ReadonlySet<string>): string[] {
  return sorted([...a].filter((name) => !b.has(name)));
}

/**
 * Every way the runtime's files differ from Node's collection, as one line
 * each; empty when the same files hold the same tests, skipped alike.
 * Failures are not parity problems (the caller counts them).
 */
export function parityProblems(files: readonly FileResult[], node: readonly NodeTest[]): string[] {
  const problems: string[] = [];
  const nodeFiles = new Map<string, NodeTest[]>();
  for (const test of node) nodeFiles.set(test.file, [...(nodeFiles.get(test.file) ?? []), test]);
  const seen = new Set<string>();
  for (const { file, tests } of files) {
    seen.add(file);
    const onNode = nodeFiles.get(file) ?? [];
    const say = (what: string, names: readonly string[]): void => {
      for (const name of names) problems.push(`${file}: ${what}: ${name}`);
    };
    const here = new Set(tests.map((t) => t.name));
    const there = new Set(onNode.map((t) => t.name));
    say('not collected on Node', difference(here, there));
    say('missing on the runtime', difference(there, here));
    const skippedHere = new Set(tests.filter((t) => t.status === 'skipped').map((t) => t.name));
    const skippedThere = new Set(onNode.filter((t) => t.skipped).map((t) => t.name));
    say(
      'skipped only on the runtime',
      difference(skippedHere, skippedThere).filter((name) => there.has(name)),
    );
    say(
      'skipped only on Node',
      difference(skippedThere, skippedHere).filter((name) => here.has(name)),
    );
    if (here.size !== tests.length) problems.push(`${file}: a test name is repeated`);
  }
  for (const file of nodeFiles.keys()) {
    if (!seen.has(file)) problems.push(`${file}: missing on the runtime (the whole file)`);
  }
  return problems;
}

/** Passed, skipped and failed, counted apart (a skip is not a pass). */
export function outcomeCounts(
  files: readonly FileResult[],
): Record<'passed' | 'skipped' | 'failed', number> {
  const counts = { passed: 0, skipped: 0, failed: 0 };
  for (const { tests } of files) for (const { status } of tests) counts[status]++;
  return counts;
}
