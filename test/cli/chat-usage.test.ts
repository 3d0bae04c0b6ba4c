// `netrx chat` is a drop-in for pppd's chat, which exits 1 on a usage
// mistake (checked with Debian ppp 2.4.9: `chat -Z` and `chat -t` exit 1);
// netrx's other commands keep 2.
import { describe, expect, it } from 'vitest';
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
