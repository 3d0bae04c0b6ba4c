/**
 * RadSec (RADIUS over TLS, RFC 6614) against FreeRADIUS 3.2.1, both ways,
 * with the `netrx certs demo` CA on both sides:
 *
 * - FreeRADIUS as the RadSec server: its stock sites-available/tls listener
 *   (on 127.0.0.1:P+3, auth+acct, client certificates required) serves
 *   `netrx radius test --radsec` (EAP-MD5, PEAPv0/EAP-MSCHAPv2 and TTLS/PAP
 *   with MPPE keys compared, Status-Server answered).
 * - FreeRADIUS as the RadSec client: eapol_test (wpa_supplicant 2.10) sends
 *   UDP RADIUS to FreeRADIUS as `anonymous@tls.netrx.test`; the stock realm `tls` (renamed: it needs a dot)
 *   (nostrip) proxies it over the stock TLS `home_server` (status_check =
 *   status-server) to `netrx radius serve --radsec` — PEAP with MPPE keys
 *   re-encrypted by FreeRADIUS and checked by eapol_test, and the
 *   Access-Accept's User-Name the inner identity `bob`. The netrx side
 *   prints the connection it accepted.
 *
 * FreeRADIUS runs as `freeradius -f -xx -l stdout -d DIR` (threads on: its
 * TLS sockets need them, `-X` would turn them off) on a private copy of the
 * stock configuration (support/freeradius.ts), stopped by its PID.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandExists, isRoot, requirePeers, versionOf } from './support/peers.js';
import {
  FREERADIUS_STOCK as STOCK,
  freeradiusVersion,
  hasStockFreeradiusConfig,
  startFreeradius,
} from './support/freeradius.js';
import { ran, stopped, type Watched } from './support/processes.js';
import { startRadsecNetrx } from './support/radsec-netrx.js';

const root = resolve(import.meta.dirname, '..', '..');
const main = join(root, 'dist', 'cli', 'main.js');
const SECRET = 'interop-radsec-udp';
const RECORDED = { freeradius: '3.2.1+dfsg-4+deb12u1', eapoltest: '2:2.10-12+deb12u3' };

const peers = requirePeers('radius-radsec interop', [
  { name: 'freeradius', ok: () => commandExists('freeradius'), hint: 'apt-get install freeradius' },
  {
    name: `${STOCK}/sites-available/tls`,
    ok: hasStockFreeradiusConfig,
    hint: 'apt-get install freeradius',
  },
  { name: 'eapol_test', ok: () => commandExists('eapol_test'), hint: 'apt-get install eapoltest' },
  { name: 'root', ok: isRoot, hint: 'FreeRADIUS reads the root-only stock configuration' },
]);
const installed = freeradiusVersion();
console.info(`peers: freeradius ${installed || 'unknown'}, ${versionOf('eapol_test', ['-v'])}`);
if (installed !== '' && installed !== RECORDED.freeradius) {
  console.warn(`[netrx interop] freeradius is ${installed}; checked with ${RECORDED.freeradius}`);
}

function lastLine(text: string): string {
  return text.trimEnd().split('\n').at(-1)?.trim() ?? '';
}

describe.skipIf(peers.skip)('RadSec with FreeRADIUS 3.2.1', () => {
  let dir: string;
  let certs: string;
  let netrx: Watched | undefined;
  let netrxPort: number;
  let freeradius: Watched | undefined;
  let port: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'netrx-radsec-')); // 0700
    ({ certs, netrx, netrxPort } = await startRadsecNetrx(dir, 'freeradius'));
    const pem = (name: string) => join(certs, name);
    ({ server: freeradius, port } = await startFreeradius(
      dir,
      {
        secret: SECRET,
        users: [{ name: 'bob', password: 'hello' }],
        tls: {
          certificate: pem('server.pem'),
          privateKey: pem('server-key.pem'),
          ca: pem('ca.pem'),
        },
        radsec: {
          certificate: pem('server.pem'),
          privateKey: pem('server-key.pem'),
          ca: pem('ca.pem'),
          clientCertificate: pem('client.pem'),
          clientPrivateKey: pem('client-key.pem'),
          homePort: netrxPort,
        },
      },
      ['-f', '-xx', '-l', 'stdout'],
    ));
    console.info(
      `peers: ${/FreeRADIUS Version [^\s,]+/.exec(freeradius.text())?.[0] ?? 'FreeRADIUS ?'}`,
    );
  }, 60_000);

  afterAll(async () => {
    await stopped(freeradius);
    await stopped(netrx);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const radsecTest = (method: string, password: string, extra: readonly string[] = []) =>
    ran(process.execPath, [
      main,
      'radius',
      'test',
      '--radsec',
      '--server',
      `127.0.0.1:${port + 3}`,
      '--certs',
      certs,
      '--server-name',
      'radius.netrx.test',
      '--method',
      method,
      '--user',
      `bob:${password}`,
      '--timeout',
      '8000',
      ...extra,
    ]);

  it('FreeRADIUS listens for RadSec on 127.0.0.1:P+3', () => {
    expect(freeradius?.text()).toMatch(
      new RegExp(`Listening on auth\\+acct proto tcp address 127\\.0\\.0\\.1 port ${port + 3}`),
    );
  });

  it('netrx radius test --radsec against FreeRADIUS: Status-Server, EAP-MD5, PEAP and TTLS/PAP succeed', async () => {
    const md5 = await radsecTest('md5', 'hello', ['--status-server']);
    expect(md5.text).toMatch(/^Status-Server answered$/m);
    expect(md5.text).toMatch(/^SUCCESS$/m);
    for (const method of ['peap', 'ttls-pap']) {
      const run = await radsecTest(method, 'hello');
      expect(run.text, method).toMatch(/^MPPE keys match$/m);
      expect(run.text, method).toMatch(/^SUCCESS$/m);
      expect(run.code).toBe(0);
    }
    const wrong = await radsecTest('peap', 'wrong');
    expect(wrong.text).toMatch(/^FAILURE: Access-Reject/m);
  }, 60_000);

  it('a netrx client with a certificate of another CA is refused by FreeRADIUS', async () => {
    const rogue = join(dir, 'rogue');
    await ran(process.execPath, [main, 'certs', 'demo', '--out', rogue]);
    const run = await ran(process.execPath, [
      main,
      'radius',
      'test',
      '--radsec',
      '--server',
      `127.0.0.1:${port + 3}`,
      '--certs',
      rogue,
      '--method',
      'md5',
      '--user',
      'bob:hello',
      '--timeout',
      '3000',
    ]);
    expect(run.code).toBe(1);
    expect(run.text).toMatch(/^FAILURE/m);
  }, 30_000);

  it('eapol_test -> FreeRADIUS (UDP) -> RadSec -> netrx: PEAP SUCCESS, MPPE keys OK, Accept names the inner user', async () => {
    const conf = join(dir, 'peap.conf');
    writeFileSync(
      conf,
      [
        'network={',
        '  key_mgmt=WPA-EAP',
        '  eap=PEAP',
        '  identity="bob"',
        '  anonymous_identity="anonymous@tls.netrx.test"',
        '  password="hello"',
        `  ca_cert="${join(certs, 'ca.pem')}"`,
        '  domain_suffix_match="netrx.test"',
        '  phase1="peaplabel=0"',
        '  phase2="auth=MSCHAPV2"',
        '}',
        '',
      ].join('\n'),
    );
    const run = await ran('eapol_test', [
      '-c',
      conf,
      '-a',
      '127.0.0.1',
      '-p',
      String(port),
      '-s',
      SECRET,
      '-t',
      '15',
    ]);
    expect(run.text).toContain('MPPE keys OK: 1  mismatch: 0');
    // The Access-Accept carries the inner identity (5 octets: "bob"), the requests the outer one.
    expect(run.text).toMatch(/\(Access-Accept\)[\s\S]*\(User-Name\) length=5\n\s*Value: 'bob'/);
    expect(lastLine(run.text)).toBe('SUCCESS');
    expect(netrx?.text()).toMatch(
      /^radsec accepted address=127\.0\.0\.1 port=\d+ client=freeradius protocol=TLSv1\.[23] subject=bob$/m,
    );
  }, 60_000);
});
