// `netrx capture serve --ws-port` | `netrx capture tail ws:// wss://` in-process:
// real sockets, the synthetic provider, demo certificates written by `certs demo`.
import { mkdtempSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '../../cli/index.js';
import { readCapture } from '../../wire/index.js';
import { DEMO_SERVER_NAME } from '../certs/index.js';

const TOKEN = 'a-capture-token-of-32-characters';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const cli: CliIo = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    untilStopped: () => stopped,
  };
  return { out, err, stop, cli };
}

async function until(condition: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const SYNTHETIC = ['--synthetic', '2000', '--synthetic-count', '300', '--timer-ms', '100'];

async function serveAndTail(serveArgs: string[], tailArgs: (url: string) => string[]) {
  const serve = io();
  const serving = runCli(['capture', 'serve', '--session', 'demo', ...serveArgs], serve.cli);
  await until(() => serve.out.includes('ready') || serve.err.length > 0);
  const url = /(wss?:\/\/[^ ]+)/.exec(serve.out.join('\n'))?.[1];
  expect(url, serve.err.join('\n')).toBeDefined();
  const tail = io();
  const tailing = runCli(['capture', 'tail', ...tailArgs(url as string)], tail.cli);
  await until(() => tail.out.length >= 300 || tail.err.length > 0);
  tail.stop();
  const tailCode = await tailing;
  serve.stop();
  expect(await serving).toBe(0);
  return { tail, tailCode, serve };
}

describe('netrx capture serve --ws-port | tail ws://', () => {
  it('prints the same lines as the RPC tail, writes pcapng; delivered + lost = generated', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netrx-ws-tail-'));
    const { tail, tailCode, serve } = await serveAndTail(
      ['--ws-port', '0', '--ws-token', TOKEN, ...SYNTHETIC],
      (url) => [url, '--session', 'demo', '--token', TOKEN, '--pcapng', join(dir, 'out.pcapng')],
    );
    expect(tailCode).toBe(0);
    expect(serve.out.join('\n')).toContain('(bearer token required)');
    const seqs = tail.out.map((line) => Number(/seq (\d+)/.exec(line)?.[1]));
    expect(seqs).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(tail.out[299]).toMatch(/\[received 300, lost 0\]$/);
    expect(tail.err.join('\n')).toContain('received 300, lost 0, 0 packets written');
    expect(readCapture(readFileSync(join(dir, 'out.pcapng'))).ok).toBe(true);
  });

  it('wss:// with certificates from `netrx certs demo` and the token from NETRX_CAPTURE_TOKEN', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netrx-ws-certs-'));
    const certs = io();
    expect(await runCli(['certs', 'demo', '--out', dir], certs.cli)).toBe(0);
    process.env['NETRX_CAPTURE_TOKEN'] = TOKEN;
    try {
      const { tail, tailCode } = await serveAndTail(
        [
          '--ws-port',
          '0',
          '--tls-cert',
          join(dir, 'server.pem'),
          '--tls-key',
          join(dir, 'server-key.pem'),
          ...SYNTHETIC,
        ],
        (url) => [
          url,
          '--session',
          'demo',
          '--ca',
          join(dir, 'ca.pem'),
          '--servername',
          DEMO_SERVER_NAME,
        ],
      );
      expect(tail.err.join('\n')).not.toContain('failed');
      expect(tailCode).toBe(0);
      expect(tail.out[299]).toMatch(/\[received 300, lost 0\]$/);
    } finally {
      delete process.env['NETRX_CAPTURE_TOKEN'];
    }
  });

  it('a wrong token: tail exits 1 with the 401', async () => {
    const serve = io();
    const serving = runCli(
      ['capture', 'serve', '--session', 'demo', '--ws-port', '0', '--ws-token', TOKEN],
      serve.cli,
    );
    await until(() => serve.out.includes('ready'));
    const url = /(ws:\/\/[^ ]+)/.exec(serve.out.join('\n'))?.[1] as string;
    const tail = io();
    expect(
      await runCli(
        ['capture', 'tail', url, '--session', 'demo', '--token', 'x'.repeat(20)],
        tail.cli,
      ),
    ).toBe(1);
    expect(tail.err.join('\n')).toContain('401');
    serve.stop();
    await serving;
  });

  it('refuses a public bind without TLS, ws:// to a public host, and stray flags', async () => {
    const serve = io();
    expect(
      await runCli(
        [
          'capture',
          'serve',
          '--session',
          'x',
          '--ws-port',
          '0',
          '--ws-host',
          '0.0.0.0',
          '--ws-token',
          TOKEN,
        ],
        serve.cli,
      ),
    ).toBe(1);
    expect(serve.err.join('\n')).toContain('not loopback: that needs TLS');
    const noToken = io();
    expect(
      await runCli(['capture', 'serve', '--session', 'x', '--ws-port', '0'], noToken.cli),
    ).toBe(1);
    expect(noToken.err.join('\n')).toContain('needs a bearer token');
    const tail = io();
    expect(await runCli(['capture', 'tail', 'ws://10.1.2.3:9', '--session', 'x'], tail.cli)).toBe(
      2,
    );
    expect(tail.err.join('\n')).toContain('ws:// is for loopback only');
    const stray = io();
    expect(
      await runCli(
        [
          'capture',
          'serve',
          '--session',
          'x',
          '--rpc-port',
          '0',
          '--insecure-no-auth',
          '--ws-token',
          TOKEN,
        ],
        stray.cli,
      ),
    ).toBe(2);
    expect(stray.err.join('\n')).toContain('--ws-token needs --ws-port');
  });

  it('--ws-max-per-address caps sockets per address (429); the flags need --ws-port', async () => {
    const serve = io();
    const serving = runCli(
      [
        'capture',
        'serve',
        '--session',
        'demo',
        '--ws-port',
        '0',
        '--ws-token',
        TOKEN,
        '--ws-max-per-address',
        '1',
        '--ws-keepalive-ms',
        '0',
      ],
      serve.cli,
    );
    await until(() => serve.out.includes('ready'));
    const port = Number(/ws:\/\/127\.0\.0\.1:(\d+)/.exec(serve.out.join('\n'))?.[1]);
    const first = connect({ host: '127.0.0.1', port });
    await new Promise((resolve) => first.once('connect', resolve));
    const second = connect({ host: '127.0.0.1', port });
    second.on('error', () => undefined);
    let answer = '';
    second.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    await new Promise((resolve) => second.once('close', resolve));
    expect(answer).toMatch(/^HTTP\/1\.1 429 Too Many Requests\r\n/);
    first.destroy();
    serve.stop();
    expect(await serving).toBe(0);
    for (const [flag, value] of [
      ['--ws-max-per-address', '4'],
      ['--ws-keepalive-ms', '1000'],
      ['--ws-keepalive-timeout-ms', '1000'],
    ] as const) {
      const stray = io();
      expect(
        await runCli(
          [
            'capture',
            'serve',
            '--session',
            'x',
            '--rpc-port',
            '0',
            '--insecure-no-auth',
            flag,
            value,
          ],
          stray.cli,
        ),
      ).toBe(2);
      expect(stray.err.join('\n')).toContain(`${flag} needs --ws-port`);
    }
    const bad = io();
    expect(
      await runCli(
        ['capture', 'serve', '--session', 'x', '--ws-port', '0', '--ws-max-per-address', '0'],
        bad.cli,
      ),
    ).toBe(2);
    // A pong deadline as long as the ping interval would cut live clients (M7): refused.
    const late = io();
    expect(
      await runCli(
        [
          'capture',
          'serve',
          '--session',
          'x',
          '--ws-port',
          '0',
          '--insecure-no-auth',
          '--ws-keepalive-ms',
          '1000',
          '--ws-keepalive-timeout-ms',
          '5000',
        ],
        late.cli,
      ),
    ).toBe(2);
    expect(late.err.join('\n')).toContain(
      '--ws-keepalive-timeout-ms (5000) must be less than --ws-keepalive-ms (1000)',
    );
  });
});
