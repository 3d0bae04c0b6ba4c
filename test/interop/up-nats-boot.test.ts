/**
 * Review F10 against a real NATS server (Debian nats-server, recorded
 * version below): a `netrx up` host whose `cluster.nats.servers` names a
 * closed loopback port starts anyway, `reconnecting`. RADIUS answers the
 * synthetic peer's conversations from local state, capture publishing
 * counts what it cannot send, `/health` says `degraded` with the reason.
 * Then a nats-server starts on that very port and, without a restart,
 * everything attaches: the KV bucket takes conversation state, the stream
 * stores the published events and the served session reads them back,
 * and `/health` is `ok`. Under CI=true a missing nats-server fails.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validateHostConfig } from '../../src/node/host/config.js';
import { startHost, type HostService, type RunningHost } from '../../src/node/host/host.js';
import type { CaptureService } from '../../src/node/host/capture-service.js';
import { hostFromActivityId } from '../../src/node/cluster/index.js';
import { parseEventBuffer } from '../../src/wire/index.js';
import { createHostLogger } from '../../src/node/host/logger.js';
import { servicesFromConfig } from '../../src/node/host/services.js';
import { NatsNode, RECORDED_NATS_VERSION, freePort, requireNatsServer } from './support/nats.js';

const peers = requireNatsServer('up-nats-boot.test.ts');
const workdir = mkdtempSync(join(tmpdir(), `cl-boot-nats-${process.pid}-`));
let host: RunningHost | undefined;
let node: NatsNode | undefined;

afterAll(async () => {
  await host?.stop();
  await node?.kill();
  rmSync(workdir, { recursive: true, force: true });
});

type Entry = Record<string, unknown>;
async function health(running: RunningHost): Promise<{ status: string; services: Entry[] }> {
  return (await (await fetch(new URL('/health', running.url))).json()) as {
    status: string;
    services: Entry[];
  };
}
const entry = (services: Entry[], name: string) => services.find((s) => s['name'] === name);

/** Opens `fleet` (read from the stream) and returns the hosts of origin of the first buffer with events. */
async function fleetHosts(services: readonly HostService[]): Promise<string[]> {
  const capture = services.find((s): s is CaptureService => s.name === 'capture');
  const table = capture?.captureTable();
  if (table === undefined) throw new Error('no capture table');
  const handle = table.openSession('fleet');
  try {
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

async function until(what: string, check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.skipIf(peers.skip)(`NATS down at boot (${RECORDED_NATS_VERSION})`, () => {
  it('starts reconnecting, serves RADIUS locally and counts capture loss, then attaches once nats-server answers', async () => {
    const port = await freePort();
    node = new NatsNode('boot', port, ['-js', '-sd', join(workdir, 'store')], workdir);
    const config = validateHostConfig({
      http: { port: 0 },
      radius: {
        port: 0,
        cluster: { enabled: true, serverId: 's1', stateKey: 'd4'.repeat(32) },
      },
      capture: {
        rpc: { enabled: false },
        nats: {
          host: 'boot-test',
          publish: ['default'],
          serve: [{ name: 'fleet', stream: 'default', hosts: 'boot-*' }],
          maxBuffered: 64,
        },
      },
      cluster: { nats: { servers: [node.url], name: 'netrx up boot-test' } },
      synthetic: { intervalMs: 100 },
      trace: { console: true, level: 5 },
    });
    const logged: string[] = [];
    const { logger } = createHostLogger({ level: 'info', write: (line) => logged.push(line) });
    const services = servicesFromConfig(config);
    host = await startHost(config, { version: '0', services, logger });
    const running = host;

    // NATS away: degraded with the reason, RADIUS answering from local state.
    let seen = await health(running);
    expect(seen.status).toBe('degraded');
    expect(entry(seen.services, 'nats')).toMatchObject({
      status: 'degraded',
      state: 'reconnecting',
      everConnected: false,
      degraded: expect.stringMatching(
        /NATS not reached since the start .*connection refused/,
      ) as unknown,
    });
    await until('local RADIUS conversations and counted capture loss', async () => {
      seen = await health(running);
      const radius = entry(seen.services, 'radius') as
        | { cluster?: { shared?: { local?: number; failed?: number } }; clusterLink?: Entry }
        | undefined;
      const capture = entry(seen.services, 'capture') as
        { nats?: { publish?: { dropped: number; stored: number }[] } } | undefined;
      return (
        JSON.stringify(radius?.cluster?.shared ?? {}) !== '{}' &&
        (capture?.nats?.publish?.[0]?.dropped ?? 0) > 0
      );
    });
    const radiusBefore = entry(seen.services, 'radius') as Entry & {
      clusterLink: Entry;
      cluster: { shared: { stored: number } };
    };
    expect(radiusBefore['status']).toBe('degraded');
    expect(radiusBefore.clusterLink).toEqual({ attached: false, connected: false });
    expect(radiusBefore.cluster.shared.stored).toBe(0);
    const snapshot = JSON.stringify(radiusBefore);

    // nats-server comes up on that port: everything attaches, no restart.
    await node.start();
    await until('KV state, stored events and a healthy host', async () => {
      seen = await health(running);
      const radius = entry(seen.services, 'radius') as
        { cluster?: { shared?: { stored: number } } } | undefined;
      const capture = entry(seen.services, 'capture') as
        { nats?: { publish?: { stored: number }[]; serve?: { events: number }[] } } | undefined;
      return (
        seen.status === 'ok' &&
        (radius?.cluster?.shared?.stored ?? 0) > 0 &&
        (capture?.nats?.publish?.[0]?.stored ?? 0) > 0
      );
    }).catch((error: unknown) => {
      throw new Error(
        `${(error as Error).message}; before: ${snapshot}; now: ${JSON.stringify(seen)}`,
      );
    });
    expect(entry(seen.services, 'nats')).toMatchObject({
      state: 'connected',
      everConnected: true,
      lastError: '',
    });
    // The served session's consumer was queued at boot and reads the stream now.
    expect(await fleetHosts(services)).toContain('boot-test');
    expect(entry(seen.services, 'radius')?.['clusterLink']).toEqual({
      attached: true,
      connected: true,
    });
    expect(logged.join('\n')).toMatch(/NATS reconnecting: no server answers yet/);
  }, 60_000);
});
