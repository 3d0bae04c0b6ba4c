// `netrx chat --telnet --strip-ansi --pager --timestamps` against an
// in-process console server that negotiates telnet options, colours its
// prompt and pages its message of the day.
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli, type CliIo } from '../../src/cli/index.js';

const IAC = 255;
let server: Server | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await new Promise<void>((resolve) =>
    server === undefined ? resolve() : server.close(() => resolve()),
  );
  server = undefined;
});

function consoleServer(received: number[]): Promise<number> {
  server = createServer((socket) => {
    socket.on('error', () => {});
    socket.write(Buffer.from([IAC, 253, 1, IAC, 251, 3]));
    socket.write('Router\r\n\x1b[1mlog\x1b[0min: ');
    socket.on('data', (chunk: Buffer) => {
      received.push(...chunk);
      const text = chunk.toString('latin1');
      if (text.includes('ppp\r')) socket.write('motd line 1\r\n--More--');
      if (text.includes(' ')) socket.end('\r\nRouter# ');
    });
  });
  return new Promise((resolve) => {
    server?.listen(0, '127.0.0.1', () => {
      const address = server?.address();
      resolve(typeof address === 'object' && address !== null ? address.port : 0);
    });
  });
}

describe('netrx chat for consoles', () => {
  it('refuses telnet options, matches through colours, answers the pager, timestamps the -v lines', async () => {
    const received: number[] = [];
    const port = await consoleServer(received);
    let stderr = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('latin1');
      return true;
    });
    const io: CliIo = {
      out: () => {},
      err: (l) => (stderr += `${l}\n`),
      untilStopped: () => Promise.resolve(),
    };
    const code = await runCli(
      ['chat', '-v', '-s', '--fast', '--telnet', '--strip-ansi', '--pager', '--timestamps',
        '--port', `tcp:127.0.0.1:${port}`, '-t', '5', '--', 'login:', 'ppp', 'Router#', '\\c'],
      io,
    ); // prettier-ignore
    vi.restoreAllMocks();
    expect(code).toBe(0);
    expect(received).toEqual([IAC, 252, 1, IAC, 254, 3, ...Buffer.from('ppp\r'), 0x20]);
    const lines = stderr.split('\n').filter((l) => l !== '');
    expect(lines.every((l) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /.test(l))).toBe(true);
    expect(lines.map((l) => l.slice(25))).toEqual(
      expect.arrayContaining(['expect (login:)', 'pager ( )', 'send (ppp^M)', ' -- got it']),
    );
  });
});
