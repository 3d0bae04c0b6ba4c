// `netrx chat` is a drop-in for pppd's chat, which exits 1 on a usage
// mistake (checked with Debian ppp 2.4.9: `chat -Z` and `chat -t` exit 1);
// netrx's other commands keep 2.
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
