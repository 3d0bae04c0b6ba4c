/**
 * Review D6: `netrx up`'s /metrics for capture.nats against a real NATS
 * JetStream server (Debian nats-server, recorded version below; a private
 * `nats-server -js` on a free loopback port, killed by its PID). The
 * synthetic peer's events reach the `default` session, which publishes to
 * its stream: `netrx_nats_connected` is 1, stored events move; a killed
 * server drops the gauge to 0, a restarted one counts a reconnect.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateHostConfig } from '../../src/node/host/config.js';
import { startHost, type RunningHost } from '../../src/node/host/host.js';
import { servicesFromConfig } from '../../src/node/host/services.js';
import {
  RECORDED_NATS_VERSION,
  natsAlone,
  requireNatsServer,
  type NatsNode,
} from './support/nats.js';

const peers = requireNatsServer('up-nats-metrics.test.ts');
const workdir = mkdtempSync(join(tmpdir(), `netrx-up-nats-metrics-${process.pid}-`));
let server: NatsNode | undefined;
let host: RunningHost | undefined;

beforeAll(async () => {
  if (peers.skip) return;
  server = await natsAlone(workdir);
  await server.start();
}, 20_000);

afterAll(async () => {
  await host?.stop();
  await server?.kill();
  rmSync(workdir, { recursive: true, force: true });
});

/** The sum of a metric's samples whose text includes `match`, or undefined without one. */
function value(text: string, name: string, match = ''): number | undefined {
  const values = text
    .split('\n')
    .filter((l) => (l.startsWith(`${name} `) || l.startsWith(`${name}{`)) && l.includes(match))
    .map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)));
  return values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0);
}

describe.skipIf(peers.skip)(`netrx up /metrics for capture.nats (${RECORDED_NATS_VERSION})`, () => {
  it('connected, stored, pending and reconnects appear and move', async () => {
    const nats = server as NatsNode;
    const config = validateHostConfig({
      http: { port: 0 },
      radius: { port: 0 },
      capture: { rpc: { enabled: false }, nats: { host: 'up-metrics', publish: ['default'] } },
      cluster: { nats: { servers: [nats.url] } },
      synthetic: { intervalMs: 100 },
    });
    host = await startHost(config, { version: '0', services: servicesFromConfig(config) });
    const running = host;
    let text = '';
    const scrape = async () => {
      text = await (await fetch(new URL('/metrics', running.url))).text();
      return text;
    };
    await scrape();
    for (const name of [
      'netrx_nats_connected',
      'netrx_nats_reconnects_total',
      'netrx_nats_consumer_errors_total',
      'netrx_nats_publish_events_total',
      'netrx_nats_publish_pending_events',
      'netrx_nats_publish_retries_total',
    ])
      expect(text, name).toContain(`# TYPE ${name} `);
    expect(value(text, 'netrx_nats_connected')).toBe(1);
    expect(value(text, 'netrx_nats_reconnects_total')).toBe(0);
    const stored = () => value(text, 'netrx_nats_publish_events_total', 'result="stored"') ?? 0;
    const first = stored();
    const later = Date.now() + 10_000;
    while (Date.now() < later && (await scrape(), stored() <= first))
      await new Promise((r) => setTimeout(r, 50));
    expect(stored()).toBeGreaterThan(first);

    await nats.kill();
    const down = Date.now() + 10_000;
    while (Date.now() < down && (await scrape(), value(text, 'netrx_nats_connected') !== 0))
      await new Promise((r) => setTimeout(r, 50));
    expect(value(text, 'netrx_nats_connected')).toBe(0);

    await nats.start();
    const up = Date.now() + 15_000;
    while (Date.now() < up && (await scrape(), value(text, 'netrx_nats_connected') !== 1))
      await new Promise((r) => setTimeout(r, 50));
    expect(value(text, 'netrx_nats_connected')).toBe(1);
    expect(value(text, 'netrx_nats_reconnects_total')).toBe(1);
  }, 60_000);
});
