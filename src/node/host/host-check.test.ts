// The host answers only the Host names it serves (DNS rebinding), and its
// WebSocket echo only this host's pages, non-browser clients and allowed
// Origins (review of issue 17).
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultHostConfig } from './config.js';
import { startHost, type RunningHost } from './host.js';
import { hostHeaderAllowed, originAllowed } from './host-check.js';
import { servicesFromConfig } from './services.js';

const hosts: RunningHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
});

async function start(allowedOrigins: string[] = []): Promise<number> {
  const defaults = defaultHostConfig();
  // Every listener on an ephemeral port: the defaults (7340, 1812, 7341)
  // are taken whenever an `npm start` runs on the same machine (review T1).
  const config = {
    ...defaults,
    http: { ...defaults.http, port: 0 },
    radius: { ...defaults.radius, port: 0 },
    capture: { ...defaults.capture, rpc: { ...defaults.capture.rpc, port: 0 } },
    websocket: { echo: { ...defaults.websocket.echo, allowedOrigins } },
  };
  const host = await startHost(config, { version: '0', services: servicesFromConfig(config) });
  hosts.push(host);
  return Number(new URL(host.url).port);
}

/** The status a request with these headers gets (101 for an accepted upgrade). */
function statusOf(port: number, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers });
    req.once('response', (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    req.once('upgrade', (_response, socket) => {
      socket.destroy();
      resolve(101);
    });
    req.once('error', reject);
    req.end();
  });
}

const upgrade = {
  Connection: 'Upgrade',
  Upgrade: 'websocket',
  'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
  'Sec-WebSocket-Version': '13',
};

describe('Host header', () => {
  it('a loopback host answers loopback names and addresses, and 421 to any other name', async () => {
    const port = await start();
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, '127.1.2.3']) {
      expect({ host, status: await statusOf(port, '/health', { Host: host }) }).toEqual({
        host,
        status: 200,
      });
    }
    for (const host of [`evil.example:${port}`, 'evil.example', `10.0.0.1:${port}`]) {
      expect({ host, status: await statusOf(port, '/health', { Host: host }) }).toEqual({
        host,
        status: 421,
      });
    }
    // The WebSocket upgrade too.
    expect(await statusOf(port, '/ws/echo', { ...upgrade, Host: 'evil.example' })).toBe(421);
  });

  it('decides from the configured host', () => {
    expect(hostHeaderAllowed('192.168.1.5:7340', '192.168.1.5')).toBe(true);
    expect(hostHeaderAllowed('localhost:7340', '192.168.1.5')).toBe(false);
    expect(hostHeaderAllowed('192.168.1.5', '0.0.0.0')).toBe(true);
    expect(hostHeaderAllowed('rebind.example', '0.0.0.0')).toBe(false);
    expect(hostHeaderAllowed('rebind.example', 'rebind.example')).toBe(true);
    expect(hostHeaderAllowed(undefined, '127.0.0.1')).toBe(true);
  });
});

describe('Origin of a WebSocket upgrade to /ws/echo', () => {
  it('accepts no Origin and this host; refuses another site with 403 unless allowed', async () => {
    const port = await start(['http://app.example:8080']);
    const host = `127.0.0.1:${port}`;
    const status = (origin?: string) =>
      statusOf(port, '/ws/echo', { ...upgrade, Host: host, ...(origin ? { Origin: origin } : {}) });
    expect(await status()).toBe(101);
    expect(await status(`http://${host}`)).toBe(101);
    expect(await status('http://app.example:8080')).toBe(101);
    expect(await status('http://evil.example')).toBe(403);
    expect(await status('http://app.example:8081')).toBe(403);
    expect(await status('null')).toBe(403);
  });

  it('compares origins after URL normalisation', () => {
    expect(originAllowed('HTTP://App.Example:80', undefined, ['http://app.example'])).toBe(true);
    expect(originAllowed('http://127.0.0.1:7340', '127.0.0.1:7340', [])).toBe(true);
    expect(originAllowed('https://127.0.0.1:7340', '127.0.0.1:7341', [])).toBe(false);
  });
});
