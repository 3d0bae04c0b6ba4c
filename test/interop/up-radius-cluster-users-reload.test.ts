/**
 * Issue 14: `netrx up` with `radius.cluster` (a private `nats-server -js` on
 * a free loopback port, Debian nats-server, recorded version below, killed
 * by its PID) takes a users change in place instead of restarting the
 * RADIUS service: each server of a cluster runs its own configuration, so
 * the server reloaded looks its users up in the new list, an EAP-MD5
 * conversation half-way through goes on, and the new user gets in.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMd5Method } from '../../src/eap/index.js';
import { validateHostConfig } from '../../src/node/host/config.js';
import { startHost, type RunningHost } from '../../src/node/host/host.js';
import { servicesFromConfig } from '../../src/node/host/services.js';
import { runRadiusEapTest } from '../../src/node/radius/index.js';
import { nodeCrypto } from '../../src/node/runtime/index.js';
import {
  RECORDED_NATS_VERSION,
  natsAlone,
  requireNatsServer,
  type NatsNode,
} from './support/nats.js';

const peers = requireNatsServer('up-radius-cluster-users-reload.test.ts');
const workdir = mkdtempSync(join(tmpdir(), `host-d-cluster-users-${process.pid}-`));
let server: NatsNode | undefined;
let host: RunningHost | undefined;
const sockets: Socket[] = [];

beforeAll(async () => {
  if (peers.skip) return;
  server = await natsAlone(workdir);
  await server.start();
}, 20_000);

afterAll(async () => {
  for (const socket of sockets.splice(0)) socket.close();
  await host?.stop();
  await server?.kill();
  rmSync(workdir, { recursive: true, force: true });
});

function md5(port: number, identity: string, password: string): Promise<string> {
  return runRadiusEapTest({
    servers: [{ address: '127.0.0.1', port, secret: 'testing123' }],
    methods: [createMd5Method({ crypto: nodeCrypto })],
    identity,
    password,
    timeoutMs: 10_000,
    retries: 0,
  }).then((result) => result.outcome);
}

async function bind(): Promise<Socket> {
  const socket = createSocket('udp4');
  sockets.push(socket);
  await new Promise<void>((done) => socket.bind(0, '127.0.0.1', done));
  return socket;
}

/** A relay that holds the second Access-Request (the MD5 response) until `duringHold` settles. */
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
  return { port: relay.address().port, held: () => held };
}

describe.skipIf(peers.skip)(
  `netrx up radius.cluster: a users change is applied in place (${RECORDED_NATS_VERSION})`,
  () => {
    it('a conversation half-way through goes on; the new user gets in on the same port', async () => {
      const nats = server as NatsNode;
      const config = (users: { name: string; password: string }[]) =>
        validateHostConfig({
          http: { port: 0 },
          radius: {
            port: 0,
            users,
            cluster: { enabled: true, serverId: 'host-d-s1', id: 'host-d' },
          },
          cluster: { nats: { servers: [nats.url] } },
          capture: { rpc: { enabled: false } },
          synthetic: { enabled: false },
        });
      const first = config([{ name: 'demo', password: 'demo' }]);
      host = await startHost(first, {
        version: '0',
        services: servicesFromConfig(first),
        log: () => undefined,
      });
      const running = host;
      const radius = async () =>
        (
          (await (await fetch(new URL('/health', running.url))).json()) as {
            services: { name: string; port?: number }[];
          }
        ).services.find((s) => s.name === 'radius');
      const port = (await radius())?.port ?? 0;
      expect(await md5(port, 'alice', 'wonderland')).toBe('failure');
      const next = config([
        { name: 'demo', password: 'demo' },
        { name: 'alice', password: 'wonderland' },
      ]);
      const relay = await holdSecondRequest(port, () =>
        running.reload(next, servicesFromConfig(next)),
      );
      const outcome = await md5(relay.port, 'demo', 'demo');
      expect(await relay.held()).toMatchObject({ ok: true, updated: ['radius'], restarted: [] });
      expect(outcome).toBe('success');
      expect((await radius())?.port).toBe(port);
      expect(await md5(port, 'alice', 'wonderland')).toBe('success');
    });
  },
);
