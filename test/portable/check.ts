/**
 * The assertions of the portable suite: no vitest, no Node, so the same
 * cases run in Deno, Bun and a browser page. Each throws on failure.
 */
export class CheckFailed extends Error {
  override name = 'CheckFailed';
}

export function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new CheckFailed(message);
}

export function checkEqual<T>(actual: T, expected: T, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new CheckFailed(`${what}: expected ${e}, got ${a}`);
}

export function checkBytes(
  actual: Uint8Array | undefined,
  expected: Uint8Array,
  what: string,
): void {
  check(actual !== undefined, `${what}: missing`);
  check(
    actual.length === expected.length,
    `${what}: length ${actual.length}, expected ${expected.length}`,
  );
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i]) throw new CheckFailed(`${what}: first difference at byte ${i}`);
  }
}

export interface PortableCase {
  readonly name: string;
  run(): void;
}

export interface SuiteReport {
  readonly runtime: string;
  readonly passed: number;
  readonly failed: readonly { readonly name: string; readonly error: string }[];
}

/** Runs every case, catching each failure (the runner reports them all, it does not stop). */
export function runCases(cases: readonly PortableCase[], runtime: string): SuiteReport {
  const failed: { name: string; error: string }[] = [];
  let passed = 0;
  for (const c of cases) {
    try {
      c.run();
      passed++;
    } catch (error) {
      failed.push({
        name: c.name,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
    }
  }
  return { runtime, passed, failed };
}
