/**
 * `netrx chat` as a command: the exec: and stdio ports, and how it reports
 * bad scripts and bad arguments (runs the built CLI from dist/).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');
const workdir = mkdtempSync(join(tmpdir(), `netrx-chat-cli-${process.pid}-`));
afterAll(() => rmSync(workdir, { recursive: true, force: true }));

function netrx(args: string[], input?: string) {
  const child = spawn(process.execPath, [CLI, 'chat', ...args], {
    cwd: workdir,
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  if (input !== undefined) child.stdin?.end(input);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('latin1')));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('latin1')));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
}

describe('netrx chat (command)', () => {
  it('exec: logs in to a child process', async () => {
    const run = await netrx([
      '--port',
      `exec:printf 'login: '; read user; printf '\\r\\nhi %s\\r\\n$ ' "$user"; sleep 5`,
      '--fast',
      '-v',
      '-s',
      '-t',
      '5',
      '--',
      'ogin:',
      'ppp\\n\\c',
      '$ ',
      '',
    ]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('hi ppp^M');
  });

  it('stdio: reads stdin and writes stdout (not a tty here, which chat would refuse)', async () => {
    const run = await netrx(['-t', '2', '--fast', 'ogin:', 'ppp'], 'login: ');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('ppp\r');
  });

  it('no script: exit 0, like chat', async () => {
    expect((await netrx(['--port', 'exec:true'])).code).toBe(0);
  });

  it('without -s, a bad script is reported once with file, line and column; exit 1', async () => {
    writeFileSync(join(workdir, 'bad.chat'), "'' AT\nAT 'ATZ\n");
    const run = await netrx(['--port', 'exec:cat', '--fast', '-t', '1', '-f', 'bad.chat']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('netrx chat: bad.chat:2:4: unterminated quote (line 2)\n');
  });

  it('a missing -f file exits 1 with the reason', async () => {
    const run = await netrx(['--port', 'exec:cat', '-f', 'nope.chat']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('netrx chat: nope.chat -- open failed: No such file or directory\n');
  });

  it('-f with a script too prints chat usage and exits 1; a bad --port exits 2', async () => {
    const both = await netrx(['--port', 'exec:cat', '-f', 'x', 'ogin:']);
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(/^Usage: netrx chat/);
    const bad = await netrx(['--port', 'modem:/dev/null', 'x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Unknown port');
  });

  it('SIGTERM ends a waiting script with exit 2 and logs it', async () => {
    const child = spawn(
      process.execPath,
      [CLI, 'chat', '--port', 'exec:sleep 30', '-v', '-s', 'never', ''],
      { cwd: workdir, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // Wait until the script is waiting (its first log line), then signal.
    while (!stderr.includes('expect (never)'))
      await new Promise((resolve) => setTimeout(resolve, 50));
    child.kill('SIGTERM');
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toEqual(['expect (never)', 'SIGTERM']);
  });
});
