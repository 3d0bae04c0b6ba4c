/**
 * `cluster.nats.tls.certificate` / `privateKey`, a client certificate
 * (docs/cluster.md "The connection"), against a server that requires one
 * (from audit16's reproduction, findings A3 and A4). Peer: Debian
 * nats-server 2.9.10 with `tls { … verify: true }` and the demo CA.
 *
 * - the host with the demo client pair connects (`tls: true`);
 * - the same host without it does not start: `cluster.nats: cannot
 *   connect …` naming the TLS refusal (ERR_NATS_CONNECT). Before the fix
 *   it started `reconnecting` for ever, `lastError: "timeout"`, `errors:
 *   0`: under TLS 1.3 the NATS client reports the server's alert as a
 *   timeout (src/node/cluster/tls-refusal.ts).
 *
 * test/interop/up-nats-auth.test.ts covers a server CA and name against a
 * server that does not verify clients.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDemoCertificates } from '../../src/node/certs/demo.js';
import { validateHostConfig } from '../../src/node/host/config.js';
import { startHost, type RunningHost } from '../../src/node/host/host.js';
import { servicesFromConfig } from '../../src/node/host/services.js';
import { NatsNode, RECORDED_NATS_VERSION, freePort, requireNatsServer } from './support/nats.js';

const peers = requireNatsServer('up-nats-mtls.test.ts');
const dir = mkdtempSync(join(tmpdir(), 'r-away-mtls-'));
let node: NatsNode | undefined;
let url = '';
const certs = { ca: '', cert: '', key: '', clientCert: '', clientKey: '' };

beforeAll(async () => {
  if (peers.skip) return;
  await writeDemoCertificates(join(dir, 'certs'));
  const at = (name: string) => join(dir, 'certs', name);
  Object.assign(certs, {
    ca: at('ca.pem'),
    cert: at('server.pem'),
    key: at('server-key.pem'),
    clientCert: at('client.pem'),
    clientKey: at('client-key.pem'),
  });
  const conf = join(dir, 'mtls.conf');
  writeFileSync(
    conf,
    `tls { cert_file: "${certs.cert}", key_file: "${certs.key}", ca_file: "${certs.ca}", verify: true }\n`,
  );
  const port = await freePort();
  node = new NatsNode('mtls', port, ['-c', conf, '-js', '-sd', join(dir, 'store')], dir);
  await node.start();
  url = `tls://127.0.0.1:${port}`;
}, 30_000);

afterAll(async () => {
  await node?.kill();
  rmSync(dir, { recursive: true, force: true });
});

async function startUp(tls: Record<string, string>): Promise<RunningHost> {
  const config = validateHostConfig({
    http: { port: 0 },
    radius: { port: 0 },
    capture: { rpc: { enabled: false } },
    synthetic: { enabled: false },
    cluster: { nats: { servers: [url], tls } },
  });
  return startHost(config, { version: '0', services: servicesFromConfig(config) });
}

describe.skipIf(peers.skip)(
  `netrx up: cluster.nats client certificate (${RECORDED_NATS_VERSION}, verify: true)`,
  () => {
    it('the demo client pair connects (tls: true)', async () => {
      const serverName = 'radius.netrx.test';
      const host = await startUp({
        ca: certs.ca,
        serverName,
        certificate: certs.clientCert,
        privateKey: certs.clientKey,
      });
      let nats: Record<string, unknown> | undefined;
      try {
        const body = (await (await fetch(new URL('/health', host.url))).json()) as {
          services: Record<string, unknown>[];
        };
        nats = body.services.find((s) => s['name'] === 'nats');
      } finally {
        await host.stop();
      }
      expect(nats).toMatchObject({ state: 'connected', tls: true });
    }, 60_000);

    // audit16 A3: an it.fails until the fix (the host started `reconnecting` instead).
    it('without a client certificate the start fails naming cluster.nats', async () => {
      const started = startUp({ ca: certs.ca, serverName: 'radius.netrx.test' });
      const outcome = await started.then(
        async (host) => {
          const body = (await (await fetch(new URL('/health', host.url))).json()) as {
            services: Record<string, unknown>[];
          };
          await host.stop();
          return `started: ${JSON.stringify(body.services.find((s) => s['name'] === 'nats'))}`;
        },
        (error: unknown) => (error as Error).message,
      );
      expect(outcome).toMatch(/^cluster\.nats: cannot connect/);
      expect(outcome).toMatch(/refused the TLS session .*TLS alert/);
    }, 60_000);
  },
);
