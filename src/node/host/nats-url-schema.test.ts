// Review F11: `cluster.nats.servers` refuses a URL with userinfo
// (`nats://user:pass@host`) in the validator; the published JSON Schema
// must refuse exactly the same URLs, or an editor shows a file as valid
// that `netrx up` refuses (or the other way round). Drawn URLs: schemes
// right and wrong, with and without userinfo, hosts, ports and paths (an
// `@` in a path is not userinfo), whitespace.
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateHostConfig } from './index.js';

const schema = JSON.parse(
  readFileSync(resolve(import.meta.dirname, '../../../docs/netrx-up.schema.json'), 'utf8'),
) as { properties: { cluster: { properties: { nats: { properties: Record<string, unknown> } } } } };
const serversSchema = schema.properties.cluster.properties.nats.properties['servers'] as {
  items: { pattern: string };
};
const schemaPattern = new RegExp(serversSchema.items.pattern, 'u');

const validatorTakes = (url: string) => {
  try {
    validateHostConfig({ cluster: { nats: { servers: [url] } } });
    return true;
  } catch {
    return false;
  }
};

const token = fc.stringMatching(/^[a-z0-9.%-]{0,6}$/);
const url = fc
  .record({
    scheme: fc.constantFrom('nats', 'tls', 'http', 'NATS', 'nats:', ''),
    userinfo: fc.option(
      fc.oneof(
        token,
        fc.tuple(token, token).map(([u, p]) => `${u}:${p}`),
      ),
      { nil: undefined },
    ),
    host: fc.constantFrom('127.0.0.1', 'nats.test', '[::1]', '', 'h st', 'a@b'),
    port: fc.option(fc.integer({ min: 0, max: 70_000 }), { nil: undefined }),
    path: fc.constantFrom('', '/', '/x@y', ' ', '/a b'),
  })
  .map(
    ({ scheme, userinfo, host, port, path }) =>
      `${scheme}://${userinfo === undefined ? '' : `${userinfo}@`}${host}${port === undefined ? '' : `:${port}`}${path}`,
  );

describe('cluster.nats.servers: the schema and the validator agree (review F11)', () => {
  it('on drawn URLs', () => {
    fc.assert(
      fc.property(url, (drawn) => {
        expect(schemaPattern.test(drawn)).toBe(validatorTakes(drawn));
      }),
      { numRuns: 500 },
    );
  });

  it('both refuse userinfo and take a plain URL', () => {
    for (const refused of [
      'nats://alice:pw@127.0.0.1:4222',
      'tls://tok@n.test:4222',
      'nats://@h:1',
    ]) {
      expect([schemaPattern.test(refused), validatorTakes(refused)]).toEqual([false, false]);
    }
    for (const taken of ['nats://127.0.0.1:4222', 'tls://n.test:4222', 'nats://[::1]:4222']) {
      expect([schemaPattern.test(taken), validatorTakes(taken)]).toEqual([true, true]);
    }
  });
});
