/**
 * What the core's Node-free test files see as `vitest` when they run on Deno,
 * Bun or in Chromium (esbuild aliases `vitest` to this file; see
 * core-tests-bundle.ts). It implements the subset those files use:
 * `describe`, `it`/`test` with `.each` and `.skip`, the four hooks, and
 * `expect` (shim-expect.ts). It stays honest: a test that throws or rejects
 * fails, async tests are awaited under a per-test timeout, an unknown matcher
 * throws, and anything else vitest has (`vi`, `.only`, `.concurrent`, async
 * `describe`) throws at collection, failing the file rather than skipping it.
 * `fc` (fast-check) needs nothing: it is bundled as is.
 */
export { expect } from './shim-expect.js';

type TestFunction = (context: Record<string, never>) => unknown;
type Hook = () => unknown;

interface TestEntry {
  readonly kind: 'test';
  readonly name: string;
  readonly fn: TestFunction;
  readonly skip: boolean;
  readonly timeout: number;
}

interface SuiteEntry {
  readonly kind: 'suite';
  readonly name: string;
  readonly skip: boolean;
  readonly children: (TestEntry | SuiteEntry)[];
  readonly beforeAll: Hook[];
  readonly afterAll: Hook[];
  readonly beforeEach: Hook[];
  readonly afterEach: Hook[];
}

export interface TestResult {
  /** The full name as vitest lists it: suites and test joined by " > ". */
  readonly name: string;
  readonly status: 'passed' | 'failed' | 'skipped';
  readonly error?: string;
}

export interface FileResult {
  readonly file: string;
  readonly tests: readonly TestResult[];
}

/** The timeout vitest.config.ts sets (testTimeout), so a slow runtime gets what Node gets. */
export const DEFAULT_TIMEOUT_MS = 30_000;

const newSuite = (name: string, skip: boolean): SuiteEntry => ({
  kind: 'suite',
  name,
  skip,
  children: [],
  beforeAll: [],
  afterAll: [],
  beforeEach: [],
  afterEach: [],
});

let stack: SuiteEntry[] = [];

function current(): SuiteEntry {
  const suite = stack.at(-1);
  if (suite === undefined) throw new Error('vitest shim: describe/it called outside a file');
  return suite;
}

function unsupported(what: string): never {
  throw new Error(`vitest shim: ${what} is not implemented (see test/portable/vitest-shim.ts)`);
}

function collectSuite(name: string, body: () => unknown, skip: boolean): void {
  const suite = newSuite(name, skip || current().skip);
  current().children.push(suite);
  stack.push(suite);
  try {
    const returned = body();
    if (returned instanceof Promise) unsupported('an async describe body');
  } finally {
    stack.pop();
  }
}

function timeoutOf(option: unknown): number {
  if (option === undefined) return DEFAULT_TIMEOUT_MS;
  if (typeof option === 'number') return option;
  const timeout = (option as { timeout?: unknown }).timeout;
  return typeof timeout === 'number' ? timeout : unsupported('test options other than timeout');
}

function collectTest(name: string, fn: TestFunction | undefined, option: unknown, skip: boolean) {
  if (fn === undefined) unsupported('a test without a body (todo)');
  current().children.push({
    kind: 'test',
    name,
    fn,
    skip: skip || current().skip,
    timeout: timeoutOf(option),
  });
}

/** vitest's printf for `.each` titles: %s %d %i %f %j %o %# %%. */
export function formatTitle(template: string, args: readonly unknown[], index: number): string {
  let next = 0;
  return template.replace(/%[sdifjo#%]/g, (token) => {
    if (token === '%%') return '%';
    if (token === '%#') return String(index);
    const value = args[next++];
    switch (token) {
      case '%d':
        return String(Number(value));
      case '%i':
        return String(Math.trunc(Number(value)));
      case '%f':
        return String(Number(value));
      case '%j':
      case '%o':
        return JSON.stringify(value);
      default:
        return String(value);
    }
  });
}

function eachOf(skip: boolean) {
  return (table: readonly unknown[]) =>
    (template: string, fn: (...args: unknown[]) => unknown, option?: unknown): void => {
      table.forEach((row, index) => {
        const args = Array.isArray(row) ? (row as unknown[]) : [row];
        collectTest(formatTitle(template, args, index), () => fn(...args), option, skip);
      });
    };
}

type TestApi = ((name: string, fn?: TestFunction, option?: unknown) => void) & {
  skip: (name: string, fn?: TestFunction, option?: unknown) => void;
  each: ReturnType<typeof eachOf>;
};

function testApi(): TestApi {
  const api = (name: string, fn?: TestFunction, option?: unknown): void =>
    collectTest(name, fn, option, false);
  const members = {
    skip: (name: string, fn?: TestFunction, option?: unknown): void =>
      collectTest(name, fn, option, true),
    each: eachOf(false),
  };
  return new Proxy(Object.assign(api, members), {
    get(target, property, receiver) {
      if (Reflect.has(target, property)) return Reflect.get(target, property, receiver) as unknown;
      return unsupported(`it.${String(property)}`);
    },
  });
}

export const it = testApi();
export const test = it;

type DescribeApi = ((name: string, body: () => unknown) => void) & {
  skip: (name: string, body: () => unknown) => void;
};

export const describe: DescribeApi = new Proxy(
  Object.assign((name: string, body: () => unknown) => collectSuite(name, body, false), {
    skip: (name: string, body: () => unknown) => collectSuite(name, body, true),
  }),
  {
    get(target, property, receiver) {
      if (Reflect.has(target, property)) return Reflect.get(target, property, receiver) as unknown;
      return unsupported(`describe.${String(property)}`);
    },
  },
);

export const beforeAll = (hook: Hook): void => void current().beforeAll.push(hook);
export const afterAll = (hook: Hook): void => void current().afterAll.push(hook);
export const beforeEach = (hook: Hook): void => void current().beforeEach.push(hook);
export const afterEach = (hook: Hook): void => void current().afterEach.push(hook);

const describeError = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : `thrown ${String(error)}`;

/** Runs `fn`, awaiting what it returns, and fails it after `ms`. */
async function withTimeout(fn: () => unknown, ms: number, what: string): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  try {
    await Promise.race([Promise.resolve().then(fn), expired]);
  } finally {
    clearTimeout(timer);
  }
}

async function runSuite(
  suite: SuiteEntry,
  path: readonly string[],
  outer: { readonly beforeEach: Hook[]; readonly afterEach: Hook[] },
  results: TestResult[],
): Promise<void> {
  const beforeEach = [...outer.beforeEach, ...suite.beforeEach];
  const afterEach = [...suite.afterEach, ...outer.afterEach];
  let setupError: string | undefined;
  const anyToRun = hasRunnable(suite);
  if (anyToRun) {
    try {
      for (const hook of suite.beforeAll) await withTimeout(hook, DEFAULT_TIMEOUT_MS, 'beforeAll');
    } catch (error) {
      setupError = `beforeAll: ${describeError(error)}`;
    }
  }
  for (const child of suite.children) {
    const name = [...path, child.name];
    if (child.kind === 'suite') {
      await runSuite(child, name, { beforeEach, afterEach }, results);
      continue;
    }
    const fullName = name.join(' > ');
    if (child.skip) results.push({ name: fullName, status: 'skipped' });
    else if (setupError !== undefined) {
      results.push({ name: fullName, status: 'failed', error: setupError });
    } else results.push(await runTest(child, fullName, beforeEach, afterEach));
  }
  if (anyToRun) {
    try {
      for (const hook of suite.afterAll) await withTimeout(hook, DEFAULT_TIMEOUT_MS, 'afterAll');
    } catch (error) {
      results.push({
        name: [...path, '(afterAll)'].join(' > '),
        status: 'failed',
        error: describeError(error),
      });
    }
  }
}

const hasRunnable = (suite: SuiteEntry): boolean =>
  suite.children.some((child) => (child.kind === 'test' ? !child.skip : hasRunnable(child)));

async function runTest(
  entry: TestEntry,
  name: string,
  beforeEach: readonly Hook[],
  afterEach: readonly Hook[],
): Promise<TestResult> {
  let error: string | undefined;
  try {
    for (const hook of beforeEach) await withTimeout(hook, entry.timeout, 'beforeEach');
    await withTimeout(() => entry.fn({}), entry.timeout, 'test');
  } catch (thrown) {
    error = describeError(thrown);
  }
  for (const hook of afterEach) {
    try {
      await withTimeout(hook, entry.timeout, 'afterEach');
    } catch (thrown) {
      error ??= `afterEach: ${describeError(thrown)}`;
    }
  }
  return error === undefined ? { name, status: 'passed' } : { name, status: 'failed', error };
}

/**
 * Loads each file (its module body registers its tests) and runs them in
 * order. A file that throws while loading is reported as one failed test
 * named "(load)", so it can never vanish from the counts.
 */
export async function runFiles(
  files: readonly (readonly [file: string, load: () => Promise<unknown>])[],
): Promise<FileResult[]> {
  const out: FileResult[] = [];
  for (const [file, load] of files) {
    const root = newSuite(file, false);
    stack = [root];
    const tests: TestResult[] = [];
    try {
      await load();
    } catch (error) {
      tests.push({ name: '(load)', status: 'failed', error: describeError(error) });
    }
    stack = [];
    if (tests.length === 0) await runSuite(root, [], { beforeEach: [], afterEach: [] }, tests);
    out.push({ file, tests });
  }
  return out;
}
