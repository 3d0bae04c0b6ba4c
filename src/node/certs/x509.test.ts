import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDemoCertificates, DEMO_SERVER_NAME, writeDemoCertificates } from './demo.js';
import { ExtendedKeyUsage } from './x509.js';

describe('X.509 builder', () => {
  for (const keyAlgorithm of ['ec', 'rsa'] as const) {
    it(`issues a ${keyAlgorithm} CA, server and client certificate Node parses and verifies`, () => {
      const { ca, server, client } = createDemoCertificates({ keyAlgorithm });
      const caCert = new X509Certificate(ca.certPem);
      const serverCert = new X509Certificate(server.certPem);
      const clientCert = new X509Certificate(client.certPem);
      expect(caCert.ca).toBe(true);
      expect(caCert.verify(caCert.publicKey)).toBe(true);
      expect(serverCert.ca).toBe(false);
      expect(serverCert.verify(caCert.publicKey)).toBe(true);
      expect(serverCert.checkIssued(caCert)).toBe(true);
      expect(clientCert.checkIssued(caCert)).toBe(true);
      expect(serverCert.subjectAltName).toBe(`DNS:${DEMO_SERVER_NAME}`);
      expect(serverCert.keyUsage).toEqual([ExtendedKeyUsage.serverAuth]);
      expect(clientCert.keyUsage).toEqual([ExtendedKeyUsage.clientAuth]);
      expect(serverCert.checkHost(DEMO_SERVER_NAME)).toBe(DEMO_SERVER_NAME);
    });
  }

  it('writes the five files; keys are mode 0600; openssl verifies the chain and purposes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netrx-certs-'));
    const { files } = await writeDemoCertificates(dir);
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual([
      'ca.pem',
      'server.pem',
      'server-key.pem',
      'client.pem',
      'client-key.pem',
    ]);
    expect(statSync(join(dir, 'server-key.pem')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'client-key.pem')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'client-key.pem'), 'utf8')).toMatch(
      /^-----BEGIN PRIVATE KEY-----/,
    );
    let openssl = true;
    try {
      execFileSync('openssl', ['version']);
    } catch {
      openssl = false;
    }
    if (!openssl) return;
    const verify = (purpose: string, file: string) =>
      execFileSync(
        'openssl',
        ['verify', '-purpose', purpose, '-CAfile', join(dir, 'ca.pem'), join(dir, file)],
        {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
    expect(verify('sslserver', 'server.pem')).toContain(': OK');
    expect(verify('sslclient', 'client.pem')).toContain(': OK');
    expect(() => verify('sslserver', 'client.pem')).toThrow();
  });
});
