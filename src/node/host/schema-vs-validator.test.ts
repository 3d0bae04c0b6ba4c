// The review's property (host-review, finding L1 on docs/netrx-up.schema.json): draw
// configurations (the default with one key replaced by a drawn value) and
// compare what the published JSON Schema says with what `validateHostConfig`
// says. A config the validator accepts must satisfy the schema (or an editor
// marks a working file red); a config the schema refuses must be refused.
// The other direction (schema accepts, validator refuses) is expected for
// checks across keys, but not for a single key's own type or range: those are
// collected, and those the schema now carries (L1: the token's length and
// ends, the listen addresses, a non-empty secret) must no longer be there.
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultHostConfig, validateHostConfig } from './index.js';

type Schema = Record<string, unknown>;
const schema = JSON.parse(
  readFileSync(resolve(import.meta.dirname, '../../../docs/netrx-up.schema.json'), 'utf8'),
) as Schema;

/** A JSON Schema 2020-12 subset: the keywords docs/netrx-up.schema.json uses. */
function satisfies(value: unknown, s: Schema): boolean {
  if (Array.isArray(s['oneOf']))
    return (s['oneOf'] as Schema[]).filter((branch) => satisfies(value, branch)).length === 1;
  if (Array.isArray(s['anyOf'])) return (s['anyOf'] as Schema[]).some((b) => satisfies(value, b));
  if (Array.isArray(s['enum']) && !(s['enum'] as unknown[]).includes(value)) return false;
  const type = s['type'];
  if (type !== undefined) {
    const types = Array.isArray(type) ? (type as string[]) : [type as string];
    const ok = types.some((t) => {
      if (t === 'integer') return typeof value === 'number' && Number.isInteger(value);
      if (t === 'number') return typeof value === 'number';
      if (t === 'array') return Array.isArray(value);
      if (t === 'object')
        return typeof value === 'object' && value !== null && !Array.isArray(value);
      if (t === 'null') return value === null;
      return typeof value === t;
    });
    if (!ok) return false;
  }
  if (typeof value === 'number') {
    if (typeof s['minimum'] === 'number' && value < s['minimum']) return false;
    if (typeof s['maximum'] === 'number' && value > s['maximum']) return false;
  }
  if (typeof value === 'string') {
    if (typeof s['pattern'] === 'string' && !new RegExp(s['pattern'], 'u').test(value))
      return false;
    if (typeof s['minLength'] === 'number' && [...value].length < s['minLength']) return false;
    if (typeof s['maxLength'] === 'number' && [...value].length > s['maxLength']) return false;
  }
  if (Array.isArray(value)) {
    if (typeof s['maxItems'] === 'number' && value.length > s['maxItems']) return false;
    if (typeof s['minItems'] === 'number' && value.length < s['minItems']) return false;
    if (s['items'] !== undefined && !value.every((item) => satisfies(item, s['items'] as Schema)))
      return false;
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    const properties = (s['properties'] ?? {}) as Record<string, Schema>;
    for (const key of (s['required'] ?? []) as string[]) if (!(key in record)) return false;
    for (const [key, item] of Object.entries(record)) {
      const sub = properties[key];
      if (sub === undefined) {
        if (s['additionalProperties'] === false) return false;
      } else if (!satisfies(item, sub)) return false;
    }
  }
  return true;
}

/** Every path to a scalar or list in the default configuration. */
function leafPaths(value: unknown, path: string[] = []): string[][] {
  if (typeof value === 'object' && value !== null && !Array.isArray(value))
    return Object.entries(value).flatMap(([key, item]) => leafPaths(item, [...path, key]));
  return [path];
}

function withValue(base: unknown, path: string[], value: unknown): unknown {
  const copy = structuredClone(base) as Record<string, unknown>;
  let node = copy;
  path.slice(0, -1).forEach((key) => (node = node[key] as Record<string, unknown>));
  node[path[path.length - 1] ?? ''] = value;
  return copy;
}

const base = JSON.parse(JSON.stringify(defaultHostConfig())) as unknown;
const paths = leafPaths(base);
const value = fc.oneof(
  fc.integer({ min: -10, max: 70000 }),
  fc.constantFrom(0, 1, 16, 65535, 65536, 100, 3600000, 1e9, 0.5, -1),
  fc.string({ maxLength: 20 }),
  fc.constantFrom(
    '',
    ' ',
    'auto',
    'a'.repeat(16),
    ' '.repeat(20),
    '127.0.0.1',
    '::1',
    'x:y',
    '/ws',
    '/',
  ),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }),
);

function validatorAccepts(config: unknown): boolean {
  try {
    validateHostConfig(config);
    return true;
  } catch {
    return false;
  }
}

describe('docs/netrx-up.schema.json against validateHostConfig (review L1)', () => {
  it('refuses the single-key values the validator refuses and the schema can express', () => {
    const refused: [string[], unknown][] = [
      [['http', 'token'], 'too-short'],
      [['http', 'token'], ' '.repeat(20)],
      [['http', 'token'], ' leading-space-token'],
      [['http', 'token'], 'trailing-space-token '],
      [['http', 'host'], 'example.com'],
      [['http', 'host'], '999.0.0.1'],
      [['radius', 'host'], 'x:y'],
      [['capture', 'rpc', 'host'], ''],
      [['synthetic', 'secret'], ''],
    ];
    for (const [path, drawn] of refused) {
      const config = withValue(base, path, drawn);
      expect({ path, drawn, validator: validatorAccepts(config) }).toEqual({
        path,
        drawn,
        validator: false,
      });
      expect({ path, drawn, schema: satisfies(config, schema) }).toEqual({
        path,
        drawn,
        schema: false,
      });
    }
    for (const [path, drawn] of [
      [['http', 'token'], 'a'.repeat(16)],
      [['http', 'host'], '::1'],
      [['http', 'host'], 'localhost'],
      [['radius', 'host'], '::ffff:127.0.0.1'],
    ] as [string[], unknown][])
      expect({ path, schema: satisfies(withValue(base, path, drawn), schema) }).toEqual({
        path,
        schema: true,
      });
  });

  it('never refuses a value the validator accepts (20,000 draws, one key each)', () => {
    const schemaTooStrict = new Map<string, unknown>();
    const schemaTooLoose = new Map<string, unknown>();
    fc.assert(
      fc.property(fc.constantFrom(...paths), value, (path, drawn) => {
        const config = withValue(base, path, drawn);
        const bySchema = satisfies(config, schema);
        const byValidator = validatorAccepts(config);
        const key = path.join('.');
        if (byValidator && !bySchema && !schemaTooStrict.has(key)) schemaTooStrict.set(key, drawn);
        if (!byValidator && bySchema && !schemaTooLoose.has(key)) schemaTooLoose.set(key, drawn);
      }),
      { numRuns: 20000, seed: 14 },
    );
    // The direction that breaks an editor's user: a working file marked wrong.
    expect([...schemaTooStrict]).toEqual([]);
    // What the schema now expresses is no longer loose (keys checked across others may be:
    // synthetic.secret must also be the loopback client's, review M4).
    const expressed = ['http.token', 'http.host', 'radius.host', 'capture.rpc.host'];
    expect([...schemaTooLoose.keys()].filter((key) => expressed.includes(key))).toEqual([]);
    // CPU only (a fixed seed, no I/O: it cannot hang): 2.7 s alone, but 28.2 s
    // of the default 30 s in a shuffled src/node/host run at load 22.
  }, 120_000);
});
