/**
 * What Node's two TLS 1.3 session tickets cost (issue 13, fairness with
 * FreeRADIUS, whose stock eap module sends none): full EAP-TLS-like
 * handshakes (TLS 1.3, client certificate, RSA-2048 demo certificates)
 * between a netrx server engine and a netrx client engine in one process,
 * CPU time of the whole process (both sides) and the bytes the server sent
 * per handshake, in a child with OpenSSL's default (2 tickets) and in one
 * with `NumTickets = 0` (bench/support/eap-variants.ts), alternating, three
 * rounds. Run: `node dist-bench/bench/experiments/tls13-tickets.js [N]`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TlsEngine } from '../../src/eap/index.js';
import { createDemoCertificates } from '../../src/node/certs/index.js';
import { createNodeTlsEngineFactory } from '../../src/node/eap/index.js';
import { NO_TICKETS_OPENSSL_CONF } from '../support/eap-variants.js';

const settled = (engine: TlsEngine) => new Promise<void>((done) => engine.whenSettled(done));

async function child(count: number): Promise<void> {
  const certs = createDemoCertificates({ keyAlgorithm: 'rsa' });
  const versions = { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' } as const;
  const servers = createNodeTlsEngineFactory({
    server: { cert: certs.server.certPem, key: certs.server.keyPem, ca: certs.ca.certPem },
    ...versions,
  });
  const clients = createNodeTlsEngineFactory({
    client: {
      ca: certs.ca.certPem,
      cert: certs.client.certPem,
      key: certs.client.keyPem,
      serverName: 'radius.netrx.test',
    },
    ...versions,
  });
  let serverBytes = 0;
  const handshake = async (): Promise<void> => {
    const client = clients.create('client');
    const server = servers.create('server');
    for (let round = 0; round < 20; round++) {
      await Promise.all([settled(client), settled(server)]);
      const toServer = client.takeOutput();
      const toClient = server.takeOutput();
      serverBytes += toClient.length;
      if (toServer.length === 0 && toClient.length === 0) break;
      if (toServer.length > 0) server.feed(toServer);
      if (toClient.length > 0) client.feed(toClient);
    }
    if (client.state !== 'established' || server.state !== 'established')
      throw new Error(`handshake ended ${client.state}/${server.state}`);
    client.close();
    server.close();
  };
  for (let i = 0; i < 30; i++) await handshake(); // warm-up
  serverBytes = 0;
  const start = process.cpuUsage();
  for (let i = 0; i < count; i++) await handshake();
  const used = process.cpuUsage(start);
  process.stdout.write(
    `${JSON.stringify({ micros: (used.user + used.system) / count, bytes: serverBytes / count })}\n`,
  );
}

function parent(count: number): void {
  const dir = mkdtempSync(join(tmpdir(), 'eap-perf-tickets-'));
  try {
    const conf = join(dir, 'openssl-no-tickets.cnf');
    writeFileSync(conf, NO_TICKETS_OPENSSL_CONF);
    const runs: Record<string, { micros: number; bytes: number }[]> = { default: [], none: [] };
    for (let round = 0; round < 3; round++) {
      const order = round % 2 === 0 ? ['default', 'none'] : ['none', 'default'];
      for (const which of order) {
        const env = { ...process.env };
        if (which === 'none') env['OPENSSL_CONF'] = conf;
        else delete env['OPENSSL_CONF'];
        const run = spawnSync(process.execPath, [import.meta.filename, 'child', String(count)], {
          encoding: 'utf8',
          env,
        });
        if (run.status !== 0) throw new Error(run.stderr);
        runs[which]?.push(JSON.parse(run.stdout) as { micros: number; bytes: number });
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[1] ?? 0;
    for (const [which, list] of Object.entries(runs))
      process.stdout.write(
        `${which === 'default' ? "OpenSSL's default (2 tickets)" : 'NumTickets = 0'}: ` +
          `${median(list.map((r) => r.micros)).toFixed(0)} µs CPU per handshake, both sides ` +
          `(${list.map((r) => r.micros.toFixed(0)).join(', ')}), server sent ${median(list.map((r) => r.bytes)).toFixed(0)} B\n`,
      );
    process.stdout.write(
      `load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'child') await child(Number(process.argv[3] ?? 300));
else parent(Number(process.argv[2] ?? 300));
