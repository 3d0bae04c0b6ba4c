/**
 * eapol_test (Debian eapoltest, wpa_supplicant 2.10) against `netrx up`'s
 * radius service with the TLS methods configured (`radius.methods` with
 * peap, ttls and tls; `radius.tls` naming the PEM files of `netrx certs
 * demo`): EAP-TLS, PEAPv0/EAP-MSCHAPv2 and TTLS/PAP succeed with the
 * MS-MPPE keys checked by eapol_test against its own MSK, and a wrong inner
 * password fails. The same methods `netrx radius serve` runs
 * (radius-eapol-test.test.ts), here built from the host configuration.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandExists, requirePeers } from './support/peers.js';
import { ran, stopped, watched, type Watched } from './support/processes.js';

const root = resolve(import.meta.dirname, '..', '..');
const main = join(root, 'dist', 'cli', 'main.js');
const SECRET = 'interop-up-secret';

const peers = requirePeers('up-radius-tls-eapol-test interop', [
  { name: 'eapol_test', ok: () => commandExists('eapol_test'), hint: 'apt-get install eapoltest' },
]);

const dir = mkdtempSync(join(tmpdir(), 'netrx-up-radius-tls-'));
const certs = join(dir, 'certs');

function network(name: string, lines: readonly string[]): string {
  const file = join(dir, `${name}.conf`);
  writeFileSync(file, ['network={', '  key_mgmt=WPA-EAP', ...lines, '}', ''].join('\n'));
  return file;
}

const serverCheck = () => [
  `  ca_cert="${join(certs, 'ca.pem')}"`,
  '  domain_suffix_match="netrx.test"',
];

function tunnel(eap: 'PEAP' | 'TTLS', password: string): string {
  return network(`${eap}-${password}`, [
    `  eap=${eap}`,
    '  identity="bob"',
    '  anonymous_identity="anonymous"',
    `  password="${password}"`,
    ...serverCheck(),
    ...(eap === 'PEAP' ? ['  phase1="peaplabel=0"', '  phase2="auth=MSCHAPV2"'] : []),
    ...(eap === 'TTLS' ? ['  phase2="auth=PAP"'] : []),
  ]);
}

function eapTls(tls13: boolean): string {
  return network(`TLS-${tls13 ? '13' : '12'}`, [
    '  eap=TLS',
    '  identity="bob"',
    ...serverCheck(),
    `  client_cert="${join(certs, 'client.pem')}"`,
    `  private_key="${join(certs, 'client-key.pem')}"`,
    ...(tls13 ? ['  phase1="tls_disable_tlsv1_3=0"'] : []),
  ]);
}

function lastLine(text: string): string {
  return text.trimEnd().split('\n').at(-1)?.trim() ?? '';
}

describe.skipIf(peers.skip)('eapol_test against netrx up with radius TLS methods', () => {
  let host: Watched | undefined;
  let port = 0;

  beforeAll(async () => {
    const made = await ran(process.execPath, [main, 'certs', 'demo', '--out', certs]);
    expect(made.code).toBe(0);
    const config = join(dir, 'up.yaml');
    writeFileSync(
      config,
      [
        'http:',
        '  port: 0',
        'capture:',
        '  rpc:',
        '    port: 0',
        'synthetic:',
        '  enabled: false',
        'radius:',
        '  port: 0',
        '  clients:',
        `    - { address: 127.0.0.1, secret: ${SECRET} }`,
        '  users:',
        '    - { name: bob, password: hello }',
        '  methods: [peap, ttls, tls, mschapv2]',
        '  tls:',
        `    certificate: ${join(certs, 'server.pem')}`,
        `    privateKey: ${join(certs, 'server-key.pem')}`,
        `    ca: ${join(certs, 'ca.pem')}`,
        '',
      ].join('\n'),
    );
    host = watched(process.execPath, [main, 'up', '--config', config]);
    const listening = await host.until(
      /RADIUS\/EAP on udp 127\.0\.0\.1:(\d+) \(peap, ttls, tls, mschapv2/,
    );
    port = Number(listening[1]);
  }, 60_000);

  afterAll(async () => {
    await stopped(host);
    rmSync(dir, { recursive: true, force: true });
  });

  const eapolTest = (config: string) =>
    ran('eapol_test', [
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
    ]);

  it('EAP-TLS 1.2 and 1.3: MPPE keys OK: 1  mismatch: 0, SUCCESS', async () => {
    for (const tls13 of [false, true]) {
      const run = await eapolTest(eapTls(tls13));
      expect(run.text).toContain('CTRL-EVENT-EAP-METHOD EAP vendor 0 method 13 (TLS) selected');
      expect(run.text).toContain('MPPE keys OK: 1  mismatch: 0');
      expect(lastLine(run.text)).toBe('SUCCESS');
      expect(run.code).toBe(0);
    }
  }, 30_000);

  it('PEAPv0/EAP-MSCHAPv2: MPPE keys OK: 1  mismatch: 0, SUCCESS', async () => {
    const run = await eapolTest(tunnel('PEAP', 'hello'));
    expect(run.text).toContain('CTRL-EVENT-EAP-METHOD EAP vendor 0 method 25 (PEAP) selected');
    expect(run.text).toContain('MPPE keys OK: 1  mismatch: 0');
    expect(lastLine(run.text)).toBe('SUCCESS');
    expect(run.code).toBe(0);
  }, 30_000);

  it('TTLS/PAP: MPPE keys OK: 1  mismatch: 0, SUCCESS', async () => {
    const run = await eapolTest(tunnel('TTLS', 'hello'));
    expect(run.text).toContain('CTRL-EVENT-EAP-METHOD EAP vendor 0 method 21 (TTLS) selected');
    expect(run.text).toContain('MPPE keys OK: 1  mismatch: 0');
    expect(lastLine(run.text)).toBe('SUCCESS');
    expect(run.code).toBe(0);
  }, 30_000);

  it('PEAP with a wrong inner password: FAILURE', async () => {
    const run = await eapolTest(tunnel('PEAP', 'wrong'));
    expect(run.text).not.toContain('CTRL-EVENT-EAP-SUCCESS');
    expect(lastLine(run.text)).toBe('FAILURE');
  }, 30_000);
});
