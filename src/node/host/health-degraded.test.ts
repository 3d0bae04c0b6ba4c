// Review M4: /health said `ok` while a part did not work. It now has a
// `dashboard` entry (served or missing, files, build time) and is
// `degraded` (200: the API and services still serve) when the dashboard is
// not built, or when the synthetic peer failed SYNTHETIC_DEGRADED_AFTER
// rounds in a row; a synthetic.secret the loopback client entry does not
// hold is refused at load. Each test FAILED before the change (no
// dashboard entry; `synthetic: running`, host `ok`; the file was accepted).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { validateHostConfig } from './config.js';
import { startHost, type RunningHost } from './host.js';
import { servicesFromConfig } from './services.js';
import { SYNTHETIC_DEGRADED_AFTER } from './synthetic-service.js';

const hosts: RunningHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
});
const built = mkdtempSync(join(tmpdir(), 'netrx-health-'));
writeFileSync(join(built, 'index.html'), '<!doctype html><title>t</title>');
mkdirSync(join(built, 'assets'));
writeFileSync(join(built, 'assets', 'index-abc.js'), 'void 0;');
afterAll(() => rmSync(built, { recursive: true, force: true }));

interface Health {
  status: string;
  services: { name: string; status: string; [key: string]: unknown }[];
}

async function health(host: RunningHost): Promise<{ code: number; body: Health }> {
  const answer = await fetch(new URL('/health', host.url));
  return { code: answer.status, body: (await answer.json()) as Health };
}

describe('/health: the dashboard entry (review M4)', () => {
  it('is served, with its files and build time, and the host ok', async () => {
    const config = validateHostConfig({ http: { port: 0 } });
    const host = await startHost(config, { version: '0', dashboardDir: built });
    hosts.push(host);
    const { code, body } = await health(host);
    expect(code).toBe(200);
    expect(body.status).toBe('ok');
    const entry = body.services.find((s) => s.name === 'dashboard');
    expect(entry).toMatchObject({ name: 'dashboard', status: 'served', files: 2 });
    expect(new Date(String(entry?.['builtAt'])).getTime()).toBeGreaterThan(0);
  });

  it('is missing when ui/dist is not built: the host is degraded (200) and says why', async () => {
    const config = validateHostConfig({ http: { port: 0 } });
    const host = await startHost(config, {
      version: '0',
      dashboardDir: join(built, 'not-there'),
    });
    hosts.push(host);
    expect((await fetch(new URL('/', host.url), { headers: { Accept: 'text/html' } })).status).toBe(
      503,
    );
    const { code, body } = await health(host);
    expect(code).toBe(200);
    expect(body.status).toBe('degraded');
    expect(body.services.find((s) => s.name === 'dashboard')).toEqual({
      name: 'dashboard',
      status: 'missing',
      files: 0,
      missing: `the dashboard is not built (no ${join(built, 'not-there', 'index.html')}): run npm run build`,
    });
  });
});

describe('/health: the synthetic peer (review M4)', () => {
  it(`is degraded after ${SYNTHETIC_DEGRADED_AFTER} failed rounds in a row, and running again after a success`, async () => {
    const wrong = {
      http: { port: 0 },
      radius: { port: 0, users: [{ name: 'demo', password: 'demo' }] },
      capture: { rpc: { port: 0 } },
      synthetic: { intervalMs: 100, password: 'not-the-password' },
    };
    const config = validateHostConfig(wrong);
    const host = await startHost(config, {
      version: '0',
      services: servicesFromConfig(config),
      dashboardDir: built,
    });
    hosts.push(host);
    const until = async (done: (h: Health) => boolean): Promise<Health> => {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const { body } = await health(host);
        if (done(body) || Date.now() > deadline) return body;
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const synthetic = (h: Health) => h.services.find((s) => s.name === 'synthetic');
    const failing = await until((h) => synthetic(h)?.status === 'degraded');
    expect(synthetic(failing)).toMatchObject({ status: 'degraded' });
    // Not before N failures in a row.
    expect(Number(synthetic(failing)?.['failedInRow'])).toBeGreaterThanOrEqual(
      SYNTHETIC_DEGRADED_AFTER,
    );
    expect(String(synthetic(failing)?.['degraded'])).toMatch(
      /^the last \d+ rounds failed \(last: md5 failure.*\): check synthetic\.secret/,
    );
    expect(failing.status).toBe('degraded');
    expect((await health(host)).code).toBe(200);

    // The users now hold the peer's password (applied in place): the next success clears it.
    const fixed = validateHostConfig({
      ...wrong,
      radius: { ...wrong.radius, users: [{ name: 'demo', password: 'not-the-password' }] },
    });
    expect((await host.reload(fixed, servicesFromConfig(fixed))).ok).toBe(true);
    const working = await until((h) => synthetic(h)?.status === 'running');
    expect(synthetic(working)).toMatchObject({ status: 'running', failedInRow: 0 });
    expect(working.status).toBe('ok');
  });
});

describe('synthetic.secret (review M4)', () => {
  it('is refused when the loopback client entry has another secret (34-synthetic-secret-mismatch.yaml)', () => {
    expect(() =>
      validateHostConfig({
        radius: { port: 0 },
        capture: { rpc: { port: 0 } },
        http: { port: 0 },
        synthetic: { secret: 'wrong-secret' },
      }),
    ).toThrow(
      /^synthetic\.secret: is not the secret of the radius\.clients entry for 127\.0\.0\.1 \(127\.0\.0\.0\/8\)/,
    );
  });

  it('is refused when no client entry covers loopback, and accepted when the entry matches', () => {
    expect(() =>
      validateHostConfig({
        radius: { clients: [{ address: '::1', secret: 'other-secret' }] },
        synthetic: { secret: 'other-secret' },
      }),
    ).toThrow(/^synthetic\.secret: no radius\.clients entry covers 127\.0\.0\.1/);
    // The most specific entry decides, as in the server.
    const config = validateHostConfig({
      radius: {
        clients: [
          { address: '127.0.0.0/8', secret: 'broad-secret' },
          { address: '127.0.0.1', secret: 'other-secret' },
        ],
      },
      synthetic: { secret: 'other-secret' },
    });
    expect(config.synthetic.secret).toBe('other-secret');
    // With the peer off, nothing to check.
    expect(
      validateHostConfig({ synthetic: { enabled: false, secret: 'wrong-secret' } }).synthetic
        .enabled,
    ).toBe(false);
  });
});
