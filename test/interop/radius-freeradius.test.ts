/**
 * `netrx radius test` (the netrx EAP peer and RADIUS client, from dist/)
 * against FreeRADIUS 3.2.1, a RADIUS/EAP server nobody here wrote: EAP-MD5,
 * EAP-MSCHAPv2, PEAPv0/EAP-MSCHAPv2, TTLS/PAP and TTLS/EAP-MSCHAPv2 (FreeRADIUS's eap module on the
 * `netrx certs demo` server certificate, the peer checking it against the
 * demo CA and name) succeed with FreeRADIUS's MS-MPPE keys equal to the
 * peer's MSK, and a wrong password ends in Access-Reject (exit 1).
 *
 * FreeRADIUS runs as `freeradius -X -d DIR` on a private copy of the stock
 * Debian configuration (docs/radius.md, "Interop"): loopback only, IPv4 only,
 * ports P (auth), P+1 (acct) and P+2 (inner-tunnel) instead of the shared
 * 1812/1813/18120, logs and pid under DIR, no user/group switch (the tests
 * run as root and DIR is 0700), no proxying, user bob prepended to the users file. It is
 * stopped by its PID.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandExists, isRoot, requirePeers } from './support/peers.js';
import {
  FREERADIUS_STOCK as STOCK,
  freeradiusVersion,
  hasStockFreeradiusConfig,
  startFreeradius,
} from './support/freeradius.js';
import { ran, stopped, type Watched } from './support/processes.js';

const root = resolve(import.meta.dirname, '..', '..');
const main = join(root, 'dist', 'cli', 'main.js');
const SECRET = 'interop-freeradius-secret';
const RECORDED = { freeradius: '3.2.1+dfsg-4+deb12u1' };

const peers = requirePeers('radius-freeradius interop', [
  { name: 'freeradius', ok: () => commandExists('freeradius'), hint: 'apt-get install freeradius' },
  {
    name: `${STOCK} (stock configuration)`,
    ok: hasStockFreeradiusConfig,
    hint: 'apt-get install freeradius',
  },
  { name: 'root', ok: isRoot, hint: 'FreeRADIUS reads the root-only stock configuration' },
]);
const installed = freeradiusVersion();
console.info(`peers: freeradius ${installed || 'unknown'}`);
if (installed !== '' && installed !== RECORDED.freeradius) {
  console.warn(`[netrx interop] freeradius is ${installed}; checked with ${RECORDED.freeradius}`);
}

function radiusTest(
  port: number,
  method: 'md5' | 'mschapv2' | 'peap' | 'ttls-pap' | 'ttls-mschapv2',
  password: string,
  extra: readonly string[] = [],
) {
  return ran(process.execPath, [
    main,
    'radius',
    'test',
    '--server',
    `127.0.0.1:${port}`,
    '--secret',
    SECRET,
    '--method',
    method,
    '--user',
    `bob:${password}`,
    ...extra,
  ]);
}

describe.skipIf(peers.skip)('netrx radius test against FreeRADIUS', () => {
  let dir: string;
  let server: Watched | undefined;
  let port: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'netrx-freeradius-')); // 0700
    const certs = join(dir, 'certs');
    const made = await ran(process.execPath, [main, 'certs', 'demo', '--out', certs]);
    if (made.code !== 0) throw new Error(`netrx certs demo failed:\n${made.text}`);
    ({ server, port } = await startFreeradius(dir, {
      secret: SECRET,
      users: [{ name: 'bob', password: 'hello' }],
      tls: {
        certificate: join(certs, 'server.pem'),
        privateKey: join(certs, 'server-key.pem'),
        ca: join(certs, 'ca.pem'),
      },
    }));
    console.info(
      `peers: ${/FreeRADIUS Version [^\s,]+/.exec(server.text())?.[0] ?? 'FreeRADIUS ?'}`,
    );
  });

  afterAll(async () => {
    await stopped(server);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('FreeRADIUS listens on 127.0.0.1 only, on the private ports, and proxies nothing', () => {
    const listening = [...(server?.text() ?? '').matchAll(/^Listening on (.*)$/gm)].map(
      (m) => m[1],
    );
    expect(listening.sort()).toEqual([
      `acct address 127.0.0.1 port ${port + 1} bound to server default`,
      `auth address 127.0.0.1 port ${port} bound to server default`,
      `auth address 127.0.0.1 port ${port + 2} bound to server inner-tunnel`,
    ]);
  });

  it('EAP-MD5: SUCCESS, exit 0', async () => {
    const run = await radiusTest(port, 'md5', 'hello');
    expect(run.text).toMatch(
      new RegExp(`^server 127\\.0\\.0\\.1:${port}, method MD5-Challenge,`, 'm'),
    );
    expect(run.text).toMatch(/^SUCCESS$/m);
    expect(run.code).toBe(0);
  });

  it("EAP-MSCHAPv2 (after a Nak of FreeRADIUS's MD5 proposal): MPPE keys match, SUCCESS", async () => {
    const run = await radiusTest(port, 'mschapv2', 'hello');
    expect(run.text).toMatch(/, method MSCHAPv2, 4 Access-Requests$/m); // Identity, Nak, Response, Success ack
    expect(run.text).toMatch(/^MPPE keys match$/m);
    expect(run.text).toMatch(/^SUCCESS$/m);
    expect(run.code).toBe(0);
  });

  it('a wrong password: FAILURE: Access-Reject ..., exit 1', async () => {
    const run = await radiusTest(port, 'mschapv2', 'wrong');
    expect(run.text).toMatch(/^FAILURE: Access-Reject \(method failed with 691\)$/m);
    expect(run.text).not.toMatch(/^SUCCESS$/m);
    expect(run.code).toBe(1);
    expect(server?.text()).toMatch(/Sent Access-Reject[\s\S]*MS-CHAP-Error = .*E=691/);
  });

  describe('PEAPv0/EAP-MSCHAPv2', () => {
    const peap = (password: string, extra: readonly string[] = []) =>
      radiusTest(port, 'peap', password, [
        '--certs',
        join(dir, 'certs'),
        '--server-name',
        'radius.netrx.test',
        ...extra,
      ]);

    it('anonymous outside, bob inside: MPPE keys match, SUCCESS', async () => {
      const run = await peap('hello');
      expect(run.text).toMatch(/, method PEAP, \d+ Access-Requests$/m);
      expect(run.text).toMatch(/^MPPE keys match$/m);
      expect(run.text).toMatch(/^SUCCESS$/m);
      expect(run.code).toBe(0);
      const log = server?.text() ?? '';
      // The outer request names the anonymous identity; the inner tunnel checks bob.
      expect(log).toMatch(/User-Name = "anonymous"/);
      expect(log).toMatch(/\(\d+\) eap_peap: Got inner identity 'bob'/);
      expect(log).toMatch(/Virtual server inner-tunnel received request[\s\S]*User-Name = "bob"/);
    });

    it('a wrong inner password: FAILURE: Access-Reject, exit 1', async () => {
      const run = await peap('wrong');
      expect(run.text).toMatch(/^FAILURE: Access-Reject/m);
      expect(run.text).not.toMatch(/^SUCCESS$/m);
      expect(run.code).toBe(1);
    });

    it('a server name the certificate does not carry: the peer refuses the server', async () => {
      const run = await peap('hello', ['--server-name', 'other.netrx.test', '--retries', '0']);
      expect(run.text).toMatch(/^FAILURE: .*ERR_TLS_CERT_ALTNAME_INVALID/m);
      expect(run.code).toBe(1);
    });
  });

  describe('EAP-TTLS (PAP and EAP-MSCHAPv2)', () => {
    const ttls = (password: string, method: 'ttls-pap' | 'ttls-mschapv2' = 'ttls-pap') =>
      radiusTest(port, method, password, [
        '--certs',
        join(dir, 'certs'),
        '--server-name',
        'radius.netrx.test',
      ]);

    it('anonymous outside, bob inside: MPPE keys match, SUCCESS', async () => {
      const run = await ttls('hello');
      expect(run.text).toMatch(/, method TTLS, \d+ Access-Requests$/m);
      expect(run.text).toMatch(/^MPPE keys match$/m);
      expect(run.text).toMatch(/^SUCCESS$/m);
      expect(run.code).toBe(0);
      expect(server?.text()).toMatch(
        /Virtual server inner-tunnel received request[\s\S]*User-Password = /,
      );
    });

    it('a wrong password: FAILURE: Access-Reject, exit 1', async () => {
      const run = await ttls('wrong');
      expect(run.text).toMatch(/^FAILURE: Access-Reject/m);
      expect(run.code).toBe(1);
    });

    it('TTLS/EAP-MSCHAPv2: MPPE keys match, SUCCESS; a wrong password: Access-Reject', async () => {
      const run = await ttls('hello', 'ttls-mschapv2');
      expect(run.text).toMatch(/, method TTLS, \d+ Access-Requests$/m);
      expect(run.text).toMatch(/^MPPE keys match$/m);
      expect(run.text).toMatch(/^SUCCESS$/m);
      expect(run.code).toBe(0);
      const wrong = await ttls('wrong', 'ttls-mschapv2');
      expect(wrong.text).toMatch(/^FAILURE: Access-Reject/m);
      expect(wrong.code).toBe(1);
    });
  });
});
