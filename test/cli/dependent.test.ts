// Stopping outside the clone: a project that depends on netrx (installed from
// the packed tarball) runs `netrx up` through npm, and one signal to npm's
// PID (as systemd, Docker and `kill` send it) stops the host, closes its port
// and leaves no process behind within 2 s.
//
// With `"start": "exec netrx up"` (what the README recommends) npm's shell is
// replaced by netrx and npm signals node directly: SIGINT and SIGTERM are
// forwarded, SIGHUP kills npm and netrx notices its npm is gone. Without
// `exec` (`"start": "netrx up"`, and `npx netrx up`), npm signals `sh -c`,
// which passes nothing on: SIGTERM and SIGHUP still stop the host because
// the shell or npm dies and netrx watches them; SIGINT does not (npm and sh
// both wait for the child), which the README says.
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installPacked, type PackedProject } from './support/packed.js';
import { ensureBuilt, stopWithin2s } from './support/processes.js';

let project: PackedProject;
let config: string;

beforeAll(() => {
  expect(ensureBuilt()).toBe(0);
  project = installPacked('dependent', {
    scripts: { start: 'exec netrx up', 'start-no-exec': 'netrx up' },
  });
  // Port 0: a free port, so this never clashes with a host on the default 7340.
  config = join(project.dir, 'any-port.yaml');
  writeFileSync(config, 'http:\n  port: 0\nradius:\n  port: 0\ncapture:\n  rpc:\n    port: 0\n');
}, 120_000);

afterAll(() => rmSync(project.dir, { recursive: true, force: true }));

function npm(args: string[]) {
  // detached: its own process group, so the signal reaches npm only, never
  // the group (as a terminal's Ctrl-C would).
  return spawn('npm', args, { cwd: project.dir, detached: true });
}

const cases: { name: string; args: () => string[]; signals: NodeJS.Signals[] }[] = [
  {
    name: 'npm start ("exec netrx up")',
    args: () => ['start', '--', '--config', config],
    signals: ['SIGTERM', 'SIGINT', 'SIGHUP'],
  },
  {
    name: 'npm run start-no-exec ("netrx up")',
    args: () => ['run', 'start-no-exec', '--', '--config', config],
    signals: ['SIGTERM', 'SIGHUP'],
  },
  {
    name: 'npx netrx up',
    args: () => ['exec', '--offline', '--', 'netrx', 'up', '--config', config],
    signals: ['SIGTERM', 'SIGHUP'],
  },
];

describe('a dependent project stops on one signal to npm', () => {
  for (const { name, args, signals } of cases) {
    for (const signal of signals) {
      it(`${name}: ${signal} to npm closes the port and ends every process within 2 s`, async () => {
        const result = await stopWithin2s(npm(args()), signal);
        expect({ closed: result.closed, alive: result.alive }).toEqual({ closed: true, alive: [] });
        expect(result.output).toMatch(/^stopping…$[\s\S]*^stopped$/m);
      });
    }
  }
});
