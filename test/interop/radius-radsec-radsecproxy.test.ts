/**
 * radsecproxy 1.9.2 (Debian), a RadSec implementation nobody here wrote, as
 * the RadSec client of `netrx radius serve --radsec`: eapol_test
 * (wpa_supplicant 2.10) sends UDP RADIUS to radsecproxy on 127.0.0.1, which
 * forwards it over one mutual-TLS connection (the `netrx certs demo` client
 * certificate, the server's checked by SubjectAltName) to netrx. PEAPv0,
 * TTLS/PAP and EAP-TLS succeed with MPPE keys OK (re-encrypted by
 * radsecproxy for the UDP secret), the Accept names the inner identity,
 * radsecproxy's Status-Server keepalives are answered, and a radsecproxy
 * with a certificate of another CA is refused by netrx (traced
 * `radsec refused reason=tls:…`). Processes are stopped by their PIDs.
 *
 * The same through `--workers 2` (RadSec served by the worker pool): via
 * radsecproxy, eapol_test's PEAP and EAP-TLS get MPPE keys OK; the netrx
 * RadSec client (`radius test --radsec`) completes PEAP and EAP-TLS with
 * matching keys; and the server's exit line shows later rounds routed by
 * State (the requests went through the pool, not the receiving thread).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandExists, requirePeers, versionOf } from './support/peers.js';
import { ran, stopped, watched, type Watched } from './support/processes.js';
import { startRadsecNetrx } from './support/radsec-netrx.js';

const root = resolve(import.meta.dirname, '..', '..');
const main = join(root, 'dist', 'cli', 'main.js');
const SECRET = 'interop-radsecproxy-udp';
const RECORDED = { radsecproxy: '1.9.2-2+deb12u1', eapoltest: '2:2.10-12+deb12u3' };

const peers = requirePeers('radius-radsec-radsecproxy interop', [
  {
    name: 'radsecproxy',
    ok: () => commandExists('radsecproxy'),
    hint: 'apt-get install radsecproxy',
  },
  { name: 'eapol_test', ok: () => commandExists('eapol_test'), hint: 'apt-get install eapoltest' },
]);
const installed = spawnSync('dpkg-query', ['-W', '-f', '${Version}', 'radsecproxy'], {
  encoding: 'utf8',
}).stdout.trim();
console.info(`peers: radsecproxy ${installed || 'unknown'}, ${versionOf('eapol_test', ['-v'])}`);
if (installed !== '' && installed !== RECORDED.radsecproxy) {
  console.warn(`[netrx interop] radsecproxy is ${installed}; checked with ${RECORDED.radsecproxy}`);
}

function lastLine(text: string): string {
  return text.trimEnd().split('\n').at(-1)?.trim() ?? '';
}

/** radsecproxy -f on a random loopback UDP port, forwarding every realm to netrx over TLS. */
async function startRadsecproxy(
  dir: string,
  certs: string,
  netrxPort: number,
  name: string,
): Promise<{ proxy: Watched; port: number }> {
  let last = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    const conf = join(dir, `${name}-${attempt}.conf`);
    writeFileSync(
      conf,
      [
        `ListenUDP 127.0.0.1:${port}`,
        'LogLevel 4',
        `tls netrx {`,
        `    CACertificateFile ${join(certs, 'ca.pem')}`,
        `    CertificateFile ${join(certs, 'client.pem')}`,
        `    CertificateKeyFile ${join(certs, 'client-key.pem')}`,
        '}',
        'client 127.0.0.1 {',
        '    type udp',
        `    secret ${SECRET}`,
        '}',
        'server netrx {',
        '    type tls',
        '    host 127.0.0.1',
        `    port ${netrxPort}`,
        '    secret radsec',
        '    tls netrx',
        // The address is not in the certificate; its DNS name is.
        '    CertificateNameCheck off',
        '    MatchCertificateAttribute SubjectAltName:DNS:/^radius\\.netrx\\.test$/',
        '    StatusServer on',
        '}',
        'realm * {',
        '    server netrx',
        '}',
        '',
      ].join('\n'),
    );
    const proxy = watched('radsecproxy', ['-f', '-d', '4', '-c', conf]);
    try {
      await proxy.until(/listening for udp on 127\.0\.0\.1:\d+/, 10_000);
      return { proxy, port };
    } catch (error) {
      await stopped(proxy);
      last = (error as Error).message;
      if (!/in use/i.test(proxy.text())) break;
    }
  }
  throw new Error(`radsecproxy did not start: ${last}`);
}

function networkConfig(dir: string, certs: string, name: string, lines: readonly string[]) {
  const file = join(dir, `${name}.conf`);
  writeFileSync(
    file,
    [
      'network={',
      '  key_mgmt=WPA-EAP',
      `  ca_cert="${join(certs, 'ca.pem')}"`,
      ...lines,
      '}',
      '',
    ].join('\n'),
  );
  return file;
}

const eapolTestTo = (file: string, port: number) =>
  ran('eapol_test', ['-c', file, '-a', '127.0.0.1', '-p', String(port), '-s', SECRET, '-t', '10']);

describe.skipIf(peers.skip)(
  'radsecproxy and netrx radius test --radsec to netrx --workers 2',
  () => {
    let dir: string;
    let certs: string;
    let netrx: Watched | undefined;
    let netrxPort: number;
    let proxy: Watched | undefined;
    let port: number;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'eap-radsec-workers-'));
      ({ certs, netrx, netrxPort } = await startRadsecNetrx(
        dir,
        'radsecproxy',
        ['--workers', '2'],
        /^listening on radsec tls 127\.0\.0\.1:(\d+).*, 2 workers$/m,
      ));
      ({ proxy, port } = await startRadsecproxy(dir, certs, netrxPort, 'workers'));
    }, 60_000);

    afterAll(async () => {
      await stopped(proxy);
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    });

    const radsecTest = (method: string, extra: readonly string[] = []) =>
      ran(process.execPath, [
        main,
        'radius',
        'test',
        '--radsec',
        '--server',
        `127.0.0.1:${netrxPort}`,
        '--certs',
        certs,
        '--server-name',
        'radius.netrx.test',
        '--method',
        method,
        '--user',
        'bob:hello',
        '--timeout',
        '8000',
        ...extra,
      ]);

    it('eapol_test via radsecproxy: PEAP and EAP-TLS, MPPE keys OK, SUCCESS (several runs: both workers)', async () => {
      for (let i = 0; i < 3; i++) {
        const peap = await eapolTestTo(
          networkConfig(dir, certs, 'peap', [
            '  eap=PEAP',
            '  identity="bob"',
            '  anonymous_identity="anonymous"',
            '  password="hello"',
            '  domain_suffix_match="netrx.test"',
            '  phase1="peaplabel=0"',
            '  phase2="auth=MSCHAPV2"',
          ]),
          port,
        );
        expect(peap.text).toContain('MPPE keys OK: 1  mismatch: 0');
        expect(lastLine(peap.text)).toBe('SUCCESS');
        const tls = await eapolTestTo(
          networkConfig(dir, certs, 'tls', [
            '  eap=TLS',
            '  identity="bob"',
            `  client_cert="${join(certs, 'client.pem')}"`,
            `  private_key="${join(certs, 'client-key.pem')}"`,
          ]),
          port,
        );
        expect(tls.text).toContain('MPPE keys OK: 1  mismatch: 0');
        expect(lastLine(tls.text)).toBe('SUCCESS');
      }
    }, 120_000);

    it('netrx radius test --radsec: PEAP and EAP-TLS, keys match, SUCCESS', async () => {
      for (const [i, method] of ['peap', 'tls', 'peap', 'tls'].entries()) {
        // Status-Server (RFC 5997) goes through the pool too: answered by a worker.
        const run = await radsecTest(method, i === 0 ? ['--status-server'] : []);
        if (i === 0) expect(run.text).toMatch(/^Status-Server answered$/m);
        expect(run.text, method).toMatch(/^MPPE keys match$/m);
        expect(run.text, method).toMatch(/^SUCCESS$/m);
        expect(run.code, method).toBe(0);
      }
    }, 120_000);

    it('the rounds went through the pool: routed by State, none lost, none dropped', async () => {
      await stopped(netrx);
      const text = netrx?.text() ?? '';
      const summary =
        /(\d+) accepted, (\d+) rejected, (\d+) dropped; 2 workers, (\d+) restarts, (\d+) conversations lost, (\d+) routed by State \((\d+) to another worker/.exec(
          text,
        );
      expect(summary, text).not.toBeNull();
      const [, accepted, rejected, dropped, restarts, lost, byState] = (summary ?? []).map(Number);
      expect(accepted).toBe(10);
      expect(rejected).toBe(0);
      expect(dropped).toBe(0);
      expect(restarts).toBe(0);
      expect(lost).toBe(0);
      // PEAP and EAP-TLS take 6 or more later rounds each.
      expect(byState).toBeGreaterThanOrEqual(60);
    }, 30_000);
  },
);

describe.skipIf(peers.skip)(
  'radsecproxy forwarding eapol_test to netrx radius serve --radsec',
  () => {
    let dir: string;
    let certs: string;
    let netrx: Watched | undefined;
    let netrxPort: number;
    let proxy: Watched | undefined;
    let port: number;

    const config = (name: string, lines: readonly string[]) => {
      const file = join(dir, `${name}.conf`);
      writeFileSync(
        file,
        [
          'network={',
          '  key_mgmt=WPA-EAP',
          `  ca_cert="${join(certs, 'ca.pem')}"`,
          ...lines,
          '}',
          '',
        ].join('\n'),
      );
      return file;
    };
    const eapolTest = (file: string, to = port) =>
      ran('eapol_test', [
        '-c',
        file,
        '-a',
        '127.0.0.1',
        '-p',
        String(to),
        '-s',
        SECRET,
        '-t',
        '10',
      ]);

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'netrx-radsecproxy-'));
      ({ certs, netrx, netrxPort } = await startRadsecNetrx(dir, 'radsecproxy'));
      ({ proxy, port } = await startRadsecproxy(dir, certs, netrxPort, 'good'));
      console.info(`peers: ${/radsecproxy [\d.]+/.exec(proxy.text())?.[0] ?? 'radsecproxy ?'}`);
    }, 60_000);

    afterAll(async () => {
      await stopped(proxy);
      await stopped(netrx);
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    });

    it('PEAPv0/EAP-MSCHAPv2 (anonymous outer identity): MPPE keys OK, SUCCESS, the Accept names bob', async () => {
      const run = await eapolTest(
        config('peap', [
          '  eap=PEAP',
          '  identity="bob"',
          '  anonymous_identity="anonymous"',
          '  password="hello"',
          '  domain_suffix_match="netrx.test"',
          '  phase1="peaplabel=0"',
          '  phase2="auth=MSCHAPV2"',
        ]),
      );
      expect(run.text).toContain('MPPE keys OK: 1  mismatch: 0');
      const accept = run.text.split(/code=2 \(Access-Accept\)/)[1] ?? '';
      expect(accept).toMatch(/^[^]*?\(User-Name\) length=5\n\s*Value: 'bob'/);
      expect(lastLine(run.text)).toBe('SUCCESS');
      expect(netrx?.text()).toMatch(
        /^radsec accepted address=127\.0\.0\.1 port=\d+ client=radsecproxy protocol=TLSv1\.[23] subject=bob$/m,
      );
    }, 30_000);

    it('TTLS/PAP and EAP-TLS: MPPE keys OK, SUCCESS; a wrong password: FAILURE', async () => {
      const ttls = await eapolTest(
        config('ttls', [
          '  eap=TTLS',
          '  identity="bob"',
          '  anonymous_identity="anonymous"',
          '  password="hello"',
          '  phase2="auth=PAP"',
        ]),
      );
      expect(ttls.text).toContain('MPPE keys OK: 1  mismatch: 0');
      expect(lastLine(ttls.text)).toBe('SUCCESS');
      const tls = await eapolTest(
        config('tls', [
          '  eap=TLS',
          '  identity="bob"',
          `  client_cert="${join(certs, 'client.pem')}"`,
          `  private_key="${join(certs, 'client-key.pem')}"`,
        ]),
      );
      expect(tls.text).toContain('MPPE keys OK: 1  mismatch: 0');
      expect(lastLine(tls.text)).toBe('SUCCESS');
      const wrong = await eapolTest(
        config('ttls-wrong', [
          '  eap=TTLS',
          '  identity="bob"',
          '  password="wrong"',
          '  phase2="auth=PAP"',
        ]),
      );
      expect(lastLine(wrong.text)).toBe('FAILURE');
    }, 60_000);

    it('a radsecproxy with a certificate of another CA is refused (radsec refused reason=tls:…)', async () => {
      const rogue = join(dir, 'rogue');
      expect((await ran(process.execPath, [main, 'certs', 'demo', '--out', rogue])).code).toBe(0);
      // Trusts our CA for the server, shows a client certificate of its own CA.
      const mixed = join(dir, 'mixed');
      spawnSync('mkdir', ['-p', mixed]);
      for (const [from, file] of [
        [certs, 'ca.pem'],
        [rogue, 'client.pem'],
        [rogue, 'client-key.pem'],
      ] as const)
        spawnSync('cp', [join(from, file), join(mixed, file)]);
      const bad = await startRadsecproxy(dir, mixed, netrxPort, 'rogue');
      try {
        await eapolTest(
          config('md5', [
            '  key_mgmt=IEEE8021X',
            '  eap=MD5',
            '  identity="bob"',
            '  password="hello"',
          ]),
          bad.port,
        );
        await netrx?.until(/^radsec refused reason=tls:\S+/m, 10_000).catch((error: unknown) => {
          console.log(bad.proxy.text());
          throw error;
        });
      } finally {
        await stopped(bad.proxy);
      }
    }, 60_000);
  },
);
