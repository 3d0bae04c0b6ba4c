/**
 * A small validator for configuration: it checks a parsed JSON/YAML value
 * against a schema, fills defaults, refuses unknown keys, and fails with one
 * `ConfigError` whose message names the key (`http.port: …`). Small on
 * purpose: configuration is a handful of typed keys, and its errors must read
 * well on one line.
 */
export class ConfigError extends Error {
  readonly code = 'ERR_CONFIG_INVALID';
  readonly path: string;
  constructor(path: string, problem: string) {
    super(path === '' ? problem : `${path}: ${problem}`);
    this.name = 'ConfigError';
    this.path = path;
  }
}

/** A JSON Schema (draft 2020-12) fragment, as published in docs/netrx-up.schema.json. */
export type JsonSchema = Readonly<Record<string, unknown>>;

export type Schema<T> = {
  readonly check: (value: unknown, path: string) => T;
  readonly describe: string;
  /**
   * The same shape as JSON Schema, for editors: types, ranges, enums, patterns,
   * required and unknown keys. Checks across keys (port clashes, a user listed
   * twice…) are the validator's alone.
   */
  readonly json: JsonSchema;
};

export type Infer<S> = S extends Schema<infer T> ? T : never;

function show(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return JSON.stringify(value) ?? typeof value;
}

export function integer(min: number, max: number): Schema<number> {
  const describe = `an integer from ${min} to ${max}`;
  return {
    describe,
    json: { type: 'integer', minimum: min, maximum: max },
    check(value, path) {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
        throw new ConfigError(path, `expected ${describe}, got ${show(value)}`);
      }
      return value;
    },
  };
}

/**
 * A secret's value never goes into an error message (errors are printed,
 * logged on a reload, and a YAML number is still the password someone
 * typed): only its kind and length.
 */
function showSecret(value: unknown): string {
  if (typeof value === 'string') return `a string of ${value.length} characters`;
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return `a ${typeof value === 'object' ? 'object' : typeof value}`;
}

export function string(
  options: {
    readonly pattern?: RegExp;
    readonly describe?: string;
    /** A secret: its value is never quoted in an error. */
    readonly sensitive?: boolean;
    /** How a refused value is quoted (a URL with its password masked). */
    readonly show?: (value: string) => string;
  } = {},
): Schema<string> {
  const describe = options.describe ?? 'a string';
  const pattern = options.pattern;
  const quote = (value: unknown) =>
    options.sensitive === true
      ? showSecret(value)
      : typeof value === 'string' && options.show !== undefined
        ? JSON.stringify(options.show(value))
        : show(value);
  return {
    describe,
    // A flagged RegExp (/s, /i) has no faithful JSON Schema pattern: described only.
    json:
      pattern === undefined || pattern.flags !== ''
        ? { type: 'string', description: describe }
        : { type: 'string', pattern: pattern.source, description: describe },
    check(value, path) {
      if (
        typeof value !== 'string' ||
        (options.pattern !== undefined && !options.pattern.test(value))
      ) {
        throw new ConfigError(path, `expected ${describe}, got ${quote(value)}`);
      }
      return value;
    },
  };
}

export function oneOf<const T extends string>(...choices: readonly T[]): Schema<T> {
  const describe = `one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`;
  return {
    describe,
    json: { enum: [...choices] },
    check(value, path) {
      if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
        throw new ConfigError(path, `expected ${describe}, got ${show(value)}`);
      }
      return value as T;
    },
  };
}

/** A string turned into a value by `parse`; undefined from `parse` means invalid. */
export function parsed<T>(describe: string, parse: (text: string) => T | undefined): Schema<T> {
  return {
    describe,
    json: { type: 'string', description: describe },
    check(value, path) {
      const result = typeof value === 'string' ? parse(value) : undefined;
      if (result === undefined)
        throw new ConfigError(path, `expected ${describe}, got ${show(value)}`);
      return result;
    },
  };
}

export function boolean(): Schema<boolean> {
  return {
    describe: 'true or false',
    json: { type: 'boolean' },
    check(value, path) {
      if (typeof value !== 'boolean')
        throw new ConfigError(path, `expected true or false, got ${show(value)}`);
      return value;
    },
  };
}

export function list<T>(items: Schema<T>, maxItems: number): Schema<T[]> {
  return {
    describe: `a list of ${items.describe}`,
    json: { type: 'array', items: items.json, maxItems },
    check(value, path) {
      if (!Array.isArray(value)) throw new ConfigError(path, `expected a list, got ${show(value)}`);
      if (value.length > maxItems)
        throw new ConfigError(path, `expected at most ${maxItems} items, got ${value.length}`);
      return value.map((item, index) => items.check(item, `${path}[${index}]`));
    },
  };
}

type Field<T> =
  | { readonly schema: Schema<T>; readonly default: T }
  | { readonly schema: Schema<T>; readonly required: true };
type Fields = Record<string, Field<unknown>>;
type ObjectOf<F extends Fields> = {
  -readonly [K in keyof F]: F[K] extends Field<infer T> ? T : never;
};

export function field<T>(schema: Schema<T>, fallback: T): Field<T> {
  return { schema, default: fallback };
}

/** A nested object that may be left out: it is checked as `{}`, so its own defaults fill it. */
export function section<T>(schema: Schema<T>): Field<T> {
  return { schema, default: {} as T };
}

export function required<T>(schema: Schema<T>): Field<T> {
  return { schema, required: true };
}

export function object<F extends Fields>(
  fields: F,
  options: {
    /**
     * Keys that were removed, each with what to do instead: a configuration
     * written for an earlier release gets that sentence, not "unknown key".
     */
    readonly moved?: Readonly<Record<string, string>>;
  } = {},
): Schema<ObjectOf<F>> & { readonly defaults: () => ObjectOf<F> } {
  const names = Object.keys(fields);
  const moved = options.moved ?? {};
  const build = (value: Record<string, unknown>, path: string): ObjectOf<F> => {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      if (!Object.hasOwn(fields, key) && Object.hasOwn(moved, key))
        throw new ConfigError(join(path, key), moved[key] as string);
      if (!Object.hasOwn(fields, key)) {
        const near = closest(key, names);
        throw new ConfigError(
          join(path, key),
          `unknown key${near === undefined ? '' : ` (did you mean ${JSON.stringify(near)}?)`}; expected one of: ${names.join(', ')}`,
        );
      }
    }
    for (const [key, spec] of Object.entries(fields)) {
      const given = value[key];
      if (given === undefined) {
        if ('required' in spec)
          throw new ConfigError(join(path, key), `is required (${spec.schema.describe})`);
        // Defaults go through the schema too, so nested objects get their own defaults.
        out[key] = spec.schema.check(spec.default, join(path, key));
      } else {
        out[key] = spec.schema.check(given, join(path, key));
      }
    }
    return out as ObjectOf<F>;
  };
  const properties: Record<string, JsonSchema> = {};
  for (const [key, spec] of Object.entries(fields)) {
    // A default that is itself an object is filled by the section's own defaults: not repeated.
    const fallback =
      'default' in spec && (typeof spec.default !== 'object' || Array.isArray(spec.default))
        ? { default: spec.default }
        : {};
    properties[key] = { ...spec.schema.json, ...fallback };
  }
  const requiredKeys = Object.entries(fields)
    .filter(([, spec]) => 'required' in spec)
    .map(([key]) => key);
  return {
    describe: `an object with keys ${names.join(', ')}`,
    json: {
      type: 'object',
      properties,
      ...(requiredKeys.length === 0 ? {} : { required: requiredKeys }),
      additionalProperties: false,
    },
    check(value, path) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new ConfigError(path, `expected an object, got ${show(value)}`);
      }
      return build(value as Record<string, unknown>, path);
    },
    defaults: () => build({}, ''),
  };
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** The known key nearest to `key` by edit distance, if it is a plausible typo. */
export function closest(key: string, names: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const name of names) {
    const distance = editDistance(key.toLowerCase(), name.toLowerCase());
    if (distance < bestDistance) {
      best = name;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      );
    }
    previous = current;
  }
  return previous[b.length] as number;
}
