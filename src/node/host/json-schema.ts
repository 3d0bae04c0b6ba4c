/**
 * docs/netrx-up.schema.json: the JSON Schema (draft 2020-12) of a `netrx
 * up` configuration file, generated from the same combinators that validate
 * it (schema.ts), so editors complete and check the keys `netrx up` reads.
 * Checks across keys (port clashes, a user listed twice, the demo secret
 * off loopback) are the validator's alone. `npm run schema` rewrites the
 * file; json-schema.test.ts fails when the committed file is stale.
 */
import { hostConfigSchema } from './config.js';

export function hostConfigJsonSchema(): Record<string, unknown> {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'netrx up configuration',
    description:
      'The configuration file of `netrx up` (JSON or YAML); every key has a default. See docs/host.md.',
    ...hostConfigSchema.json,
  };
}

/** The file's text: two-space JSON and a final newline. */
export function hostConfigJsonSchemaText(): string {
  return `${JSON.stringify(hostConfigJsonSchema(), null, 2)}\n`;
}
