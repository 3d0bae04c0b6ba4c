/**
 * `cluster.nats` credentials and TLS against a real NATS server (Debian
 * nats-server, recorded version below): one private `nats-server -js` per
 * case, on a free loopback port, with `authorization { user, password }`,
 * a token, an NKey user (the seed made by `@nats-io/nkeys`, already a
 * dependency of the NATS client), or TLS with the demo certificates
 * (`netrx certs demo`'s helper). Through each, one `netrx up` host keeps
 * its RADIUS conversation state in the KV bucket (the synthetic peer's
 * MD5/MSCHAPv2 rounds are stored) and fans capture in (its `default`
 * session published, read back as `fleet`); /health shows the connection
 * (connected, the server without credentials, the kind of credentials).
 * Wrong credentials fail the start naming `cluster.nats`; a password
 * rotated on the server while the host runs is a counted, traced
 * reconnect failure, not a crash, and the host recovers once the server
 * takes its password again. No secret appears in the log or in /health.
 * The CLI (`radius serve`, `capture publish`, from dist/) takes the same
 * credentials as `--nats-user` and `--nats-password-file`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nkeys } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writeDemoCertificates } from '../../src/node/certs/demo.js';
import { validateHostConfig } from '../../src/node/host/config.js';
import { startHost, type RunningHost } from '../../src/node/host/host.js';
import type { CaptureService } from '../../src/node/host/capture-service.js';
import type { HostService } from '../../src/node/host/host.js';
import { createHostLogger } from '../../src/node/host/logger.js';
import { hostFromActivityId } from '../../src/node/cluster/index.js';
import { parseEventBuffer } from '../../src/wire/index.js';
import { ran, stopped, watched } from './support/processes.js';
import { servicesFromConfig } from '../../src/node/host/services.js';
import { NatsNode, RECORDED_NATS_VERSION, freePort, requireNatsServer } from './support/nats.js';

const peers = requireNatsServer('up-nats-auth.test.ts');
const main = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');
const workdir = mkdtempSync(join(tmpdir(), `cluster-nats-auth-${process.pid}-`));
const PASSWORD = 'natsPw-Zc4Vn8Tq-interop';
const ROTATED = 'natsPw-rotated-Qm3Xk7';
const TOKEN = 'natsTok-9LkP4sZr-interop';
const STATE_KEY = 'c3'.repeat(32);
let seed = '';
let certs = { ca: '', cert: '', key: '' };
const servers: NatsNode[] = [];
let host: RunningHost | undefined;
let logged: string[] = [];

beforeAll(async () => {
  if (peers.skip) return;
  seed = new TextDecoder().decode(nkeys.createUser().getSeed());
  const { files } = await writeDemoCertificates(join(workdir, 'certs'));
  const [ca, cert, key] = files as [string, string, string];
  certs = { ca, cert, key };
});

afterEach(async () => {
  await host?.stop();
  host = undefined;
  for (const server of servers.splice(0)) await server.kill();
});

afterAll(() => rmSync(workdir, { recursive: true, force: true }));

/** A nats-server with JetStream and `conf` as its configuration file (rewritable, then restart). */
async function natsWith(name: string, conf: string): Promise<{ node: NatsNode; conf: string }> {
  const port = await freePort();
  const file = join(workdir, `${name}.conf`);
  writeFileSync(file, conf);
  const node = new NatsNode(
    name,
    port,
    ['-c', file, '-js', '-sd', join(workdir, `store-${name}`)],
    workdir,
  );
  servers.push(node);
  await node.start();
  return { node, conf: file };
}

let services: HostService[] = [];

async function startUp(nats: Record<string, unknown>): Promise<RunningHost> {
  const config = validateHostConfig({
    http: { port: 0 },
    radius: { port: 0, cluster: { enabled: true, serverId: 's1', stateKey: STATE_KEY } },
    capture: {
      rpc: { enabled: false },
      nats: {
        host: 'auth-test',
        publish: ['default'],
        serve: [{ name: 'fleet', stream: 'default', hosts: 'auth-*' }],
      },
    },
    cluster: { nats: { ...nats, name: 'netrx up auth-test' } },
    synthetic: { intervalMs: 100 },
    trace: { console: true, level: 5 },
  });
  // No secrets given to the logger: a leak would show, not be scrubbed.
  const { logger } = createHostLogger({ level: 'trace', write: (line) => logged.push(line) });
  services = servicesFromConfig(config);
  return startHost(config, { version: '0', services, logger });
}

/** Opens the `fleet` session (read from the stream) and returns the hosts of origin of one buffer's events. */
async function fleetHosts(): Promise<string[]> {
  const capture = services.find((s): s is CaptureService => s.name === 'capture');
  const table = capture?.captureTable();
  if (table === undefined) throw new Error('no capture table');
  const handle = table.openSession('fleet');
  try {
    // Buffers until one carries events (the timer may complete one with a loss count only).
    for (let i = 0; i < 50; i++) {
      const done = await table.receiveData(handle).done;
      if (done.status !== 'data') throw new Error(`fleet: ${done.status}`);
      const parsed = parseEventBuffer(done.data);
      if (!parsed.ok) throw new Error('fleet: a bad EVENT_BUFFER');
      const hosts = parsed.value.flatMap((item) =>
        item.kind === 'event' ? [hostFromActivityId(item.record.header.activityId)] : [],
      );
      if (hosts.length > 0) return hosts;
    }
    return [];
  } finally {
    table.closeSession(handle);
  }
}

async function health(
  running: RunningHost,
): Promise<{ text: string; services: Record<string, unknown>[] }> {
  const text = await (await fetch(new URL('/health', running.url))).text();
  return { text, services: (JSON.parse(text) as { services: Record<string, unknown>[] }).services };
}

async function metric(running: RunningHost, name: string): Promise<number> {
  const text = await (await fetch(new URL('/metrics', running.url))).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{}`));
  return line === undefined ? Number.NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** RADIUS state written to the bucket, capture events stored and read back: both work. */
async function expectBothWork(running: RunningHost, auth: string): Promise<void> {
  const hosts = await fleetHosts();
  expect(hosts.length).toBeGreaterThan(0);
  expect(new Set(hosts)).toEqual(new Set(['auth-test']));
  let last: Record<string, unknown>[] = [];
  const works = () => {
    const radius = last.find((s) => s['name'] === 'radius') as
      { cluster?: { shared?: { stored: number; finished: number } } } | undefined;
    const capture = last.find((s) => s['name'] === 'capture') as
      { nats?: { publish?: { stored: number }[]; serve?: { events: number }[] } } | undefined;
    return (
      (radius?.cluster?.shared?.stored ?? 0) > 0 &&
      (radius?.cluster?.shared?.finished ?? 0) > 0 &&
      (capture?.nats?.publish?.[0]?.stored ?? 0) > 0
    );
  };
  const deadline = Date.now() + 20_000;
  let text = '';
  while (Date.now() < deadline) {
    ({ text, services: last } = await health(running));
    if (works()) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(works(), text).toBe(true);
  const nats = last.find((s) => s['name'] === 'nats');
  expect(nats).toMatchObject({ status: 'running', state: 'connected', auth, errors: 0 });
  expect(String(nats?.['server'])).toMatch(/^(nats|tls):\/\/127\.0\.0\.1:\d+$|^127\.0\.0\.1:\d+$/);
  for (const secret of [PASSWORD, TOKEN, seed]) expect(text).not.toContain(secret);
}

function expectNoSecretLogged(): void {
  const all = logged.join('\n');
  expect(all.length).toBeGreaterThan(0);
  for (const secret of [PASSWORD, ROTATED, TOKEN, seed]) expect(all).not.toContain(secret);
}

describe.skipIf(peers.skip)(`cluster.nats credentials and TLS (${RECORDED_NATS_VERSION})`, () => {
  it('user and password: RADIUS KV state and capture fan-in work; a rotated password is a counted reconnect failure, then heals', async () => {
    logged = [];
    const { node, conf } = await natsWith(
      'user',
      `authorization { user: alice, password: "${PASSWORD}" }\n`,
    );
    host = await startUp({ servers: [node.url], user: 'alice', password: PASSWORD });
    const running = host;
    await expectBothWork(running, 'user');
    expect(await metric(running, 'netrx_nats_connected')).toBe(1);

    // The server now wants another password: every reconnect is refused.
    writeFileSync(conf, `authorization { user: alice, password: "${ROTATED}" }\n`);
    await node.kill();
    await node.start();
    const failing = Date.now() + 15_000;
    while (Date.now() < failing && !((await metric(running, 'netrx_nats_errors_total')) > 0))
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await metric(running, 'netrx_nats_errors_total')).toBeGreaterThan(0);
    expect(await metric(running, 'netrx_nats_connected')).toBe(0);
    const { services } = await health(running);
    const nats = services.find((s) => s['name'] === 'nats');
    expect(nats?.['state']).toBe('reconnecting');
    expect(String(nats?.['lastError'])).toMatch(/authorization/i);
    expect(logged.join('\n')).toMatch(/NatsConnectionError/);

    // The server takes the old password again: the host reconnects by itself.
    writeFileSync(conf, `authorization { user: alice, password: "${PASSWORD}" }\n`);
    await node.kill();
    await node.start();
    const healed = Date.now() + 15_000;
    while (Date.now() < healed && (await metric(running, 'netrx_nats_connected')) !== 1)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await metric(running, 'netrx_nats_connected')).toBe(1);
    expect(await metric(running, 'netrx_nats_reconnects_total')).toBeGreaterThanOrEqual(1);
    expectNoSecretLogged();
  }, 90_000);

  it('a wrong password fails the start naming cluster.nats, without quoting it', async () => {
    logged = [];
    const { node } = await natsWith(
      'wrong',
      `authorization { user: alice, password: "${PASSWORD}" }\n`,
    );
    const started = startUp({ servers: [node.url], user: 'alice', password: ROTATED });
    await expect(started).rejects.toThrow(
      /^cluster\.nats: cannot connect to nats:\/\/127\.0\.0\.1:\d+: .*authorization/i,
    );
    const error = await started.then(
      () => new Error('started'),
      (e: unknown) => e as Error,
    );
    expect(error.message).not.toContain(ROTATED);
    expectNoSecretLogged();
  }, 30_000);

  it('a token', async () => {
    logged = [];
    const { node } = await natsWith('token', `authorization { token: "${TOKEN}" }\n`);
    host = await startUp({ servers: [node.url], token: TOKEN });
    await expectBothWork(host, 'token');
    expectNoSecretLogged();
    await host.stop();
    host = undefined;
    await expect(startUp({ servers: [node.url], token: `${TOKEN}x` })).rejects.toThrow(
      /^cluster\.nats: cannot connect/,
    );
  }, 60_000);

  it('an NKey user (seed file)', async () => {
    logged = [];
    const user = nkeys.fromSeed(new TextEncoder().encode(seed));
    const { node } = await natsWith(
      'nkey',
      `authorization { users: [ { nkey: ${user.getPublicKey()} } ] }\n`,
    );
    const seedFile = join(workdir, 'user.nk');
    writeFileSync(seedFile, `${seed}\n`, { mode: 0o600 });
    host = await startUp({ servers: [node.url], nkeySeed: seedFile });
    await expectBothWork(host, 'nkey');
    expectNoSecretLogged();
    await host.stop();
    host = undefined;
    const other = join(workdir, 'other.nk');
    writeFileSync(other, new TextDecoder().decode(nkeys.createUser().getSeed()));
    await expect(startUp({ servers: [node.url], nkeySeed: other })).rejects.toThrow(
      /^cluster\.nats: cannot connect/,
    );
  }, 60_000);

  it('TLS with the demo CA (tls:// URL, server name checked)', async () => {
    logged = [];
    const { node } = await natsWith(
      'tls',
      `tls { cert_file: "${certs.cert}", key_file: "${certs.key}", ca_file: "${certs.ca}" }\n`,
    );
    const url = `tls://127.0.0.1:${node.port}`;
    host = await startUp({
      servers: [url],
      tls: { ca: certs.ca, serverName: 'radius.netrx.test' },
    });
    await expectBothWork(host, 'none');
    const { services } = await health(host);
    expect(services.find((s) => s['name'] === 'nats')).toMatchObject({ tls: true });
    await host.stop();
    host = undefined;
    // Another name than the certificate's: refused at start, naming cluster.nats.
    await expect(
      startUp({ servers: [url], tls: { ca: certs.ca, serverName: 'other.netrx.test' } }),
    ).rejects.toThrow(/^cluster\.nats: cannot connect/);
  }, 60_000);

  it('the CLI: radius serve and capture publish take --nats-user/--nats-password-file; a wrong one exits 1 naming --nats', async () => {
    const { node } = await natsWith(
      'cli',
      `authorization { user: alice, password: "${PASSWORD}" }\n`,
    );
    const good = join(workdir, 'cli-password');
    const bad = join(workdir, 'cli-wrong');
    writeFileSync(good, `${PASSWORD}\n`, { mode: 0o600 });
    writeFileSync(bad, `${ROTATED}\n`, { mode: 0o600 });
    const flags = (file: string) => [
      '--nats',
      node.url,
      '--nats-user',
      'alice',
      '--nats-password-file',
      file,
    ];
    const radius = (file: string) => [
      main,
      'radius',
      'serve',
      '--port',
      '0',
      '--secret',
      'cli-secret',
      '--user',
      'bob:hello',
      ...flags(file),
      '--cluster-id',
      'cli',
      '--server-id',
      's1',
      '--state-key',
      STATE_KEY,
    ];
    const server = watched(process.execPath, radius(good));
    try {
      await server.until(/^ready$/m, 20_000);
      expect(server.text()).toMatch(/conversation state in KV/);
    } finally {
      await stopped(server);
    }
    const refused = await ran(process.execPath, radius(bad));
    expect(refused.code).toBe(1);
    expect(refused.text).toMatch(
      /netrx radius serve: --nats: cannot connect to nats:\/\/127\.0\.0\.1:\d+: .*authorization/i,
    );
    const publish = await ran(process.execPath, [
      main,
      'capture',
      'publish',
      ...flags(bad),
      '--host',
      'cli',
      '--session',
      'cli',
    ]);
    expect(publish.code).toBe(1);
    expect(publish.text).toMatch(/--nats: cannot connect/);
    for (const text of [server.text(), refused.text, publish.text]) {
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(ROTATED);
    }
  }, 60_000);
});
