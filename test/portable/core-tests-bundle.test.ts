/**
 * The Node-free set is computed, not listed: a fixture folder with one clean
 * test file and one for each way out (a node: import two files deep, a Node
 * global, a vitest API the shim lacks) must come out split exactly so.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../bench/support/runtime-bundles.js';
import { findNodeFreeTests, vitestImports } from './core-tests-bundle.js';

const dir = mkdtempSync(join(ROOT, '.ws-portable-fixture-'));
const rel = basename(dir);
const files: Record<string, string> = {
  'clean.test.ts': `import { it, expect } from 'vitest';\nimport { x } from './helper-clean.js';\n// Buffer.from in a comment is no use of Buffer\nit('x', () => expect(x).toBe(1));\n`,
  'helper-clean.ts': `export const x = 1;\n`,
  'deep.test.ts': `import { it } from 'vitest';\nimport { z } from './helper-zlib.js';\nit('z', () => void z);\n`,
  'helper-zlib.ts': `import { deflateRawSync } from 'node:zlib';\nexport const z = deflateRawSync;\n`,
  'global.test.ts': `import { it } from 'vitest';\nit('b', () => void Buffer.from('a'));\n`,
  'fake-timers.test.ts': `import { it, vi, type Mock } from 'vitest';\nit('v', () => void vi.useFakeTimers());\n`,
};
for (const [name, source] of Object.entries(files)) writeFileSync(join(dir, name), source);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('findNodeFreeTests', () => {
  it('includes the clean file and excludes each other with its chain', async () => {
    const found = await findNodeFreeTests([rel]);
    expect(found.included).toEqual([`${rel}/clean.test.ts`]);
    expect(found.excluded).toEqual([
      {
        file: `${rel}/deep.test.ts`,
        reason: `reaches ${rel}/deep.test.ts → ${rel}/helper-zlib.ts → node:zlib`,
      },
      { file: `${rel}/fake-timers.test.ts`, reason: 'imports vi from vitest (not in the shim)' },
      {
        file: `${rel}/global.test.ts`,
        reason: `reaches ${rel}/global.test.ts → the Node global Buffer`,
      },
    ]);
  });

  it('reads the value imports from vitest, not the type-only ones', () => {
    expect(
      vitestImports(
        `import { describe, it as test, type Mock } from 'vitest';\nimport type { Foo } from 'vitest';`,
      ),
    ).toEqual(['describe', 'it']);
  });
});
