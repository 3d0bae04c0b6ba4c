// `--batch-bytes` / `--batch-events` on `netrx capture publish`, and
// `--batch-bytes` on `netrx capture serve` (issue #16): a value out of range
// is a usage error naming the flag and its range, found before anything
// connects (the NATS URL here answers nothing). What a good value does to
// the stream is proven against nats-server in test/interop/nats-batch-cut.test.ts.
import { describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '../../src/cli/index.js';
import { capturePublishCommand } from '../../src/cli/commands/capture-nats.js';
import { captureServeCommand } from '../../src/cli/commands/capture-serve.js';

async function run(args: string[]): Promise<{ code: number; err: string }> {
  const err: string[] = [];
  const io: CliIo = {
    out: () => {},
    err: (l) => err.push(l),
    untilStopped: () => Promise.resolve(),
  };
  const code = await runCli(args, io);
  return { code, err: err.join('\n') };
}

// Port 9 on loopback (discard): nothing is listening, and nothing may be contacted.
const NOWHERE = 'nats://127.0.0.1:9';
const publish = ['capture', 'publish', '--nats', NOWHERE, '--host', 'lab-1', '--session', 'lab'];
const serve = ['capture', 'serve', '--session', 'lab', '--rpc-port', '0', '--insecure-no-auth'];

describe('capture publish --batch-bytes / --batch-events (issue #16)', () => {
  it.each([
    ['--batch-bytes', '8191', '--batch-bytes: expected an integer from 8192 to 65536, got "8191"'],
    [
      '--batch-bytes',
      '65537',
      '--batch-bytes: expected an integer from 8192 to 65536, got "65537"',
    ],
    [
      '--batch-bytes',
      '32KiB',
      '--batch-bytes: expected an integer from 8192 to 65536, got "32KiB"',
    ],
    ['--batch-events', '0', '--batch-events: expected an integer from 1 to 65536, got "0"'],
    ['--batch-events', '65537', '--batch-events: expected an integer from 1 to 65536, got "65537"'],
  ])('%s %s is a usage error naming the flag and its range', async (flag, value, message) => {
    const { code, err } = await run([...publish, flag, value]);
    expect(code).toBe(2);
    expect(err).toContain(message);
  });

  it('the usage lines name the flags', () => {
    expect(capturePublishCommand.usage).toContain('[--batch-bytes N] [--batch-events N]');
    expect(captureServeCommand.usage).toContain('[--batch-bytes N]');
  });
});

describe('capture serve --batch-bytes (issue #16)', () => {
  it('is a usage error out of range, naming the flag and its range', async () => {
    const { code, err } = await run([...serve, '--nats', NOWHERE, '--batch-bytes', '70000']);
    expect(code).toBe(2);
    expect(err).toContain('--batch-bytes: expected an integer from 8192 to 65536, got "70000"');
  });

  it('needs --nats (it sizes a stream this server creates)', async () => {
    const { code, err } = await run([...serve, '--batch-bytes', '32768']);
    expect(code).toBe(2);
    expect(err).toContain('--batch-bytes needs --nats');
  });
});
