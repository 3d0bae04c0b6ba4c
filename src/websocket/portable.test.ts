import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundle } from '../../bench/support/runtime-bundles.js';

const outdir = mkdtempSync(join(tmpdir(), 'netrx-ws-portable-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('the portable build: the core bundles for the neutral platform', () => {
  it('bundles the WebSocket core, its portable entry and the testing kit with no Node built-in', async () => {
    const result = await bundle(
      [
        'src/websocket/index.ts',
        'src/websocket/portable.ts',
        'src/testing/index.ts',
        'src/bytes/index.ts',
        'src/runtime/index.ts',
        'src/wire/index.ts',
      ],
      outdir,
      'neutral',
    );
    expect(result.errors).toEqual([]);
  }, 30_000);

  it('fails, naming the import, when a module reaches node:* (the check can fail)', async () => {
    const result = await bundle(['src/node/websocket/zlib-codec.ts'], outdir, 'neutral');
    expect(result.errors.join('\n')).toMatch(
      /Node built-in "node:zlib" imported by .*zlib-codec\.ts/,
    );
  }, 30_000);
});
