// `radius.radsec` in `netrx up`: the host serves RadSec beside UDP with the
// same users and methods; netrx's RadSec client authenticates demo/demo over
// TLS with the demo client certificate, and /health counts the connection.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:tls';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createMd5Method } from '../../eap/index.js';
import { createDemoCertificates } from '../certs/demo.js';
import { runRadiusEapTest } from '../radius/index.js';
import { nodeCrypto } from '../runtime/index.js';
import { validateHostConfig } from './config.js';
import { startHost, type RunningHost } from './host.js';
import { servicesFromConfig } from './services.js';

const hosts: RunningHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
});

describe('netrx up: radius.radsec', () => {
  it('authenticates demo/demo over RadSec and shows the listener in /health', async () => {
    const certs = createDemoCertificates();
    const dir = mkdtempSync(join(tmpdir(), 'netrx-host-radsec-'));
    const file = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const config = validateHostConfig({
      http: { port: 0 },
      capture: { rpc: { port: 0 } },
      synthetic: { enabled: false },
      radius: {
        port: 0,
        radsec: {
          enabled: true,
          port: 0,
          certificate: file('server.pem', certs.server.certPem),
          privateKey: file('server-key.pem', certs.server.keyPem),
          ca: file('ca.pem', certs.ca.certPem),
          clients: [{ name: 'ap', commonName: 'bob' }],
        },
      },
    });
    const host = await startHost(config, { version: '0', services: servicesFromConfig(config) });
    hosts.push(host);
    type Radius = { name: string; radsec?: { port: number; accepted: number } };
    const health = async () =>
      (
        (await (await fetch(new URL('/health', host.url))).json()) as { services: Radius[] }
      ).services.find((s) => s.name === 'radius');
    const radsecPort = (await health())?.radsec?.port ?? 0;
    expect(radsecPort).toBeGreaterThan(0);
    // Review D6: RadSec's connections, refusals and requests in /metrics, before and after.
    const metric = async (name: string) => {
      const text = await (await fetch(new URL('/metrics', host.url))).text();
      const values = text
        .split('\n')
        .filter((line) => line.startsWith(`${name} `) || line.startsWith(`${name}{`))
        .map((line) => Number(line.slice(line.lastIndexOf(' ') + 1)));
      return values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0);
    };
    expect(await metric('netrx_radsec_connections_accepted_total')).toBe(0);
    expect(await metric('netrx_radsec_requests_total')).toBe(0);
    expect(await metric('netrx_radsec_refused_total')).toBeUndefined();
    const result = await runRadiusEapTest({
      servers: [{ address: '127.0.0.1', port: radsecPort, secret: 'radsec' }],
      methods: [createMd5Method({ crypto: nodeCrypto })],
      identity: 'demo',
      password: 'demo',
      timeoutMs: 3000,
      radsec: {
        ca: certs.ca.certPem,
        cert: certs.client.certPem,
        key: certs.client.keyPem,
        serverName: 'radius.netrx.test',
        watchdogMs: 0,
      },
    });
    expect(result.outcome, result.reason).toBe('success');
    expect((await health())?.radsec?.accepted).toBe(1);
    expect(await metric('netrx_radsec_connections_accepted_total')).toBe(1);
    expect(await metric('netrx_radsec_requests_total')).toBeGreaterThanOrEqual(2);
    expect(await metric('netrx_radsec_responses_total')).toBeGreaterThanOrEqual(2);
    expect(await metric('netrx_radsec_connections')).toBeGreaterThanOrEqual(0);

    // A client without a certificate: refused (mutual TLS), counted by reason.
    await new Promise<void>((resolve) => {
      const socket = connect({
        host: '127.0.0.1',
        port: radsecPort,
        ca: certs.ca.certPem,
        servername: 'radius.netrx.test',
      });
      socket.on('error', () => resolve());
      socket.on('close', () => resolve());
      socket.on('data', () => undefined);
    });
    const deadline = Date.now() + 5000;
    while ((await metric('netrx_radsec_refused_total')) === undefined && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(await metric('netrx_radsec_refused_total')).toBe(1);
  });
});
