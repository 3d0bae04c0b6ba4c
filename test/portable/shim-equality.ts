/**
 * The equality behind the vitest shim's `toEqual`, `toMatchObject` and
 * `expect.objectContaining`, written to agree with vitest's on what the core's
 * tests compare (plain objects, arrays, typed arrays, errors, Maps, Sets) and
 * to refuse rather than guess elsewhere: a value of a kind it does not know
 * compares by identity only. No Node, no vitest: it runs in Deno, Bun and a
 * page.
 */

/** A value that decides for itself whether it matches (`expect.objectContaining`). */
export interface AsymmetricMatcher {
  readonly asymmetric: true;
  asymmetricMatch(actual: unknown): boolean;
  describe(): string;
}

export function isAsymmetric(value: unknown): value is AsymmetricMatcher {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { asymmetric?: unknown }).asymmetric === true
  );
}

const tagOf = (value: unknown): string => Object.prototype.toString.call(value);

/** Own enumerable keys whose value is not undefined (vitest's toEqual ignores undefined properties). */
function definedKeys(value: object): PropertyKey[] {
  const record = value as Record<PropertyKey, unknown>;
  return Reflect.ownKeys(value).filter(
    (key) =>
      Object.prototype.propertyIsEnumerable.call(value, key) && record[key as string] !== undefined,
  );
}

/** Deep equality as `toEqual` means it: types of containers must agree, prototypes need not. */
export function equals(actual: unknown, expected: unknown): boolean {
  return deepEquals(actual, expected, []);
}

function deepEquals(a: unknown, b: unknown, seen: [unknown, unknown][]): boolean {
  if (isAsymmetric(b)) return b.asymmetricMatch(a);
  if (isAsymmetric(a)) return a.asymmetricMatch(b);
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (tagOf(a) !== tagOf(b)) return false;
  if (seen.some(([x, y]) => x === a && y === b)) return true;
  const deeper: [unknown, unknown][] = [...seen, [a, b]];

  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (!ArrayBuffer.isView(a) || !ArrayBuffer.isView(b)) return false;
    const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    return x.length === y.length && x.every((byte, i) => byte === y[i]);
  }
  if (a instanceof ArrayBuffer && b instanceof ArrayBuffer) {
    return deepEquals(new Uint8Array(a), new Uint8Array(b), deeper);
  }
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (a instanceof RegExp && b instanceof RegExp) return String(a) === String(b);
  if (a instanceof Error && b instanceof Error) {
    if (a.name !== b.name || a.message !== b.message) return false;
  }
  if (a instanceof Map && b instanceof Map) {
    if (a.size !== b.size) return false;
    for (const [key, value] of a) {
      if (!b.has(key) || !deepEquals(value, b.get(key), deeper)) return false;
    }
    return true;
  }
  if (a instanceof Set && b instanceof Set) {
    if (a.size !== b.size) return false;
    for (const value of a) {
      if (![...b].some((other) => deepEquals(value, other, deeper))) return false;
    }
    return true;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) {
      if (!deepEquals(a[i], b[i], deeper)) return false;
    }
  }
  const keysA = definedKeys(a);
  const keysB = definedKeys(b);
  if (keysA.length !== keysB.length) return false;
  const recordA = a as Record<PropertyKey, unknown>;
  const recordB = b as Record<PropertyKey, unknown>;
  return keysB.every(
    (key) =>
      keysA.includes(key) && deepEquals(recordA[key as string], recordB[key as string], deeper),
  );
}

/**
 * `toMatchObject`: every property `expected` names must match, recursively;
 * arrays must have the same length and match element by element.
 */
export function matchesSubset(actual: unknown, expected: unknown): boolean {
  if (isAsymmetric(expected)) return expected.asymmetricMatch(actual);
  if (Array.isArray(expected)) {
    return (
      Array.isArray(actual) &&
      actual.length === expected.length &&
      expected.every((item, i) => matchesSubset(actual[i], item))
    );
  }
  if (tagOf(expected) === '[object Object]') {
    if (typeof actual !== 'object' || actual === null) return false;
    const record = actual as Record<PropertyKey, unknown>;
    return Reflect.ownKeys(expected as object).every(
      (key) =>
        key in actual &&
        matchesSubset(record[key as string], (expected as Record<PropertyKey, unknown>)[key]),
    );
  }
  return equals(actual, expected);
}

/** `expect.objectContaining(shape)`: the named properties (own or inherited) equal the shape's. */
export function objectContaining(shape: Record<string, unknown>): AsymmetricMatcher {
  return {
    asymmetric: true,
    asymmetricMatch: (actual) =>
      typeof actual === 'object' &&
      actual !== null &&
      Object.keys(shape).every(
        (key) => key in actual && equals((actual as Record<string, unknown>)[key], shape[key]),
      ),
    describe: () => `ObjectContaining ${show(shape)}`,
  };
}

/** A short rendering of a value for failure messages. */
export function show(value: unknown): string {
  const text = render(value, 0);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

function render(value: unknown, depth: number): string {
  if (isAsymmetric(value)) return value.describe();
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value !== 'object' || value === null) return String(value);
  if (depth > 3) return tagOf(value);
  if (ArrayBuffer.isView(value)) {
    const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    const head = [...bytes.subarray(0, 16)].join(',');
    return `${value.constructor.name}(${bytes.length})[${head}${bytes.length > 16 ? ',…' : ''}]`;
  }
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (Array.isArray(value)) return `[${value.map((v) => render(v, depth + 1)).join(', ')}]`;
  const entries = Object.entries(value).map(([k, v]) => `${k}: ${render(v, depth + 1)}`);
  return `{ ${entries.join(', ')} }`;
}
