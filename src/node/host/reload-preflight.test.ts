// Review H2: a refused reload must not drop established sessions. Every new
// listen address is tried before any service stops, so a reload refused
// because its new radius port is held leaves an echo WebSocket open and
// RADIUS on its old port. The first test is the review's
// (`radius-port-held-and-echo`); it FAILED on main (the echo got 1001 and a
// port-0 radius came back on another port). When a later failure still
// forces a rollback, the error says what was restarted.
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { validateHostConfig } from './config.js';
import { startHost, type HostService, type RunningHost } from './host.js';
import { bindingsToTry, preflightListen } from './listen-preflight.js';
import { servicesFromConfig } from './services.js';

const hosts: RunningHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
});

async function radiusPort(host: RunningHost): Promise<number> {
  const health = (await (await fetch(new URL('/health', host.url))).json()) as {
    services: { name: string; port?: number }[];
  };
  return health.services.find((s) => s.name === 'radius')?.port ?? 0;
}

async function heldUdp(): Promise<Socket> {
  const holder = createSocket('udp4');
  await new Promise<void>((resolve) => holder.bind(0, '127.0.0.1', resolve));
  return holder;
}

const base = {
  http: { port: 0 },
  radius: { port: 0 },
  capture: { rpc: { port: 0 } },
  synthetic: { enabled: false },
};

describe('netrx up: a refused reload (review H2)', () => {
  it('leaves an echo connection open and radius on its port when the new radius port is held', async () => {
    const first = validateHostConfig(base);
    const host = await startHost(first, { version: '0', services: servicesFromConfig(first) });
    hosts.push(host);
    const portBefore = await radiusPort(host);
    const ws = new WebSocket(new URL('/ws/echo', host.url.replace(/^http/, 'ws')));
    await new Promise((resolve) => ws.once('open', resolve));
    let closedWith: number | undefined;
    ws.once('close', (code) => (closedWith = code));
    const holder = await heldUdp();
    try {
      const next = validateHostConfig({
        ...base,
        websocket: { echo: { keepAliveMs: 20_000 } },
        radius: { port: holder.address().port },
      });
      const result = await host.reload(next, servicesFromConfig(next));
      expect(result).toMatchObject({ ok: false, restarted: [], stopped: [], started: [] });
      expect(result.error).toBe(
        `radius.port: cannot listen on udp 127.0.0.1:${holder.address().port}: address already in use; nothing was restarted, kept the running configuration`,
      );
    } finally {
      holder.close();
    }
    const radiusAfter = await radiusPort(host);
    // Still open: it answers.
    const echoed = new Promise<string>((resolve) =>
      ws.once('message', (data: Buffer) => resolve(data.toString())),
    );
    ws.send('still here');
    const answer = await echoed;
    const closedBeforeTerminate = closedWith;
    ws.terminate();
    expect(closedBeforeTerminate).toBeUndefined();
    expect(answer).toBe('still here');
    expect(radiusAfter).toBe(portBefore);
  });

  it('says which services it restarted when a failure after the pre-flight rolls back', async () => {
    const config = validateHostConfig({ http: { port: 0 } });
    const service = (name: string, fingerprint: string, fails = false): HostService => ({
      name,
      fingerprint,
      start: () => (fails ? Promise.reject(new Error('broken')) : Promise.resolve(name)),
      stop: () => Promise.resolve(),
      status: () => ({}),
    });
    const host = await startHost(config, {
      version: '0',
      services: [service('first', '1'), service('second', '1')],
    });
    hosts.push(host);
    const result = await host.reload(config, [service('first', '2'), service('second', '2', true)]);
    expect(result.error).toBe(
      'second: broken; rolled back to the running configuration (restarted: first, second)',
    );
  });
});

describe('listen pre-flight', () => {
  it('tries only new fixed ports, skipping what the running configuration holds', () => {
    const running = validateHostConfig({ ...base, radius: { port: 41812 } });
    expect(bindingsToTry(running, running)).toEqual([]);
    const moved = validateHostConfig({
      ...base,
      radius: { port: 41813 },
      capture: { rpc: { port: 41814 } },
    });
    expect(bindingsToTry(running, moved).map((b) => b.key)).toEqual([
      'radius.port',
      'capture.rpc.port',
    ]);
  });

  it('refuses a TCP port another process listens on, naming the key', async () => {
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const running = validateHostConfig(base);
      const next = validateHostConfig({ ...base, capture: { rpc: { port } } });
      const clash = await preflightListen(running, next);
      expect(clash?.message).toBe(
        `capture.rpc.port: cannot listen on tcp 127.0.0.1:${port}: address already in use`,
      );
      expect(clash?.code).toBe('ERR_HOST_LISTEN');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    // Released again: the same address now passes, and the try left nothing bound.
    const next = validateHostConfig({ ...base, capture: { rpc: { port } } });
    expect(await preflightListen(validateHostConfig(base), next)).toBeUndefined();
    expect(await preflightListen(validateHostConfig(base), next)).toBeUndefined();
  });
});
