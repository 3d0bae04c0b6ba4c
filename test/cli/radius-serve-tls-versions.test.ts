// `netrx radius serve --tls-min-version/--tls-max-version`: the checks of
// `netrx up`'s radius.tls.minVersion/maxVersion (TLSv1.2 or TLSv1.3, min not
// above max, only with --certs) as usage errors before anything listens;
// the versions reach the TLS methods (the netrx peer, offering 1.2 to 1.3,
// names the version it got), and the tls line shows them with the
// certificate's subject and expiry, never the key.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '../../src/cli/index.js';
import { writeDemoCertificates } from '../../src/node/certs/index.js';

const certs = mkdtempSync(join(tmpdir(), 'netrx-serve-tls-versions-'));
beforeAll(async () => {
  await writeDemoCertificates(certs);
});

function io(lines: string[], untilStopped: () => Promise<void> = () => Promise.resolve()): CliIo {
  return { out: (l) => lines.push(l), err: (l) => lines.push(l), untilStopped };
}

const SERVE = ['radius', 'serve', '--port', '0', '--secret', 's', '--user', 'bob:hello'];

async function serve(args: readonly string[]): Promise<{ code: number; text: string }> {
  const lines: string[] = [];
  const code = await runCli([...SERVE, ...args], io(lines));
  return { code, text: lines.join('\n') };
}

describe('netrx radius serve --tls-min-version / --tls-max-version', () => {
  it('takes TLSv1.2 or TLSv1.3 only', async () => {
    const run = await serve(['--certs', certs, '--tls-min-version', '1.0']);
    expect(run.code).toBe(2);
    expect(run.text).toContain('--tls-min-version: expected TLSv1.2 or TLSv1.3, got "1.0"');
    const max = await serve(['--certs', certs, '--tls-max-version', 'TLSv1.4']);
    expect(max.code).toBe(2);
    expect(max.text).toContain('--tls-max-version: expected TLSv1.2 or TLSv1.3');
  });

  it('refuses a minimum above the maximum', async () => {
    const run = await serve([
      ...['--certs', certs, '--tls-min-version', 'TLSv1.3', '--tls-max-version', 'TLSv1.2'],
    ]);
    expect(run.code).toBe(2);
    expect(run.text).toContain('--tls-min-version TLSv1.3 is above --tls-max-version TLSv1.2');
  });

  it('needs --certs', async () => {
    const run = await serve(['--tls-max-version', 'TLSv1.2']);
    expect(run.code).toBe(2);
    expect(run.text).toContain('--tls-max-version needs --certs DIR');
  });

  for (const [flags, version] of [
    [['--tls-max-version', 'TLSv1.2'], 'TLSv1.2'],
    [['--tls-min-version', 'TLSv1.3'], 'TLSv1.3'],
  ] as const) {
    it(`${flags.join(' ')}: EAP-TLS runs ${version}, and the tls line says so`, async () => {
      const lines: string[] = [];
      let stop = () => {};
      const stopped = new Promise<void>((resolve) => (stop = resolve));
      let ready = () => {};
      const isReady = new Promise<void>((resolve) => (ready = resolve));
      const serving = runCli(
        [...SERVE, '--methods', 'tls', '--certs', certs, ...flags],
        io(lines, () => {
          ready();
          return stopped;
        }),
      );
      await isReady;
      const port = /udp 127\.0\.0\.1:(\d+)/.exec(lines.join('\n'))?.[1];
      const tlsLine = lines.find((l) => l.startsWith('tls '));
      expect(tlsLine).toMatch(
        new RegExp(
          `^tls ${flags[1] === 'TLSv1.2' ? 'TLSv1.2-TLSv1.2' : 'TLSv1.3-TLSv1.3'}, resumption off, certificate .*CN=radius\\.netrx\\.test.* valid until \\d{4}-`,
        ),
      );
      expect(lines.join('\n')).not.toMatch(/PRIVATE KEY|BEGIN/);
      const peer: string[] = [];
      const code = await runCli(
        [
          ...['radius', 'test', '--server', `127.0.0.1:${port ?? ''}`, '--secret', 's'],
          ...['--method', 'tls', '--user', 'bob:hello', '--certs', certs],
        ],
        io(peer, () => new Promise<void>(() => {})), // `radius test` ends when stopped
      );
      stop();
      expect(await serving).toBe(0);
      expect(`${code} ${peer.join('\n')}`).toMatch(/^0 /);
      expect(peer.join('\n')).toContain(`(${version})`);
    });
  }
});
