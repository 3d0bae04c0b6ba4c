/**
 * The radius service with the TLS-based methods: its reload fingerprint
 * covers the PEM files' contents (a certificate renewed under the same name
 * restarts the service), and without TLS methods those files are not
 * read.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateHostConfig } from './config.js';
import { syntheticMethods } from './config-synthetic.js';
import { radiusService, standardMethodOf } from './radius-service.js';
import { servicesFromConfig } from './services.js';

const dir = mkdtempSync(join(tmpdir(), 'netrx-radius-tls-'));

function pemFiles(): { certificate: string; privateKey: string; ca: string } {
  const files = { certificate: 'server.pem', privateKey: 'server-key.pem', ca: 'ca.pem' };
  for (const name of Object.values(files)) writeFileSync(join(dir, name), `${name} v1\n`);
  return {
    certificate: join(dir, files.certificate),
    privateKey: join(dir, files.privateKey),
    ca: join(dir, files.ca),
  };
}

describe('radius service with TLS methods', () => {
  it('its fingerprint changes when a PEM file changes, not otherwise', () => {
    const tls = pemFiles();
    const config = validateHostConfig({ radius: { methods: ['peap', 'tls'], tls } }).radius;
    const before = radiusService(config).fingerprint;
    expect(radiusService(config).fingerprint).toBe(before);
    writeFileSync(tls.privateKey, 'server-key.pem v2\n');
    expect(radiusService(config).fingerprint).not.toBe(before);
  });

  it('without TLS methods the radius.tls files are not part of the fingerprint', () => {
    const tls = pemFiles();
    const config = validateHostConfig({ radius: { methods: ['md5'], tls } }).radius;
    const before = radiusService(config).fingerprint;
    writeFileSync(tls.privateKey, 'server-key.pem v3\n');
    expect(radiusService(config).fingerprint).toBe(before);
  });

  it('maps ttls to the one TTLS server method (PAP and EAP-MSCHAPv2)', () => {
    expect(['md5', 'mschapv2', 'peap', 'ttls', 'tls'].map(standardMethodOf)).toEqual([
      'md5',
      'mschapv2',
      'peap',
      'ttls-mschapv2',
      'tls',
    ]);
  });
});

describe('the synthetic peer beside TLS methods', () => {
  it('runs only the password methods of radius.methods', () => {
    const tls = pemFiles();
    const config = validateHostConfig({
      http: { port: 0 },
      radius: { port: 0, methods: ['peap', 'mschapv2', 'tls'], tls },
    });
    const names = servicesFromConfig(config).map((s) => s.name);
    expect(names).toContain('synthetic');
    expect(syntheticMethods(config.radius.methods)).toEqual(['mschapv2']);
  });

  it('is left out with TLS methods only, and refused when asked for', () => {
    const tls = pemFiles();
    const config = validateHostConfig({ radius: { methods: ['tls'], tls } });
    expect(servicesFromConfig(config).map((s) => s.name)).not.toContain('synthetic');
    expect(() =>
      validateHostConfig({ radius: { methods: ['tls'], tls }, synthetic: { enabled: true } }),
    ).toThrow(
      'synthetic.enabled: the synthetic peer runs md5 or mschapv2: list one in radius.methods or set this to false',
    );
  });
});
