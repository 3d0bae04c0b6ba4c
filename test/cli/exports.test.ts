import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, string | { types: string; import: string; require: string }>;
  bin: Record<string, string>;
};

describe('package surface', () => {
  it('every subpath export the issue names exists', () => {
    for (const name of [
      'link',
      'port',
      'eap',
      'eapol',
      'radius',
      'websocket',
      'capture',
      'trace',
      'receive',
      'bytes',
      'wire',
      'node',
    ]) {
      expect(Object.keys(pkg.exports)).toContain(`./${name}`);
    }
  });

  for (const [subpath, target] of Object.entries(pkg.exports)) {
    if (typeof target === 'string') continue;
    it(`${subpath} resolves to built JavaScript with type declarations`, async () => {
      expect(existsSync(join(root, target.types))).toBe(true);
      const loading = import(pathToFileURL(join(root, target.import)).href);
      expect(Object.keys((await loading) as object).length).toBeGreaterThan(0);
      expect(target.require).toBe('./dist/esm-only.cjs');
    });
  }

  it('the bin is built and executable', () => {
    expect(existsSync(join(root, pkg.bin['netrx']!))).toBe(true);
  });
});

describe('netrx/node/ws, as a ws user writes it', () => {
  it('imports `WebSocket, { WebSocketServer }` from the package name', () => {
    // A child Node resolving the package's own name through its exports map,
    // as a dependent's code would (vitest's resolver is not what users run).
    const script = [
      "import WebSocket, { WebSocketServer, createWebSocketStream } from 'netrx/node/ws';",
      "import * as node from 'netrx/node';",
      'console.log(JSON.stringify([typeof WebSocket, WebSocket === node.WebSocket,',
      '  WebSocketServer === node.WebSocketServer, typeof createWebSocketStream]));',
    ].join('\n');
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(JSON.parse(out)).toEqual(['function', true, true, 'function']);
  });
});
