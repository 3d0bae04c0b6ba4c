/**
 * eapol_test (Debian eapoltest, wpa_supplicant 2.10), a RADIUS/EAP peer
 * nobody here wrote, against `netrx radius serve` from dist/ on 127.0.0.1 and
 * a kernel-chosen port: EAP-MD5 (`-n`: MD5 derives no keys, so there are no
 * MPPE keys to compare), EAP-MSCHAPv2 with the MS-MPPE keys checked by
 * eapol_test against its own MSK, a wrong password, and MSCHAPv2 against a
 * users file holding only the NT hash; PEAPv0/EAP-MSCHAPv2 (`--certs` from
 * `netrx certs demo`, anonymous outer identity, `peaplabel=0`) with the
 * MS-MPPE keys from the TLS MSK checked by eapol_test, a wrong inner
 * password, TTLS/PAP, and EAP-TLS 1.2 and 1.3 through the same server; with
 * `--tls-resume`, eapol_test's reauthentications (`-r`) resume EAP-TLS
 * sessions (TLS 1.2 session ID, TLS 1.3 ticket) and PEAP runs in full.
 * Versions are printed and compared with the recorded ones.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandExists, requirePeers, versionOf } from './support/peers.js';
import { ran, stopped, watched, type Watched } from './support/processes.js';

const root = resolve(import.meta.dirname, '..', '..');
const main = join(root, 'dist', 'cli', 'main.js');
const SECRET = 'interop-secret';
const RECORDED = { eapoltest: '2:2.10-12+deb12u3' };
/** NT-Password of "hello": MD4 over its UTF-16LE bytes. */
const HELLO_NT_HASH = '066DDFD4EF0E9CD7C256FE77191EF43C';

const peers = requirePeers('radius-eapol-test interop', [
  { name: 'eapol_test', ok: () => commandExists('eapol_test'), hint: 'apt-get install eapoltest' },
]);
const installed = spawnSync('dpkg-query', ['-W', '-f', '${Version}', 'eapoltest'], {
  encoding: 'utf8',
}).stdout.trim();
console.info(`peers: ${versionOf('eapol_test', ['-v'])} (eapoltest ${installed || 'unknown'})`);
if (installed !== '' && installed !== RECORDED.eapoltest) {
  console.warn(`[netrx interop] eapoltest is ${installed}; checked with ${RECORDED.eapoltest}`);
}

const dir = mkdtempSync(join(tmpdir(), 'netrx-radius-eapol-'));

/**
 * PEAPv0 with inner EAP-MSCHAPv2 (or TTLS/PAP), as research/eap.md §4 runs
 * them, checking the server against the demo CA.
 */
function peapConfig(
  certs: string,
  password: string,
  ttls: false | 'PAP' | 'MSCHAPV2' = false,
  /** Let wpa_supplicant 2.10 offer TLS 1.3 for the tunnel (RFC 9427). */
  tls13 = false,
): string {
  const file = join(
    dir,
    `${ttls === false ? 'PEAP' : `TTLS-${ttls}`}-${password}${tls13 ? '-13' : ''}.conf`,
  );
  const v13 = tls13 ? ' tls_disable_tlsv1_3=0' : '';
  writeFileSync(
    file,
    [
      'network={',
      '  key_mgmt=WPA-EAP',
      `  eap=${ttls === false ? 'PEAP' : 'TTLS'}`,
      '  identity="bob"',
      '  anonymous_identity="anonymous"',
      `  password="${password}"`,
      `  ca_cert="${join(certs, 'ca.pem')}"`,
      '  domain_suffix_match="netrx.test"',
      ...(ttls === false
        ? [`  phase1="peaplabel=0${v13}"`]
        : tls13
          ? [`  phase1="${v13.trim()}"`]
          : []),
      ...(ttls === 'PAP'
        ? ['  phase2="auth=PAP"']
        : ttls === 'MSCHAPV2'
          ? ['  phase2="autheap=MSCHAPV2"']
          : ['  phase2="auth=MSCHAPV2"']),
      '}',
      '',
    ].join('\n'),
  );
  return file;
}

/** EAP-TLS with the demo client certificate; `tls13` lets wpa_supplicant 2.10 offer TLS 1.3. */
function tlsConfig(certs: string, tls13: boolean): string {
  const file = join(dir, `TLS-${tls13 ? '13' : '12'}.conf`);
  writeFileSync(
    file,
    [
      'network={',
      '  key_mgmt=WPA-EAP',
      '  eap=TLS',
      '  identity="bob"',
      `  ca_cert="${join(certs, 'ca.pem')}"`,
      `  client_cert="${join(certs, 'client.pem')}"`,
      `  private_key="${join(certs, 'client-key.pem')}"`,
      ...(tls13 ? ['  phase1="tls_disable_tlsv1_3=0"'] : []),
      '}',
      '',
    ].join('\n'),
  );
  return file;
}

function eapConfig(method: 'MD5' | 'MSCHAPV2', password: string): string {
  const file = join(dir, `${method}-${password}.conf`);
  writeFileSync(
    file,
    [
      'network={',
      '  key_mgmt=IEEE8021X',
      `  eap=${method}`,
      '  identity="bob"',
      `  password="${password}"`,
      '  eapol_flags=0',
      '}',
      '',
    ].join('\n'),
  );
  return file;
}

async function serve(source: readonly string[]): Promise<{ server: Watched; port: number }> {
  const server = watched(process.execPath, [
    main,
    'radius',
    'serve',
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--secret',
    SECRET,
    ...source,
  ]);
  const listening = await server.until(/^listening on udp 127\.0\.0\.1:(\d+)/m);
  await server.until(/^ready$/m);
  return { server, port: Number(listening[1]) };
}

async function eapolTest(
  port: number,
  config: string,
  extra: readonly string[] = [],
): Promise<{ code: number | string; text: string }> {
  return ran('eapol_test', [
    '-c',
    config,
    '-a',
    '127.0.0.1',
    '-p',
    String(port),
    '-s',
    SECRET,
    '-t',
    '10',
    ...extra,
  ]);
}

function lastLine(text: string): string {
  return text.trimEnd().split('\n').at(-1)?.trim() ?? '';
}

describe.skipIf(peers.skip)('eapol_test against netrx radius serve', () => {
  describe('with --user bob:hello', () => {
    let server: Watched;
    let port: number;

    beforeAll(async () => {
      ({ server, port } = await serve(['--user', 'bob:hello']));
    });

    afterAll(() => stopped(server));

    it('EAP-MD5 (-n, no keys): SUCCESS, exit 0', async () => {
      const run = await eapolTest(port, eapConfig('MD5', 'hello'), ['-n']);
      expect(run.text).toContain('CTRL-EVENT-EAP-METHOD EAP vendor 0 method 4 (MD5) selected');
      expect(run.text).toContain('CTRL-EVENT-EAP-SUCCESS');
      expect(lastLine(run.text)).toBe('SUCCESS');
      expect(run.code).toBe(0);
    });

    it('EAP-MSCHAPv2: the MS-MPPE keys equal the peer MSK (MPPE keys OK: 1  mismatch: 0), SUCCESS', async () => {
      const run = await eapolTest(port, eapConfig('MSCHAPV2', 'hello'));
      expect(run.text).toContain(
        'CTRL-EVENT-EAP-METHOD EAP vendor 0 method 26 (MSCHAPV2) selected',
      );
      expect(run.text).toContain('MPPE keys OK: 1  mismatch: 0');
      expect(lastLine(run.text)).toBe('SUCCESS');
      expect(run.code).toBe(0);
    });

    it('a wrong password: FAILURE, exit 252', async () => {
      const run = await eapolTest(port, eapConfig('MSCHAPV2', 'wrong'));
      expect(run.text).not.toContain('CTRL-EVENT-EAP-SUCCESS');
      expect(lastLine(run.text)).toBe('FAILURE');
      expect(run.code).toBe(252);
    });
  });

  it('EAP-MSCHAPv2 against a users file with only NT-Password (no cleartext on disk): SUCCESS', async () => {
    const users = join(dir, 'users');
    writeFileSync(users, `# hash only\nbob NT-Password := 0x${HELLO_NT_HASH}\n`);
    const { server, port } = await serve(['--users', users, '--methods', 'mschapv2']);
    try {
      const run = await eapolTest(port, eapConfig('MSCHAPV2', 'hello'));
      expect(run.text).toContain('MPPE keys OK: 1  mismatch: 0');
      expect(lastLine(run.text)).toBe('SUCCESS');
      expect(run.code).toBe(0);
      const wrong = await eapolTest(port, eapConfig('MSCHAPV2', 'wrong'));
      expect(lastLine(wrong.text)).toBe('FAILURE');
    } finally {
      await stopped(server);
    }
    expect(server.text()).toMatch(/1 accepted, 1 rejected, 0 dropped/);
  });

  describe('PEAPv0/EAP-MSCHAPv2 with --certs (netrx certs demo)', () => {
    let server: Watched;
    let port: number;
    const certs = join(dir, 'certs');

    beforeAll(async () => {
      const made = await ran(process.execPath, [main, 'certs', 'demo', '--out', certs]);
      expect(made.code).toBe(0);
      ({ server, port } = await serve(['--user', 'bob:hello', '--certs', certs]));
      expect(server.text()).toMatch(/methods md5,mschapv2,peap,ttls-pap,ttls-mschapv2,tls$/m);
    });

    afterAll(() => stopped(server));

    it('PEAP (peaplabel=0, phase2 auth=MSCHAPV2): MPPE keys OK: 1  mismatch: 0, SUCCESS', async () => {
      const run = await eapolTest(port, peapConfig(certs, 'hello'));
      expect(run.text).toContain('CTRL-EVENT-EAP-METHOD EAP vendor 0 method 25 (PEAP) selected');
      expect(run.text).toContain('EAP-PEAP: Using PEAP version 0');
      expect(run.text).toContain("EAP-PEAP: using label 'client EAP encryption' in key derivation");
      expect(run.text).toContain('EAP-PEAP: Selected Phase 2 EAP vendor 0 method 26');
      expect(run.text).toContain('EAP-TLV: TLV Result - Success');
      // The anonymous outer identity goes to RADIUS; the inner one is only in the tunnel,
      // until the Access-Accept names the user it authenticated (User-Name "bob").
      expect(run.text).toMatch(/\(User-Name\) length=11\n\s*Value: 'anonymous'/);
      const [requests = '', accept = ''] = run.text.split(/code=2 \(Access-Accept\)/);
      expect(requests).not.toMatch(/\(User-Name\) length=5\n/); // never "bob" before the Accept
      expect(accept).toMatch(/^[^]*?\(User-Name\) length=5\n\s*Value: 'bob'/);
      expect(run.text).toContain('MPPE keys OK: 1  mismatch: 0');
      expect(lastLine(run.text)).toBe('SUCCESS');
      expect(run.code).toBe(0);
    });

    it.each([
      ['PEAP', false],
      ['TTLS/PAP', 'PAP'],
      ['TTLS/EAP-MSCHAPv2', 'MSCHAPV2'],
    ] as const)(
      '%s over TLS 1.3 (RFC 9427 exporter keys): MPPE keys OK: 1  mismatch: 0, SUCCESS',
      async (_name, ttls) => {
        const run = await eapolTest(port, peapConfig(certs, 'hello', ttls, true));
        // The first line is the configured maximum; the later ones what was negotiated.
        expect(run.text.match(/SSL: Using TLS version TLSv1\.\d/g)?.slice(1)).toContain(
          'SSL: Using TLS version TLSv1.3',
        );
        expect(run.text).not.toContain('SSL: Using TLS version TLSv1.2');
        if (ttls === false) {
          expect(run.text).toContain(
            "EAP-PEAP: using label 'EXPORTER_EAP_TLS_Key_Material' in key derivation",
          );
        }
        expect(run.text).toContain('MPPE keys OK: 1  mismatch: 0');
        expect(lastLine(run.text)).toBe('SUCCESS');
        expect(run.code).toBe(0);
      },
    );

    it('TTLS/PAP: MPPE keys OK: 1  mismatch: 0, SUCCESS; a wrong password: Access-Reject, FAILURE', async () => {
      const run = await eapolTest(port, peapConfig(certs, 'hello', 'PAP'));
      expect(run.text).toContain('CTRL-EVENT-EAP-METHOD EAP vendor 0 method 21 (TTLS) selected');
      expect(run.text).toContain('EAP-TTLS: Phase 2 PAP Request');
      expect(run.text).toContain('MPPE keys OK: 1  mismatch: 0');
      expect(lastLine(run.text)).toBe('SUCCESS');
      expect(run.code).toBe(0);
      const wrong = await eapolTest(port, peapConfig(certs, 'wrong', 'PAP'));
      expect(wrong.text).toContain('(Access-Reject)');
      expect(lastLine(wrong.text)).toBe('FAILURE');
      expect(wrong.code).toBe(252);
    });

    it('TTLS/EAP-MSCHAPv2 (autheap): MPPE keys OK: 1  mismatch: 0, SUCCESS; a wrong password: FAILURE', async () => {
      const run = await eapolTest(port, peapConfig(certs, 'hello', 'MSCHAPV2'));
      expect(run.text).toContain('CTRL-EVENT-EAP-METHOD EAP vendor 0 method 21 (TTLS) selected');
      expect(run.text).toContain('EAP-TTLS: Phase 2 EAP Request: type=26');
      expect(run.text).toContain('MPPE keys OK: 1  mismatch: 0');
      expect(lastLine(run.text)).toBe('SUCCESS');
      expect(run.code).toBe(0);
      const wrong = await eapolTest(port, peapConfig(certs, 'wrong', 'MSCHAPV2'));
      expect(wrong.text).toContain('(Access-Reject)');
      expect(lastLine(wrong.text)).toBe('FAILURE');
      expect(wrong.code).toBe(252);
    });

    for (const tls13 of [false, true]) {
      it(`EAP-TLS ${tls13 ? '1.3' : '1.2'} through radius serve --certs: MPPE keys OK: 1  mismatch: 0, SUCCESS`, async () => {
        const run = await eapolTest(port, tlsConfig(certs, tls13));
        expect(run.text).toContain('CTRL-EVENT-EAP-METHOD EAP vendor 0 method 13 (TLS) selected');
        expect(run.text).toContain(`SSL: Using TLS version TLSv1.${tls13 ? 3 : 2}`);
        expect(run.text).toContain('MPPE keys OK: 1  mismatch: 0');
        expect(lastLine(run.text)).toBe('SUCCESS');
        expect(run.code).toBe(0);
      });
    }

    it('a wrong inner password: Result TLV failure, Access-Reject, FAILURE, exit 252', async () => {
      const run = await eapolTest(port, peapConfig(certs, 'wrong'));
      expect(run.text).toContain('EAP-TLV: TLV Result - Failure');
      expect(run.text).toContain('(Access-Reject)');
      expect(run.text).not.toContain('CTRL-EVENT-EAP-SUCCESS');
      expect(lastLine(run.text)).toBe('FAILURE');
      expect(run.code).toBe(252);
    });
  });
});

describe.skipIf(peers.skip)(
  'eapol_test -r (reauthentication) against radius serve --tls-resume',
  () => {
    let server: Watched;
    let port: number;
    const certs = join(dir, 'certs-resume');

    beforeAll(async () => {
      const made = await ran(process.execPath, [main, 'certs', 'demo', '--out', certs]);
      expect(made.code).toBe(0);
      ({ server, port } = await serve([
        '--user',
        'bob:hello',
        '--certs',
        certs,
        '--tls-resume',
        '300',
      ]));
    });

    afterAll(() => stopped(server));

    for (const tls13 of [false, true]) {
      it(`EAP-TLS ${tls13 ? '1.3' : '1.2'}, -r 2: both reauthentications resume the TLS session, MPPE keys OK: 3  mismatch: 0`, async () => {
        const run = await eapolTest(port, tlsConfig(certs, tls13), ['-r', '2']);
        expect(run.text).toContain(`SSL: Using TLS version TLSv1.${tls13 ? 3 : 2}`);
        // One line per handshake under 1.2, two (handshake and its end) under 1.3.
        const resumed = run.text.match(/Handshake finished - resumed=1/g) ?? [];
        const full = run.text.match(/Handshake finished - resumed=0/g) ?? [];
        expect(resumed.length).toBe(tls13 ? 4 : 2);
        expect(full.length).toBe(tls13 ? 2 : 1);
        expect(run.text).toContain('MPPE keys OK: 3  mismatch: 0');
        expect(lastLine(run.text)).toBe('SUCCESS');
        expect(run.code).toBe(0);
      });
    }

    it('PEAP over TLS 1.3, -r 1: the tunnel is not resumed (wpa_supplicant would skip phase 2), both full, MPPE keys OK: 2', async () => {
      const run = await eapolTest(port, peapConfig(certs, 'hello', false, true), ['-r', '1']);
      expect(run.text).not.toContain('resumed=1');
      expect(run.text).toContain('MPPE keys OK: 2  mismatch: 0');
      expect(lastLine(run.text)).toBe('SUCCESS');
      expect(run.code).toBe(0);
    });
  },
);

afterAll(() => rmSync(dir, { recursive: true, force: true }));
