/**
 * `/health` of `netrx up`'s radius service with TLS methods shows the TLS
 * settings: versions, resumption, the certificate's subject, issuer and
 * validity, its SHA-256 fingerprint; never the key or any PEM text.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeDemoCertificates } from '../certs/index.js';
import { validateHostConfig } from './config.js';
import { startHost, type RunningHost } from './host.js';
import { servicesFromConfig } from './services.js';

const dir = mkdtempSync(join(tmpdir(), 'netrx-radius-tls-health-'));
const hosts: RunningHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
});

describe('netrx up: radius /health shows the TLS settings', () => {
  it('versions, resumption, certificate subject and expiry; no key', async () => {
    await writeDemoCertificates(dir);
    const config = validateHostConfig({
      http: { port: 0 },
      radius: {
        port: 0,
        methods: ['md5', 'tls'],
        tls: {
          certificate: join(dir, 'server.pem'),
          privateKey: join(dir, 'server-key.pem'),
          ca: join(dir, 'ca.pem'),
          minVersion: 'TLSv1.3',
          resumeSeconds: 600,
        },
      },
      capture: { rpc: { port: 0 } },
      synthetic: { enabled: false },
    });
    const host = await startHost(config, { version: '0', services: servicesFromConfig(config) });
    hosts.push(host);
    const text = await (await fetch(new URL('/health', host.url))).text();
    const health = JSON.parse(text) as { services: { name: string; tls?: unknown }[] };
    const radius = health.services.find((s) => s.name === 'radius');
    expect(radius?.tls).toMatchObject({
      minVersion: 'TLSv1.3',
      maxVersion: 'TLSv1.3',
      resumeSeconds: 600,
      certificate: {
        subject: expect.stringContaining('CN=radius.netrx.test') as unknown,
        issuer: expect.stringContaining('CN=') as unknown,
        validTo: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown,
        fingerprint256: expect.stringMatching(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/) as unknown,
      },
    });
    expect(text).not.toMatch(/PRIVATE KEY|BEGIN/);
  });
});
