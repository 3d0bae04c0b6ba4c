import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { boundaryConfig } from '../../eslint.boundary.js';

/**
 * The core boundary is enforced by the same rules `npm test` lints with
 * (eslint.boundary.js): a probe source that reaches for Node, timers, the
 * clock or randomness must fail in a core folder and pass in src/node.
 */
const eslint = new ESLint({
  cwd: process.cwd(),
  overrideConfigFile: true,
  overrideConfig: [
    { files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } },
    ...boundaryConfig,
  ],
});

async function problems(source: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath });
  return (result?.messages ?? []).map((m) => `${m.ruleId ?? 'parse'}: ${m.message}`);
}

describe('core boundary lint', () => {
  const probes: [string, string][] = [
    ["import 'node:fs';", 'no-restricted-imports'],
    ["import { readFile } from 'node:fs/promises';", 'no-restricted-imports'],
    ["import { createSocket } from 'dgram';", 'no-restricted-imports'],
    ["export const m = await import('node:net');", 'no-restricted-syntax'],
    ['export const b = Buffer.alloc(1);', 'no-restricted-globals'],
    ['setTimeout(() => undefined, 1);', 'no-restricted-globals'],
    ['export const t = Date.now();', 'no-restricted-properties'],
    ['export const t = new Date();', 'no-restricted-syntax'],
    ['export const r = Math.random();', 'no-restricted-properties'],
    ['export const p = process.env;', 'no-restricted-globals'],
  ];

  for (const [source, rule] of probes) {
    it(`fails ${JSON.stringify(source)} in a core file`, async () => {
      const found = await problems(source, 'src/link/probe.ts');
      expect(found.some((p) => p.startsWith(rule))).toBe(true);
    });
  }

  it('allows the same sources in src/node and src/cli, and in tests', async () => {
    for (const [source] of probes) {
      expect(await problems(source, 'src/node/probe.ts')).toEqual([]);
      expect(await problems(source, 'src/cli/probe.ts')).toEqual([]);
      expect(await problems(source, 'src/link/probe.test.ts')).toEqual([]);
    }
  });

  it('allows what cores may use', async () => {
    const source =
      "import { ByteReader } from '../bytes/index.js';\nexport const d = new Date(0);\nexport const e = new TextEncoder();\nexport { ByteReader };";
    expect(await problems(source, 'src/link/probe.ts')).toEqual([]);
  });
});
