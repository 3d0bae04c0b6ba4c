// The dashboard build never leaves ui/dist without its page (the race behind
// dashboard-access.test.ts's one 503): test files run side by side, and one
// that starts `netrx up` from dist/ (test/cli/support/processes.ts
// ensureBuilt, scripts/start.mjs) rebuilds ui/dist when a source under
// src/wire, src/trace or src/bytes is newer than its stamp. Vite empties
// its outDir first, so for the seconds of the build a host test starting
// beside it found no index.html and answered `/` with 503 ("the dashboard
// is not built"). The build now goes to a staging folder and is published
// file by file, index.html last by rename: the page is there throughout.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');
const page = join(root, 'ui', 'dist', 'index.html');

describe('the dashboard build (scripts/lib/setup.mjs ensureDashboard)', () => {
  it('keeps ui/dist/index.html in place while it rebuilds', async () => {
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "const m = await import('./scripts/lib/setup.mjs'); await m.ensureDashboard(); process.exit(await m.ensureDashboard({ force: true }));",
      ],
      { cwd: root, stdio: 'ignore' },
    );
    const exited = new Promise<number | null>((done) => child.once('exit', done));
    let running = true;
    void exited.then(() => (running = false));
    // Watched as a host test beside it would look: every millisecond of the build.
    let missing = 0;
    let checks = 0;
    let seen = false;
    while (running) {
      const there = existsSync(page);
      if (there) seen = true;
      else if (seen) missing++;
      checks++;
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(await exited).toBe(0);
    expect(checks).toBeGreaterThan(10);
    expect(missing).toBe(0);
    expect(existsSync(page)).toBe(true);
  }, 120_000);
});
