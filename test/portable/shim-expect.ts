/**
 * `expect` for the vitest shim: exactly the matchers the core's Node-free
 * test files use, each able to fail, with `.not`. Asking for any other
 * matcher (or any other `expect.*`) throws, so a test that starts using one
 * fails on Deno, Bun and Chromium instead of passing unchecked.
 */
import { equals, isAsymmetric, matchesSubset, objectContaining, show } from './shim-equality.js';

export class AssertionError extends Error {
  override name = 'AssertionError';
}

type Matcher = (actual: unknown, ...args: unknown[]) => { pass: boolean; message: string };

const isConstructor = (value: unknown): value is new (...args: never[]) => unknown =>
  typeof value === 'function' && value.prototype !== undefined;

function thrownBy(actual: unknown): { threw: boolean; error: unknown } {
  if (typeof actual !== 'function') {
    throw new TypeError(`toThrow expects a function, got ${show(actual)}`);
  }
  try {
    (actual as () => unknown)();
    return { threw: false, error: undefined };
  } catch (error) {
    return { threw: true, error };
  }
}

function errorMatches(error: unknown, expected: unknown): boolean {
  if (expected === undefined) return true;
  if (isAsymmetric(expected)) return expected.asymmetricMatch(error);
  const message = error instanceof Error ? error.message : String(error);
  if (typeof expected === 'string') return message.includes(expected);
  if (expected instanceof RegExp) return expected.test(message);
  if (isConstructor(expected)) return error instanceof expected;
  if (expected instanceof Error) return message === expected.message;
  throw new TypeError(`toThrow: unsupported expectation ${show(expected)}`);
}

/** The matchers, by name; `pass` is the un-negated outcome. */
export const MATCHERS: Readonly<Record<string, Matcher>> = {
  toBe: (actual, expected) => ({
    pass: Object.is(actual, expected),
    message: `expected ${show(actual)} to be ${show(expected)}`,
  }),
  toEqual: (actual, expected) => ({
    pass: equals(actual, expected),
    message: `expected ${show(actual)} to equal ${show(expected)}`,
  }),
  toMatchObject: (actual, expected) => ({
    pass: matchesSubset(actual, expected),
    message: `expected ${show(actual)} to match object ${show(expected)}`,
  }),
  toBeUndefined: (actual) => ({
    pass: actual === undefined,
    message: `expected ${show(actual)} to be undefined`,
  }),
  toHaveLength: (actual, expected) => {
    const length = (actual as { length?: unknown } | null | undefined)?.length;
    return {
      pass: typeof length === 'number' && length === expected,
      message: `expected ${show(actual)} (length ${String(length)}) to have length ${show(expected)}`,
    };
  },
  toBeLessThanOrEqual: (actual, expected) => {
    if (typeof actual !== 'number' && typeof actual !== 'bigint') {
      throw new TypeError(`toBeLessThanOrEqual: ${show(actual)} is not a number`);
    }
    return {
      pass: actual <= (expected as number),
      message: `expected ${show(actual)} to be <= ${show(expected)}`,
    };
  },
  toContain: (actual, expected) => {
    let pass: boolean;
    if (typeof actual === 'string') pass = actual.includes(String(expected));
    else if (Array.isArray(actual)) pass = actual.includes(expected);
    else throw new TypeError(`toContain: ${show(actual)} is neither a string nor an array`);
    return { pass, message: `expected ${show(actual)} to contain ${show(expected)}` };
  },
  toThrow: (actual, expected) => {
    const { threw, error } = thrownBy(actual);
    return {
      pass: threw && errorMatches(error, expected),
      message: threw
        ? `expected the thrown ${show(error)} to match ${show(expected)}`
        : `expected the function to throw${expected === undefined ? '' : ` ${show(expected)}`}`,
    };
  },
};

function expectation(actual: unknown, negated: boolean, label: string | undefined): object {
  const target = {};
  return new Proxy(target, {
    get(_target, property) {
      if (property === 'not') return expectation(actual, !negated, label);
      const matcher = typeof property === 'string' ? MATCHERS[property] : undefined;
      if (matcher === undefined) {
        throw new TypeError(
          `vitest shim: expect(…).${String(property)} is not implemented (add it to test/portable/shim-expect.ts)`,
        );
      }
      return (...args: unknown[]): void => {
        const { pass, message } = matcher(actual, ...args);
        if (pass === negated) {
          const prefix = label === undefined ? '' : `${label}: `;
          throw new AssertionError(`${prefix}${negated ? `not: ${message}` : message}`);
        }
      };
    },
  });
}

const STATICS: Readonly<Record<string, unknown>> = { objectContaining };

function expectFunction(actual: unknown, label?: string): object {
  return expectation(actual, false, label);
}

/** vitest's `expect`, limited to MATCHERS and `expect.objectContaining`. */
export const expect = new Proxy(expectFunction, {
  get(target, property, receiver) {
    if (typeof property === 'string' && property in STATICS) return STATICS[property];
    if (Reflect.has(target, property)) return Reflect.get(target, property, receiver) as unknown;
    throw new TypeError(`vitest shim: expect.${String(property)} is not implemented`);
  },
}) as ((
  actual: unknown,
  label?: string,
) => Record<string, (...args: unknown[]) => void> & {
  not: Record<string, (...args: unknown[]) => void>;
}) & { objectContaining: typeof objectContaining };
