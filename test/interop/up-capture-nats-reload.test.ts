/**
 * Issue 14: a reload that changes only `capture.nats` restarts the fan-in
 * alone (a private `nats-server -js` on a free loopback port; Debian
 * nats-server, recorded version below; killed by its PID): a dashboard
 * viewer and an RPC session on a configured session stay connected and
 * lose nothing, the session served from the streams is replaced by the new
 * configuration's, and the new publisher publishes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineEvent, TraceLevel } from '../../src/trace/index.js';
import { parseEventBuffer } from '../../src/wire/index.js';
import { connectLrecTcp, connectLrecWs } from '../../src/node/capture/index.js';
import { validateHostConfig } from '../../src/node/host/config.js';
import { startHost, type RunningHost } from '../../src/node/host/host.js';
import { servicesFromConfig } from '../../src/node/host/services.js';
import {
  RECORDED_NATS_VERSION,
  natsAlone,
  requireNatsServer,
  type NatsNode,
} from './support/nats.js';

const peers = requireNatsServer('up-capture-nats-reload.test.ts');
const workdir = mkdtempSync(join(tmpdir(), `host-d-capture-nats-${process.pid}-`));
let server: NatsNode | undefined;
let host: RunningHost | undefined;
const ends: (() => void)[] = [];

beforeAll(async () => {
  if (peers.skip) return;
  server = await natsAlone(workdir);
  await server.start();
}, 20_000);

afterAll(async () => {
  for (const end of ends) end();
  await host?.stop();
  await server?.kill();
  rmSync(workdir, { recursive: true, force: true });
});

const GENERATOR = { guid: '0d7e57ed-0000-4000-8000-0000000014d2', name: 'netrx-test-host-d-nats' };
const Generated = defineEvent({
  id: 1,
  name: 'Generated',
  level: TraceLevel.Information,
  keywords: 0x1n,
  fields: [{ name: 'n', type: 'u32' }],
});

async function drain(receive: () => Promise<Uint8Array>, count: number) {
  const seen = { delivered: 0, lost: 0 };
  while (seen.delivered + seen.lost < count) {
    const items = parseEventBuffer(await receive());
    if (!items.ok) throw new Error(items.failure.message);
    for (const item of items.value) {
      if (item.kind === 'event') seen.delivered++;
      else if (item.kind === 'lost') seen.lost += item.lostEventCount;
    }
  }
  return seen;
}

describe.skipIf(peers.skip)(
  `netrx up: capture.nats reloads alone (${RECORDED_NATS_VERSION})`,
  () => {
    it('a viewer and an RPC session stay connected; the served session is replaced', async () => {
      const nats = server as NatsNode;
      const config = (hostName: string, served: string) =>
        validateHostConfig({
          http: { port: 0 },
          radius: { enabled: false },
          websocket: { echo: { enabled: false } },
          synthetic: { enabled: false },
          cluster: { nats: { servers: [nats.url] } },
          capture: {
            rpc: { port: 0 },
            sessions: [{ name: 'tail', providers: [GENERATOR.guid], queueEvents: 256 }],
            nats: {
              host: hostName,
              publish: ['tail'],
              serve: [{ name: served, stream: 'tail', hosts: '*' }],
            },
          },
        });
      const first = config('host-d-a', 'fleet-a');
      host = await startHost(first, { version: '0', services: servicesFromConfig(first) });
      const running = host;
      const health = async () =>
        (
          (await (await fetch(new URL('/health', running.url))).json()) as {
            services: {
              name: string;
              rpc?: { port?: number };
              sessions?: { name: string }[];
              nats?: { host?: string; serve?: { session?: string; durable?: string }[] };
            }[];
          }
        ).services.find((s) => s.name === 'capture');
      const viewer = await connectLrecWs({
        url: `${running.url.replace(/^http/, 'ws')}capture/viewer`,
      });
      const rpc = await connectLrecTcp({
        host: '127.0.0.1',
        port: (await health())?.rpc?.port ?? 0,
      });
      ends.push(
        () => viewer.end(),
        () => rpc.end(),
      );
      const viewerHandle = await viewer.open('tail');
      const rpcHandle = await rpc.open('tail');
      const generator = running.trace.register(GENERATOR);
      for (let n = 0; n < 20; n++) generator.emit(Generated, { n });
      expect(await drain(() => viewer.receive(viewerHandle), 20)).toEqual({
        delivered: 20,
        lost: 0,
      });
      expect(await drain(() => rpc.receive(rpcHandle), 20)).toEqual({ delivered: 20, lost: 0 });
      const next = config('host-d-b', 'fleet-b');
      expect(await running.reload(next, servicesFromConfig(next))).toMatchObject({
        ok: true,
        updated: ['capture'],
        restarted: [],
      });
      const after = await health();
      expect(after?.sessions?.map((s) => s.name).sort()).toEqual(['fleet-b', 'tail']);
      expect(after?.nats?.host).toBe('host-d-b');
      // The durables carry the entry and capture.nats.host (review16c M25: no test named them).
      expect(after?.nats?.serve?.map((s) => s.durable)).toEqual([
        'netrx-reader-tail-fleet-b-host-d-b',
      ]);
      for (let n = 20; n < 60; n++) generator.emit(Generated, { n });
      expect(await drain(() => viewer.receive(viewerHandle), 40)).toEqual({
        delivered: 40,
        lost: 0,
      });
      expect(await drain(() => rpc.receive(rpcHandle), 40)).toEqual({ delivered: 40, lost: 0 });
    });
  },
);
