// `netrx radius serve --tls-resume SECONDS`: usage errors before anything
// listens (the option needs --certs, a number of seconds, one worker).
import { describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '../../src/cli/index.js';

async function serve(args: readonly string[]): Promise<{ code: number; text: string }> {
  const lines: string[] = [];
  const io: CliIo = {
    out: (l) => lines.push(l),
    err: (l) => lines.push(l),
    untilStopped: () => Promise.resolve(),
  };
  const code = await runCli(
    ['radius', 'serve', '--port', '0', '--secret', 's', '--user', 'bob:hello', ...args],
    io,
  );
  return { code, text: lines.join('\n') };
}

describe('netrx radius serve --tls-resume', () => {
  it('needs --certs', async () => {
    const run = await serve(['--tls-resume', '60']);
    expect(run.code).toBe(2);
    expect(run.text).toContain('--tls-resume needs --certs DIR');
  });
  it('takes whole seconds', async () => {
    const run = await serve(['--tls-resume', 'soon']);
    expect(run.code).toBe(2);
    expect(run.text).toContain('--tls-resume');
  });
  it('refuses methods without tls: PEAP and TTLS never resume', async () => {
    for (const methods of ['peap', 'peap,ttls-pap,md5']) {
      const run = await serve([
        '--tls-resume',
        '60',
        '--certs',
        '/nonexistent',
        '--methods',
        methods,
      ]);
      expect(run.code).toBe(2);
      expect(run.text).toContain('--tls-resume resumes EAP-TLS sessions only');
    }
  });
  it('refuses more than one worker (the session cache is per process)', async () => {
    const run = await serve(['--tls-resume', '60', '--certs', '/nonexistent', '--workers', '2']);
    expect(run.code).toBe(2);
    expect(run.text).toContain('--tls-resume with --workers');
  });
});
