import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock, createPortPair } from '../../testing/index.js';
import { TELNET } from '../telnet.js';
import { DEFAULT_PAGER, isoStamp, type ChatOptions } from './options.js';
import { runChat } from './runner.js';
import { parseChatArgs } from './script.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));
const { IAC, DO, WILL, WONT, DONT } = TELNET;

/**
 * Runs `script` while the peer writes `stream` in chunks of `sizes` (cycled);
 * returns the result, the bytes the port sent and the log lines.
 */
async function feed(
  script: string[],
  stream: Uint8Array,
  sizes: readonly number[],
  options: Partial<ChatOptions>,
) {
  const clock = new VirtualClock(1_764_668_400_000);
  const { port, peer } = createPortPair({ clock });
  const sent: number[] = [];
  peer.onWrite = (chunk) => sent.push(...chunk);
  const logs: string[] = [];
  const running = runChat(port, parseChatArgs(script), {
    clock,
    verbose: true,
    toStderr: true,
    pacing: 'fast',
    timeoutSeconds: 5,
    output: { log: (l) => logs.push(l), stderr: () => {}, report: () => {} },
    ...options,
  });
  let at = 0;
  for (let i = 0; at < stream.length; i++) {
    const size = sizes[i % sizes.length] as number;
    peer.write(stream.subarray(at, at + size));
    at += size;
    await tick();
  }
  let settled = false;
  void running.finally(() => (settled = true));
  while (!settled) {
    await tick();
    if (!settled && !clock.runNext()) await tick();
  }
  return { result: await running, sent, logs };
}

const bytes = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
const sizes = fc.array(fc.integer({ min: 1, max: 16 }), { minLength: 1, maxLength: 12 });

describe('runChat --strip-ansi', () => {
  const coloured = 'Welcome\r\n\x1b[1;32mlog\x1b[0min:\x1b[?2004h \x1b]0;title\x07';

  it('matches through escape sequences; the -v log keeps them as received', async () => {
    const plain = await feed(['login:', '\\c'], bytes(coloured), [64], {});
    expect(plain.result.exitCode).toBe(3);
    const run = await feed(['login:', '\\c'], bytes(coloured), [64], { stripAnsi: true });
    expect(run.result.exitCode).toBe(0);
    expect(run.logs).toContain('^[[1;32mlog^[[0min:');
  });

  it('(property) finds the prompt under any chunking and any sequences inside it', async () => {
    const sequence = fc.constantFrom(
      '\x1b[0m',
      '\x1b[1;31m',
      '\x1b[?2004h',
      '\x1b]0;x\x07',
      '\x1b(B',
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.option(sequence, { nil: '' }), { minLength: 7, maxLength: 7 }),
        sizes,
        async (cuts, chunking) => {
          const word = 'ogin: #';
          const text = 'noise ' + [...word].map((ch, i) => (cuts[i] ?? '') + ch).join('');
          const run = await feed(['ogin: #', '\\c'], bytes(text), chunking, { stripAnsi: true });
          expect(run.result.exitCode).toBe(0);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('runChat pager', () => {
  it('answers each --More-- with a space and logs it; off by default', async () => {
    const stream = bytes('line 1\r\n--More--line 2\r\n--More--$ ');
    const run = await feed(['$ ', '\\c'], stream, [5], { pager: DEFAULT_PAGER });
    expect(run.result.exitCode).toBe(0);
    expect(String.fromCharCode(...run.sent)).toBe('  ');
    expect(run.logs.filter((l) => l === 'pager ( )')).toHaveLength(2);
    const off = await feed(['$ ', '\\c'], stream, [5], {});
    expect(off.sent).toEqual([]);
  });

  it('(property) one answer per prompt, whatever the chunking', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 5 }), sizes, async (pages, chunking) => {
        const text = 'x\r\n--More--'.repeat(pages) + 'END';
        const run = await feed(['END', '\\c'], bytes(text), chunking, {
          pager: { prompt: '--More--', answer: 'q' },
        });
        expect(run.result.exitCode).toBe(0);
        expect(String.fromCharCode(...run.sent)).toBe('q'.repeat(pages));
      }),
      { numRuns: 100 },
    );
  });
});

describe('runChat --telnet', () => {
  it('refuses options, keeps IAC out of the matching and the log, and doubles 0xFF in sends', async () => {
    const stream = Uint8Array.from([
      IAC,
      DO,
      1,
      IAC,
      WILL,
      3,
      ...bytes('log'),
      IAC,
      241,
      ...bytes('in: '),
      IAC,
      IAC,
    ]);
    const run = await feed(['login: \\177', 'a\xffb\\c'], stream, [3], { telnet: true });
    expect(run.result.exitCode).toBe(0);
    expect(run.sent).toEqual([IAC, WONT, 1, IAC, DONT, 3, 0x61, IAC, IAC, 0x62]);
    expect(run.logs.join('\n')).not.toMatch(/[\xfb-\xff]/);
  });

  it('without --telnet the IAC bytes are just bytes (bit 7 stripped) and nothing is answered', async () => {
    const run = await feed(
      ['login:', '\\c'],
      Uint8Array.from([IAC, DO, 1, ...bytes('login:')]),
      [64],
      {},
    );
    expect(run.result.exitCode).toBe(0);
    expect(run.sent).toEqual([]);
  });

  it('(property) a prompt with negotiations split across any chunking: matched, each DO/WILL answered once, in order', async () => {
    const negotiation = fc.tuple(
      fc.constantFrom(DO, WILL, DONT, WONT),
      fc.integer({ min: 0, max: 39 }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.option(negotiation, { nil: undefined }), { minLength: 6, maxLength: 6 }),
        sizes,
        async (cuts, chunking) => {
          const stream: number[] = [];
          const answers: number[] = [];
          [...'ogin: '].forEach((ch, i) => {
            const n = cuts[i];
            if (n !== undefined) {
              stream.push(IAC, n[0], n[1]);
              if (n[0] === DO) answers.push(IAC, WONT, n[1]);
              if (n[0] === WILL) answers.push(IAC, DONT, n[1]);
            }
            stream.push(ch.charCodeAt(0));
          });
          const run = await feed(['ogin: ', '\\c'], Uint8Array.from(stream), chunking, {
            telnet: true,
          });
          expect(run.result.exitCode).toBe(0);
          expect(run.sent).toEqual(answers);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('runChat timestamps', () => {
  it('prefixes every log line with the clock time', async () => {
    const run = await feed(['ok', ''], bytes('ok'), [64], { timestamps: isoStamp });
    expect(run.result.exitCode).toBe(0);
    expect(run.logs[0]).toBe('2025-12-02T09:40:00.000Z expect (ok)');
    expect(run.logs.every((l) => l.startsWith('2025-12-02T09:40:00.000Z '))).toBe(true);
  });
});
