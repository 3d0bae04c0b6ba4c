// `netrx chat` is a drop-in for pppd's chat, which exits 1 on a usage
// mistake (checked with Debian ppp 2.4.9: `chat -Z` and `chat -t` exit 1);
// netrx's other commands keep 2.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { runCli, type CliIo } from '../../src/cli/index.js';

function io(errors: string[]): CliIo {
  return { out: () => {}, err: (line) => errors.push(line), untilStopped: () => Promise.resolve() };
}

describe('usage mistakes', () => {
  it.each([[['chat', '-Z']], [['chat', '-t']], [['chat', '--port']]])(
    'netrx %j exits 1, as chat does',
    async (argv) => {
      const errors: string[] = [];
      expect(await runCli(argv, io(errors))).toBe(1);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/^netrx chat: /);
    },
  );

  it('other commands still exit 2 (netrx scp --bogus)', async () => {
    const errors: string[] = [];
    expect(await runCli(['scp', 'x.scp', '--bogus'], io(errors))).toBe(2);
  });
});

describe("argv scripts: options stop at the first script word, as in chat's argv", () => {
  /** Runs `netrx chat` with its transcript (written raw to stderr) collected. */
  async function chat(argv: string[]): Promise<{ code: number; stderr: string; errors: string[] }> {
    let stderr = '';
    const spy = vi
      .spyOn(process.stderr, 'write')
      .mockImplementation((chunk: string | Uint8Array) => {
        stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('latin1');
        return true;
      });
    const errors: string[] = [];
    try {
      const code = await runCli(['chat', ...argv], io(errors));
      return { code, stderr, errors };
    } finally {
      spy.mockRestore();
    }
  }
  const peer = (text: string) => `exec:printf '${text}'; sleep 2`;

  it("netrx chat -v -s ABORT -ERR '' PING +PONG '' fails on the ABORT (exit 4), like chat", async () => {
    const run = await chat([
      '-v',
      '-s',
      '-t',
      '1',
      '--fast',
      '--port',
      peer('redis -ERR x\\r\\n'),
      'ABORT',
      '-ERR',
      '',
      'PING',
      '+PONG',
      '',
    ]);
    expect(run.errors).toEqual([]);
    expect(run.stderr.split('\n')).toEqual([
      'abort on (-ERR)',
      'send (PING^M)',
      'expect (+PONG)',
      'redis -ERR',
      ' -- failed',
      'Failed (-ERR)',
      '',
    ]);
    expect(run.code).toBe(4);
  });

  it('a script word -v after the script is sent, not read as the -v option', async () => {
    const run = await chat(['-s', '-t', '1', '--fast', '--port', peer('xok'), 'ok', '', '', '-v']);
    expect(run.errors).toEqual([]);
    // Without -v nothing is logged: a -v taken as the option would log the sends.
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });

  it('-- is still accepted before the script', async () => {
    const run = await chat([
      '-v',
      '-s',
      '-t',
      '5',
      '--fast',
      '--port',
      peer('xok'),
      '--',
      'ok',
      '',
      '',
      '-x',
    ]);
    expect(run.errors).toEqual([]);
    expect(run.stderr.split('\n')).toEqual([
      'expect (ok)',
      'xok',
      ' -- got it',
      '',
      'send (^M)',
      'send (-x^M)',
      '',
    ]);
    expect(run.code).toBe(0);
  });
});

describe('-r FILE and -v act in argv order, as in chat', () => {
  it('writes Opening "FILE"... only when -v came before -r (Closing either way)', async () => {
    const dir = mkdtempSync(join(tmpdir(), `netrx-chat-r-${process.pid}-`));
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const files: Record<string, string> = {};
      for (const [name, flags] of [
        ['after', ['-s', '-r', join(dir, 'after'), '-v']],
        ['before', ['-s', '-v', '-r', join(dir, 'before')]],
      ] as const) {
        const argv = [
          'chat',
          ...flags,
          '--fast',
          '--port',
          "exec:printf 'CONNECT 9600\\r\\n'; sleep 1",
        ];
        expect(await runCli([...argv, 'REPORT', 'CONNECT', 'CONNECT', ''], io([]))).toBe(0);
        files[name] = readFileSync(join(dir, name), 'latin1').replace(
          /\w{3} \d\d [\d:]{8} /,
          'TIME ',
        );
      }
      expect(files['after']).toBe(`chat:  TIME CONNECT 9600\nClosing "${join(dir, 'after')}".\n`);
      expect(files['before']).toBe(
        `Opening "${join(dir, 'before')}"...\nchat:  TIME CONNECT 9600\nClosing "${join(dir, 'before')}".\n`,
      );
    } finally {
      spy.mockRestore();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
