// `netrx radius test` stops when asked (Ctrl-C, SIGTERM: main.ts resolves
// untilStopped). Regression: it never looked, so a conversation waiting on a
// silent server (or, before the RadiusEapClient fix, on a peer that had
// ended) kept the process alive through SIGTERM.
import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '../../src/cli/index.js';

describe('netrx radius test', () => {
  it('ends with FAILURE: stopped, exit 1, when stopped while the server is silent', async () => {
    const silent = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    let received = 0;
    let stop: () => void = () => {};
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    // Stop once the first Access-Request arrived: the conversation is under way.
    silent.on('message', () => {
      received++;
      stop();
    });
    const out: string[] = [];
    const io: CliIo = {
      out: (l) => out.push(l),
      err: (l) => out.push(l),
      untilStopped: () => stopped,
    };
    try {
      const code = await runCli(
        [
          'radius',
          'test',
          '--server',
          `127.0.0.1:${silent.address().port}`,
          '--secret',
          's',
          '--method',
          'md5',
          '--user',
          'bob:hello',
          '--timeout',
          '600000',
        ],
        io,
      );
      expect(code).toBe(1);
      expect(received).toBe(1);
      expect(out.at(-1)).toBe('FAILURE: stopped');
    } finally {
      silent.close();
    }
  }, 10_000);
});
