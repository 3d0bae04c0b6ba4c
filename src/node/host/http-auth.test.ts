// http.tls and http.token: the host serves HTTPS (and wss:) with the
// configured certificate, and every request and WebSocket upgrade must
// carry the bearer token (401 otherwise, counted in /health).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createDemoCertificates } from '../certs/index.js';
import { validateHostConfig } from './config.js';
import { startHost, type RunningHost } from './host.js';
import { bearerAllowed } from './http-status.js';
import { servicesFromConfig } from './services.js';

const TOKEN = 'a-token-of-at-least-16-characters';
const certs = createDemoCertificates({ serverName: 'localhost' });
const dir = mkdtempSync(join(tmpdir(), 'netrx-http-auth-'));
writeFileSync(join(dir, 'cert.pem'), certs.server.certPem);
writeFileSync(join(dir, 'key.pem'), certs.server.keyPem);

const hosts: RunningHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
});

function get(url: string, authorization?: string) {
  return new Promise<{ status: number; authenticate: string | undefined; body: string }>(
    (resolve, reject) => {
      const req = request(
        url,
        {
          ca: certs.ca.certPem,
          // The demo certificate names localhost; the chain is what is checked here.
          checkServerIdentity: () => undefined,
          headers: authorization === undefined ? {} : { Authorization: authorization },
        },
        (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              authenticate: response.headers['www-authenticate'],
              body,
            }),
          );
        },
      );
      req.once('error', reject);
      req.end();
    },
  );
}

describe('netrx up: http.tls and http.token', () => {
  it('bearerAllowed compares the whole token', () => {
    expect(bearerAllowed(undefined, undefined)).toBe(true);
    expect(bearerAllowed(undefined, TOKEN)).toBe(false);
    expect(bearerAllowed(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerAllowed(`bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerAllowed(`Bearer ${TOKEN}x`, TOKEN)).toBe(false);
    expect(bearerAllowed(`Bearer ${TOKEN.slice(0, -1)}`, TOKEN)).toBe(false);
    expect(bearerAllowed(`Basic ${TOKEN}`, TOKEN)).toBe(false);
  });

  it('serves HTTPS and wss:, and refuses requests and upgrades without the token', async () => {
    const config = validateHostConfig({
      http: {
        port: 0,
        tls: { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') },
        token: TOKEN,
      },
      radius: { enabled: false },
      capture: { rpc: { enabled: false } },
    });
    const host = await startHost(config, { version: '0', services: servicesFromConfig(config) });
    hosts.push(host);
    expect(host.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/);
    const health = new URL('/health', host.url).href;
    expect(await get(health)).toMatchObject({ status: 401, authenticate: 'Bearer' });
    expect((await get(health, 'Bearer not-the-token-at-all-000')).status).toBe(401);
    const ok = await get(health, `Bearer ${TOKEN}`);
    expect(ok.status).toBe(200);
    const body = JSON.parse(ok.body) as { services: { name: string; unauthorized?: number }[] };
    expect(body.services.find((s) => s.name === 'http')?.unauthorized).toBe(2);
    expect((await get(new URL('/metrics', host.url).href)).status).toBe(401);

    const wsUrl = new URL('/ws/echo', host.url.replace(/^https/, 'wss'));
    // ws's types want a boolean from checkServerIdentity; Node's TLS wants undefined for "fine".
    const options = {
      ca: certs.ca.certPem,
      checkServerIdentity: (() => undefined) as unknown as () => boolean,
    };
    const refused = new WebSocket(wsUrl, options);
    const status = await new Promise<number>((resolve) =>
      refused.once('unexpected-response', (_req, response) => resolve(response.statusCode ?? 0)),
    );
    expect(status).toBe(401);
    const ws = new WebSocket(wsUrl, { ...options, headers: { Authorization: `Bearer ${TOKEN}` } });
    await new Promise((resolve) => ws.once('open', resolve));
    const echoed = new Promise<string>((resolve) =>
      ws.once('message', (data: Buffer) => resolve(data.toString())),
    );
    ws.send('over wss');
    expect(await echoed).toBe('over wss');
    ws.terminate();
  });
});
