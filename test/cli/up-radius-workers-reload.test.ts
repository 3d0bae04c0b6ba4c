/**
 * Issue 14: `netrx up` with `radius.workers: 2` takes a users change in
 * place (it restarted the RADIUS service before, ending every conversation):
 * each worker is sent the new users, so an EAP-MD5 conversation half-way
 * through goes on, the new user gets in, and a worker started after the
 * update (replacing one that died) has the new users too. The worker
 * threads run dist/node/radius/worker-main.js, so this suite loads the host
 * from dist/ (`npm run build`).
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type * as Eap from '../../src/eap/index.js';
import type * as Config from '../../src/node/host/config.js';
import type * as Host from '../../src/node/host/host.js';
import type * as Services from '../../src/node/host/services.js';
import type * as NodeRadius from '../../src/node/radius/index.js';
import type * as Runtime from '../../src/node/runtime/index.js';

const root = resolve(import.meta.dirname, '..', '..');
const load = async <T>(path: string) =>
  (await import(pathToFileURL(join(root, 'dist', path)).href)) as T;
const { validateHostConfig } = await load<typeof Config>('node/host/config.js');
const { startHost } = await load<typeof Host>('node/host/host.js');
const { servicesFromConfig } = await load<typeof Services>('node/host/services.js');
const { runRadiusEapTest, startRadiusServer, standardWorkerSetup } =
  await load<typeof NodeRadius>('node/radius/index.js');
const { createMd5Method } = await load<typeof Eap>('eap/index.js');
const { nodeCrypto } = await load<typeof Runtime>('node/runtime/index.js');

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function md5(port: number, identity: string, password: string): Promise<string> {
  return runRadiusEapTest({
    servers: [{ address: '127.0.0.1', port, secret: 'testing123' }],
    methods: [createMd5Method({ crypto: nodeCrypto })],
    identity,
    password,
    // Longer than the reload: no retransmission while the second request is held.
    timeoutMs: 10_000,
    retries: 0,
  }).then((result) => result.outcome);
}

async function bind(): Promise<Socket> {
  const socket = createSocket('udp4');
  cleanups.push(() => {
    socket.close();
  });
  await new Promise<void>((done) => socket.bind(0, '127.0.0.1', done));
  return socket;
}

/** A relay to the RADIUS server that holds the second Access-Request until `duringHold` settles. */
async function holdSecondRequest(radiusPort: number, duringHold: () => Promise<unknown>) {
  const relay = await bind();
  const upstream = await bind();
  let nas: RemoteInfo | undefined;
  let requests = 0;
  let held: Promise<unknown> = Promise.resolve(undefined);
  relay.on('message', (message, from) => {
    nas = from;
    requests++;
    const forward = () => upstream.send(message, radiusPort, '127.0.0.1');
    if (requests === 2) {
      held = duringHold();
      void held.then(forward);
    } else forward();
  });
  upstream.on('message', (message) => {
    if (nas !== undefined) relay.send(message, nas.port, nas.address);
  });
  return { port: relay.address().port, requests: () => requests, held: () => held };
}

function hostConfig(users: { name: string; password: string }[]) {
  return validateHostConfig({
    http: { port: 0 },
    radius: { port: 0, workers: 2, users },
    capture: { rpc: { enabled: false } },
    synthetic: { enabled: false },
  });
}

describe('netrx up, radius.workers 2: a users change is applied in place', () => {
  it('a conversation half-way through goes on, the new user gets in, the port stays', async () => {
    const first = hostConfig([{ name: 'demo', password: 'demo' }]);
    const host = await startHost(first, {
      version: '0',
      services: servicesFromConfig(first),
      log: () => undefined,
    });
    cleanups.push(() => host.stop());
    const radiusPort = async () => {
      const health = (await (await fetch(new URL('/health', host.url))).json()) as {
        services: { name: string; port?: number; workers?: { workers: number } }[];
      };
      return health.services.find((s) => s.name === 'radius');
    };
    const before = await radiusPort();
    expect(before?.workers?.workers).toBe(2);
    const port = before?.port ?? 0;
    expect(await md5(port, 'alice', 'wonderland')).toBe('failure');
    const next = hostConfig([
      { name: 'demo', password: 'demo' },
      { name: 'alice', password: 'wonderland' },
    ]);
    const relay = await holdSecondRequest(port, () => host.reload(next, servicesFromConfig(next)));
    const outcome = await md5(relay.port, 'demo', 'demo');
    expect(await relay.held()).toMatchObject({ ok: true, updated: ['radius'], restarted: [] });
    expect(outcome).toBe('success');
    expect(relay.requests()).toBe(2);
    expect((await radiusPort())?.port).toBe(port);
    // Each run from its own socket (source port), so both workers answer.
    for (let i = 0; i < 6; i++) expect(await md5(port, 'alice', 'wonderland')).toBe('success');
  });

  it('RadiusWorkerPool.updateUsers: every worker, and one started after it, has the new users', async () => {
    const server = await startRadiusServer({
      host: '127.0.0.1',
      port: 0,
      clients: [{ address: '127.0.0.1', secret: 'testing123' }],
      methods: [],
      workers: 2,
      workerSetup: standardWorkerSetup({
        methods: ['md5'],
        users: [{ name: 'demo', password: 'demo' }],
      }),
    });
    cleanups.push(() => server.close());
    const pool = server.pool;
    if (pool === undefined) throw new Error('no pool with 2 workers');
    await pool.updateUsers({ users: [{ name: 'bob', password: 'hello' }] });
    for (let i = 0; i < 6; i++) expect(await md5(server.port, 'bob', 'hello')).toBe('success');
    expect(await md5(server.port, 'demo', 'demo')).toBe('failure');
    await pool.terminateWorker(0);
    await pool.terminateWorker(1);
    // Two new threads load dist/ and run their setup: a wait for an event,
    // not a speed check. The poll's 1 s default ran out at load 22.
    await expect
      .poll(() => pool.workerStats().every((w) => w.up && w.restarts === 1), { timeout: 20_000 })
      .toBe(true);
    for (let i = 0; i < 6; i++) expect(await md5(server.port, 'bob', 'hello')).toBe('success');
    await expect(pool.updateUsers({ usersFile: 'bob Cleartext-Password := ' })).rejects.toThrow(
      /radius worker \d/,
    );
  });
});
