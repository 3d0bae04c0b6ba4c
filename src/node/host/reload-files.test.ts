// Review D2: a SIGHUP re-reads the files the configuration names. A users
// file edited in place (the FreeRADIUS way to add a user) restarts radius
// with the new users; a PEM file or login script edited in place changes
// its service's fingerprint; a broken users file or PEM file refuses the
// reload (the check names the key), so the running server keeps the old.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createMd5Method } from '../../eap/index.js';
import { createDemoCertificates } from '../certs/demo.js';
import { runRadiusEapTest } from '../radius/index.js';
import { nodeCrypto } from '../runtime/index.js';
import { ConfigError, validateHostConfig } from './config.js';
import { startHost, type RunningHost } from './host.js';
import { portService } from './port-service.js';
import { radiusService } from './radius-service.js';
import { servicesFromConfig } from './services.js';

const dir = mkdtempSync(join(tmpdir(), 'netrx-reload-files-'));
const hosts: RunningHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
});

function usersFile(name: string, password: string): string {
  const path = join(dir, 'users');
  writeFileSync(path, `${name} Cleartext-Password := "${password}"\n`);
  return path;
}

function configWith(users: string) {
  return validateHostConfig({
    http: { port: 0 },
    radius: { port: 0, users: [], usersFile: users },
    capture: { rpc: { port: 0 } },
    synthetic: { enabled: false },
  });
}

async function radiusPort(host: RunningHost): Promise<number> {
  const health = (await (await fetch(new URL('/health', host.url))).json()) as {
    services: { name: string; port?: number }[];
  };
  return health.services.find((s) => s.name === 'radius')?.port ?? 0;
}

async function outcome(host: RunningHost, name: string, password: string) {
  const result = await runRadiusEapTest({
    servers: [{ address: '127.0.0.1', port: await radiusPort(host), secret: 'testing123' }],
    methods: [createMd5Method({ crypto: nodeCrypto })],
    identity: name,
    password,
    timeoutMs: 1000,
    retries: 1,
  });
  return result.outcome;
}

describe('netrx up: a reload re-reads the files it names (review D2)', () => {
  it('a users file edited in place: radius takes the new password in place (review D7), the old one is refused', async () => {
    const file = usersFile('demo', 'demo');
    const first = configWith(file);
    const host = await startHost(first, { version: '0', services: servicesFromConfig(first) });
    hosts.push(host);
    expect(await outcome(host, 'demo', 'demo')).toBe('success');

    usersFile('demo', 'changed');
    const next = configWith(file);
    expect(JSON.stringify(next)).toBe(JSON.stringify(first)); // the file name did not change
    const result = await host.reload(next, servicesFromConfig(next));
    expect(result).toMatchObject({ ok: true, updated: ['radius'], restarted: [], failed: [] });
    expect(result.kept).toContain('capture');
    expect(await outcome(host, 'demo', 'changed')).toBe('success');
    expect(await outcome(host, 'demo', 'demo')).toBe('failure');

    // Nothing changed: nothing restarts.
    const again = configWith(file);
    const unchanged = await host.reload(again, servicesFromConfig(again));
    expect([unchanged.restarted, unchanged.updated]).toEqual([[], []]);
  });

  it('a broken users file is refused by the check, naming the key: the running users stay', async () => {
    const file = usersFile('demo', 'demo');
    const first = configWith(file);
    const host = await startHost(first, { version: '0', services: servicesFromConfig(first) });
    hosts.push(host);
    writeFileSync(file, 'demo Cleartext-Password = \n');
    let refused: unknown;
    try {
      configWith(file);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(ConfigError);
    expect(refused).toMatchObject({ path: 'radius.usersFile' });
    expect((refused as Error).message).toMatch(/^radius\.usersFile: ".*users":1:\d+: /);
    // `netrx up` keeps the running configuration on a refused file.
    expect(await outcome(host, 'demo', 'demo')).toBe('success');
  });

  it('a RadSec PEM file or a login script edited in place changes its service fingerprint', () => {
    const certs = createDemoCertificates();
    const rotated = createDemoCertificates();
    const cert = join(dir, 'radsec.pem');
    const key = join(dir, 'radsec-key.pem');
    const ca = join(dir, 'radsec-ca.pem');
    const write = (c: typeof certs) => {
      writeFileSync(cert, c.server.certPem);
      writeFileSync(key, c.server.keyPem);
      writeFileSync(ca, c.ca.certPem);
    };
    write(certs);
    const radsec = () =>
      validateHostConfig({
        radius: {
          radsec: {
            enabled: true,
            certificate: cert,
            privateKey: key,
            ca,
            clients: [{ name: 'ap', commonName: 'ap' }],
          },
        },
      }).radius;
    const before = radiusService(radsec()).fingerprint;
    expect(radiusService(radsec()).fingerprint).toBe(before);
    write(rotated);
    expect(radiusService(radsec()).fingerprint).not.toBe(before);

    const scp = join(dir, 'login.scp');
    writeFileSync(scp, 'proc main\n  transmit "a"\nendproc\n');
    const port = () =>
      validateHostConfig({ ports: [{ name: 'p', port: 'tcp:127.0.0.1:9', script: { scp } }] })
        .ports[0] as Parameters<typeof portService>[0];
    const script = portService(port()).fingerprint;
    writeFileSync(scp, 'proc main\n  transmit "b"\nendproc\n');
    expect(portService(port()).fingerprint).not.toBe(script);
  });
});
