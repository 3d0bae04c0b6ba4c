// Issue 14: the dashboard's files are read once at the start; one that
// vanishes (a dangling link, a rebuild of ui/dist while the host starts) or
// cannot be read must not throw out of the load and stop the host: it is
// logged and its path answers 503; a path never listed stays 404.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../testing/index.js';
import { defaultHostConfig } from './config.js';
import { startHost, type RunningHost } from './host.js';
import { StaticFiles, type StaticFileSystem } from './static-files.js';

const dir = mkdtempSync(join(tmpdir(), 'host-d-static-'));
mkdirSync(join(dir, 'assets'));
writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
writeFileSync(join(dir, 'assets', 'kept.js'), 'console.log(1)');
// Listed by readdir, gone at stat: what a file deleted mid-load looks like.
symlinkSync(join(dir, 'assets', 'no-such-target.js'), join(dir, 'assets', 'gone.js'));
const hosts: RunningHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const text = (body: Uint8Array | undefined) => new TextDecoder().decode(body);

function enoent(path: string): Error {
  return Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), {
    code: 'ENOENT',
  });
}

/** A file system of `files` (path → content) where `vanish` paths are listed but throw on read. */
function memoryFs(files: Record<string, string>, vanish: readonly string[]): StaticFileSystem {
  const isDir = (path: string) => Object.keys(files).some((f) => f.startsWith(`${path}/`));
  return {
    readdir: (path) => [
      ...new Set(
        Object.keys(files)
          .filter((f) => f.startsWith(`${path}/`))
          .map((f) => f.slice(path.length + 1).split('/')[0] ?? ''),
      ),
    ],
    stat: (path) => {
      if (!(path in files) && !isDir(path)) throw enoent(path);
      return {
        isFile: () => path in files,
        isDirectory: () => isDir(path),
        size: files[path]?.length ?? 0,
      };
    },
    readFile: (path) => {
      if (vanish.includes(path) || !(path in files)) throw enoent(path);
      return new TextEncoder().encode(files[path]);
    },
  };
}

describe('StaticFiles: a file that vanishes mid-load', () => {
  it('a dangling entry (listed, gone at stat) is left out and logged; its path answers 503, the rest is served', () => {
    const files = StaticFiles.load(dir);
    expect(files.answer('/assets/kept.js')?.status).toBe(200);
    const gone = files.answer('/assets/gone.js');
    expect(gone?.status).toBe(503);
    expect(text(gone?.body)).toMatch(/gone\.js: it vanished while the dashboard was loading/);
    expect(files.problems).toEqual([
      `dashboard: ${join(dir, 'assets', 'gone.js')} not served (503): it vanished while the dashboard was loading`,
    ]);
    expect(files.answer('/assets/never-listed.js')).toBeUndefined();
    expect(files.answer('/')?.status).toBe(200);
  });

  it('index.html vanishing between its stat and its read: / answers 503 naming it', () => {
    const root = '/ui';
    const files = StaticFiles.load(
      root,
      memoryFs({ '/ui/index.html': '<p>', '/ui/assets/a.js': 'x' }, ['/ui/index.html']),
    );
    const page = files.answer('/');
    expect(page?.status).toBe(503);
    expect(text(page?.body)).toContain('/ui/index.html: it vanished');
    expect(files.answer('/assets/a.js')?.status).toBe(200);
    expect(files.problems).toHaveLength(1);
  });

  it('an unreadable directory is logged and skipped; the others load', () => {
    const fs = memoryFs(
      { '/ui/index.html': '<p>', '/ui/assets/a.js': 'x', '/ui/img/i.png': 'p' },
      [],
    );
    const files = StaticFiles.load('/ui', {
      ...fs,
      readdir: (path) => {
        if (path === '/ui/img')
          throw Object.assign(new Error(`EACCES: permission denied, scandir '${path}'`), {
            code: 'EACCES',
          });
        return fs.readdir(path);
      },
    });
    expect(files.size).toBe(2);
    expect(files.problems).toEqual([
      "dashboard: /ui/img not served (503): EACCES: permission denied, scandir '/ui/img'",
    ]);
  });

  it('the host starts with such a build: the error is logged, the page is served, the vanished path answers 503', async () => {
    const lines: string[] = [];
    const base = defaultHostConfig();
    const host = await startHost(
      { ...base, http: { ...base.http, port: 0 } },
      {
        version: '0',
        services: [],
        clock: new VirtualClock(0),
        dashboardDir: dir,
        log: (line) => lines.push(line),
      },
    );
    hosts.push(host);
    expect(lines.filter((l) => l.includes('gone.js'))).toHaveLength(1);
    expect((await fetch(new URL('/', host.url))).status).toBe(200);
    expect((await fetch(new URL('/assets/gone.js', host.url))).status).toBe(503);
    expect((await fetch(new URL('/assets/kept.js', host.url))).status).toBe(200);
  });
});
