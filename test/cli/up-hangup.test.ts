// SIGHUP reloads `netrx up`, but not when it comes from a terminal that hung
// up: closing the terminal of a foreground `netrx up` still stops it. The
// terminal here is a pty that util-linux `script` holds; killing `script`
// closes the master side, the kernel hangs the terminal up and SIGHUPs the
// session, and the host (its controlling terminal gone) stops in order.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  alive,
  descendants,
  ensureBuilt,
  killAll,
  portOpen,
  root,
  within,
} from './support/processes.js';

const main = join(root, 'dist/cli/main.js');
const dir = mkdtempSync(join(tmpdir(), 'netrx-up-hangup-'));
const config = join(dir, 'ephemeral.yaml');
writeFileSync(config, 'http:\n  port: 0\nradius:\n  port: 0\ncapture:\n  rpc:\n    port: 0\n');
const hasScript = spawnSync('script', ['--version']).status === 0;

beforeAll(() => {
  expect(ensureBuilt()).toBe(0);
}, 120_000);

describe('netrx up on a terminal', () => {
  it.skipIf(!hasScript && process.env['CI'] !== 'true')(
    'stops when its terminal hangs up (SIGHUP with the controlling terminal gone)',
    async () => {
      const log = join(dir, 'up.log');
      // The host's output goes to a file: the pty only provides the controlling terminal.
      const command = `exec ${process.execPath} ${main} up --config ${config} > ${log} 2>&1`;
      const terminal = spawn('script', ['-qfec', command, '/dev/null'], {
        stdio: ['pipe', 'ignore', 'ignore'],
        detached: true,
      });
      const pids: number[] = [terminal.pid!];
      try {
        const text = () => (existsSync(log) ? readFileSync(log, 'utf8') : '');
        expect(await within(10_000, () => text().includes('press Ctrl-C'))).toBe(true);
        const port = Number(/http:\/\/127\.0\.0\.1:(\d+)\//.exec(readFileSync(log, 'utf8'))?.[1]);
        pids.push(...descendants(terminal.pid!));
        const host = pids.at(-1)!;
        process.kill(terminal.pid!, 'SIGKILL');
        const stopped = await within(5000, async () => !alive(host) && !(await portOpen(port)));
        const output = readFileSync(log, 'utf8');
        expect({ stopped, reloaded: output.includes('reload requested') }).toEqual({
          stopped: true,
          reloaded: false,
        });
        expect(output).toMatch(/^stopped$/m);
      } finally {
        killAll(pids);
      }
    },
    30_000,
  );
});
