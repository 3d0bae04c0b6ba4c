// The committed docs/netrx-up.schema.json is what the combinators generate
// (npm run schema regenerates it), and it describes the embedded default.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_CONFIG_YAML } from './config-template.js';
import { hostConfigJsonSchemaText } from './json-schema.js';

const file = resolve(import.meta.dirname, '..', '..', '..', 'docs', 'netrx-up.schema.json');

describe('docs/netrx-up.schema.json', () => {
  it('is what the schema combinators generate (run `npm run schema` after changing the config)', () => {
    expect(readFileSync(file, 'utf8')).toBe(hostConfigJsonSchemaText());
  });

  it('names every top-level key of the default, requires none, and refuses unknown ones', () => {
    const schema = JSON.parse(hostConfigJsonSchemaText()) as {
      type: string;
      properties: Record<string, { type?: string }>;
      additionalProperties: boolean;
      required?: string[];
    };
    const example = parseYaml(DEFAULT_CONFIG_YAML) as Record<string, unknown>;
    expect(schema.type).toBe('object');
    expect(Object.keys(schema.properties)).toEqual(Object.keys(example));
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required ?? []).toEqual([]);
  });
});
