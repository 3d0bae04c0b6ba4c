import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { DASHBOARD_CSP, StaticFiles } from './static-files.js';

const dir = mkdtempSync(join(tmpdir(), 'netrx-static-'));
mkdirSync(join(dir, 'assets'));
writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
writeFileSync(join(dir, 'assets', 'index-abc.js'), 'console.log(1)');
writeFileSync(join(dir, 'assets', 'index-abc.css'), 'body{}');
writeFileSync(join(dir, 'secret.key'), 'not served: unknown type');
writeFileSync(join(dir, '.build-stamp'), 'not served: dot file');
// A dot file (and a dot directory) with a served extension: skipped for the dot alone (review T2 #15).
writeFileSync(join(dir, '.env.js'), 'not served: dot file with an extension');
mkdirSync(join(dir, '.cache'));
writeFileSync(join(dir, '.cache', 'chunk.js'), 'not served: under a dot directory');
const outside = join(dir, '..', `netrx-outside-${process.pid}.txt`);
writeFileSync(outside, 'outside');
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(outside, { force: true });
});

describe('StaticFiles', () => {
  const files = StaticFiles.load(dir);

  it('serves the page at / with the CSP, and hashed assets cached for good', () => {
    const page = files.answer('/');
    expect(page?.status).toBe(200);
    expect(page?.headers['Content-Type']).toBe('text/html; charset=utf-8');
    expect(page?.headers['Content-Security-Policy']).toBe(DASHBOARD_CSP);
    expect(page?.headers['X-Content-Type-Options']).toBe('nosniff');
    expect(page?.headers['Cache-Control']).toBe('no-cache');
    const script = files.answer('/assets/index-abc.js');
    expect(script?.headers['Content-Type']).toBe('text/javascript; charset=utf-8');
    expect(script?.headers['Cache-Control']).toContain('immutable');
    expect(new TextDecoder().decode(script?.body)).toBe('console.log(1)');
  });

  it('serves nothing but the loaded files: no unknown types, dot files or paths outside', () => {
    expect(files.size).toBe(3);
    for (const path of [
      '/secret.key',
      '/.build-stamp',
      '/.env.js',
      '/.cache/chunk.js',
      '/../' + outside.split('/').pop(),
      '/assets/../index.html',
      '/%2e%2e/etc/passwd',
      '/assets',
      '/index.html/',
    ]) {
      expect(files.answer(path), path).toBeUndefined();
    }
    fc.assert(
      fc.property(fc.string(), (path) => {
        const answer = files.answer(`/${path}`);
        return (
          answer === undefined ||
          ['/', '/index.html', '/assets/index-abc.js', '/assets/index-abc.css'].includes(
            `/${path}`,
          ) ||
          path === ''
        );
      }),
    );
  });

  it('answers / with 503 and how to build when the dashboard is missing', () => {
    const missing = StaticFiles.load(join(dir, 'nope'));
    const answer = missing.answer('/');
    expect(answer?.status).toBe(503);
    expect(new TextDecoder().decode(answer?.body)).toMatch(/npm run build/);
    expect(missing.answer('/assets/x.js')).toBeUndefined();
  });
});
