/**
 * parityProblems (node-parity.ts) against hand-made reports: it must see a
 * test skipped only on the runtime (verify15 NEW-1), and every other way a
 * runtime's files can differ from what vitest collects on Node.
 */
import { describe, expect, it } from 'vitest';
import { outcomeCounts, parityProblems, type NodeTest } from './node-parity.js';
import type { FileResult, TestResult } from './vitest-shim.js';

const FILE = 'src/websocket/handle.test.ts';
const node: NodeTest[] = [
  { file: FILE, name: 'handle > masks', skipped: false },
  { file: FILE, name: 'handle > todo later', skipped: true },
];
const report = (...tests: TestResult[]): FileResult[] => [{ file: FILE, tests }];

describe('parityProblems', () => {
  it('finds nothing when the runtime runs and skips what Node does', () => {
    const same = report(
      { name: 'handle > masks', status: 'passed' },
      { name: 'handle > todo later', status: 'skipped' },
    );
    expect(parityProblems(same, node)).toEqual([]);
    // A failure is counted apart, not a parity problem.
    const failing = report(
      { name: 'handle > masks', status: 'failed', error: 'x' },
      { name: 'handle > todo later', status: 'skipped' },
    );
    expect(parityProblems(failing, node)).toEqual([]);
    expect(outcomeCounts(failing)).toEqual({ passed: 0, skipped: 1, failed: 1 });
  });

  it('names a test skipped only on the runtime, and one skipped only on Node', () => {
    const skippedHere = report(
      { name: 'handle > masks', status: 'skipped' },
      { name: 'handle > todo later', status: 'passed' },
    );
    expect(parityProblems(skippedHere, node)).toEqual([
      `${FILE}: skipped only on the runtime: handle > masks`,
      `${FILE}: skipped only on Node: handle > todo later`,
    ]);
  });

  it('names tests and files missing on either side, and a repeated name', () => {
    const other = report(
      { name: 'handle > masks', status: 'passed' },
      { name: 'handle > masks', status: 'passed' },
      { name: 'handle > extra', status: 'passed' },
    );
    const nodeWithAnotherFile = [
      ...node,
      { file: 'src/websocket/flags.test.ts', name: 'f', skipped: false },
    ];
    expect(parityProblems(other, nodeWithAnotherFile)).toEqual([
      `${FILE}: not collected on Node: handle > extra`,
      `${FILE}: missing on the runtime: handle > todo later`,
      `${FILE}: a test name is repeated`,
      'src/websocket/flags.test.ts: missing on the runtime (the whole file)',
    ]);
  });
});
