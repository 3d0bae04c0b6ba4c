// The services of the embedded default, started by the host on ephemeral
// ports, each proven by a client nobody mocked: netrx's RADIUS client gets
// an Access-Accept for demo/demo (MD5 and MSCHAPv2), netrx's capture RPC
// client opens `default` and reads events of the radius and synthetic-peer
// providers, and /health names every service.
import { afterEach, describe, expect, it } from 'vitest';
import { createMd5Method, createMschapV2Method } from '../../eap/index.js';
import { RADIUS_PROVIDER } from '../../radius/index.js';
import { parseEventBuffer } from '../../wire/index.js';
import { connectLrecTcp } from '../capture/index.js';
import { runRadiusEapTest } from '../radius/index.js';
import { nodeCrypto } from '../runtime/index.js';
import { defaultHostConfig, validateHostConfig, type HostConfig } from './config.js';
import { startHost, type RunningHost } from './host.js';
import { servicesFromConfig } from './services.js';
import { SYNTHETIC_PEER_PROVIDER } from './synthetic-service.js';

const hosts: RunningHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
});

/** The embedded default on ephemeral ports, with a faster synthetic peer. */
export function ephemeralConfig(overrides: Record<string, unknown> = {}): HostConfig {
  return validateHostConfig({
    http: { port: 0 },
    radius: { port: 0 },
    capture: { rpc: { port: 0 } },
    synthetic: { intervalMs: 200 },
    ...overrides,
  });
}

interface Health {
  services: {
    name: string;
    status: string;
    port?: number;
    rpc?: { port: number };
    accepted?: number;
    rounds?: number;
    udpEchoes?: number;
  }[];
}

export async function health(host: RunningHost): Promise<Health> {
  return (await (await fetch(new URL('/health', host.url))).json()) as Health;
}

async function startDefault(config = ephemeralConfig()) {
  const host = await startHost(config, { version: '0', services: servicesFromConfig(config) });
  hosts.push(host);
  const body = await health(host);
  const radiusPort = body.services.find((s) => s.name === 'radius')?.port;
  const rpcPort = body.services.find((s) => s.name === 'capture')?.rpc?.port;
  if (radiusPort === undefined || rpcPort === undefined) throw new Error('no radius or capture');
  return { host, radiusPort, rpcPort };
}

describe('netrx up: the services of the embedded default', () => {
  it('turns radius, capture RPC and the synthetic peer on by default', () => {
    const config = defaultHostConfig();
    expect(config.radius).toMatchObject({ enabled: true, host: '127.0.0.1', port: 1812 });
    expect(config.capture.rpc).toMatchObject({ enabled: true, host: '127.0.0.1', port: 7341 });
    expect(config.synthetic.enabled).toBe(true);
    expect(servicesFromConfig(config).map((s) => s.name)).toEqual([
      'capture',
      'radius',
      'websocket-echo',
      'synthetic',
    ]);
    expect(
      servicesFromConfig(validateHostConfig({ radius: { enabled: false } })).map((s) => s.name),
    ).toEqual(['capture', 'websocket-echo']);
  });

  it('/health names every service, and the startup lines say the demo credentials are demo-only', async () => {
    const { host } = await startDefault();
    const body = await health(host);
    expect(body.services.map((s) => s.name)).toEqual([
      'trace',
      'http',
      'dashboard',
      'capture',
      'radius',
      'websocket-echo',
      'synthetic',
    ]);
    // The dashboard entry says served or missing (ui/dist built or not, review M4).
    expect(
      body.services.filter((s) => s.name !== 'dashboard').every((s) => s.status === 'running'),
    ).toBe(true);
    const radius = host.started.find((s) => s.name === 'radius')?.detail ?? '';
    expect(radius).toMatch(/^RADIUS\/EAP on udp 127\.0\.0\.1:\d+ \(md5, mschapv2\)/);
    expect(radius).toContain('DEMO ONLY: secret testing123, user demo/demo');
  });

  for (const [name, eapName] of [
    ['md5', 'MD5-Challenge'],
    ['mschapv2', 'MSCHAPv2'],
  ] as const) {
    it(`answers netrx's RADIUS client with Access-Accept for demo/demo (EAP-${name})`, async () => {
      const { radiusPort } = await startDefault(ephemeralConfig({ synthetic: { enabled: false } }));
      const method =
        name === 'md5'
          ? createMd5Method({ crypto: nodeCrypto })
          : createMschapV2Method({ crypto: nodeCrypto });
      const run = (password: string) =>
        runRadiusEapTest({
          servers: [{ address: '127.0.0.1', port: radiusPort, secret: 'testing123' }],
          methods: [method],
          identity: 'demo',
          password,
          timeoutMs: 2000,
          retries: 1,
        });
      const accepted = await run('demo');
      expect({ outcome: accepted.outcome, method: accepted.eap?.method }).toEqual({
        outcome: 'success',
        method: eapName,
      });
      expect((await run('not-demo')).outcome).toBe('failure');
    });
  }

  it("a capture RPC client opens `default` and reads the radius and synthetic peer's events", async () => {
    const { host, rpcPort } = await startDefault();
    const client = await connectLrecTcp({ host: '127.0.0.1', port: rpcPort });
    try {
      const handle = await client.open('default');
      const seen = new Set<string>();
      const deadline = Date.now() + 10_000;
      while (
        !(seen.has(RADIUS_PROVIDER.guid) && seen.has(SYNTHETIC_PEER_PROVIDER.guid)) &&
        Date.now() < deadline
      ) {
        const items = parseEventBuffer(await client.receive(handle));
        if (!items.ok) throw new Error(items.failure.message);
        for (const item of items.value)
          if (item.kind === 'event') seen.add(item.record.header.providerId);
      }
      expect(seen).toContain(RADIUS_PROVIDER.guid);
      expect(seen).toContain(SYNTHETIC_PEER_PROVIDER.guid);
      await client.close(handle);
    } finally {
      client.end();
    }
    const synthetic = (await health(host)).services.find((s) => s.name === 'synthetic');
    expect(synthetic?.rounds).toBeGreaterThan(0);
  });

  it('the synthetic peer also echoes UDP across two stacks on an in-memory wire, seen in /metrics', async () => {
    const { host } = await startDefault();
    const deadline = Date.now() + 10_000;
    let echoes = 0;
    while (echoes < 2 && Date.now() < deadline) {
      echoes = (await health(host)).services.find((s) => s.name === 'synthetic')?.udpEchoes ?? 0;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(echoes).toBeGreaterThanOrEqual(2);
    const metrics = await (await fetch(new URL('/metrics', host.url))).text();
    const accepted = /^netrx_link_frames_accepted_total\{adapter="synthetic-b"\} (\d+)$/m.exec(
      metrics,
    );
    // ARP request + at least two datagrams.
    expect(Number(accepted?.[1])).toBeGreaterThanOrEqual(3);
  });
});
