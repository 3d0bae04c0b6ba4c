import { spawnSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { open } from 'node:fs/promises';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { concat, fromHex } from '../../bytes/index.js';
import { validateHostConfig } from './config.js';
import { startHost, type RunningHost } from './host.js';
import { servicesFromConfig } from './services.js';

const hosts: RunningHost[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
  for (const s of sockets.splice(0)) await new Promise<void>((r) => s.close(() => r()));
});

async function socketOn(address: string): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, address, resolve));
  sockets.push(socket);
  return socket;
}

// VNI 42, then an ARP request for 10.200.0.2.
const DATAGRAM = concat([
  fromHex('08 00 00 00 00 00 2a 00'),
  fromHex(
    'ff ff ff ff ff ff 02 00 00 00 00 01 08 06 00 01 08 00 06 04 00 01 02 00 00 00 00 01 0a c8 00 01 00 00 00 00 00 00 0a c8 00 02',
  ),
]);

describe('netrx up: link.vxlan', () => {
  it('accepts only the remote and allowedSources, and shows the drops and the capture in /health', async () => {
    const remote = await socketOn('127.0.0.1');
    const foreign = await socketOn('127.0.0.2');
    const extra = await socketOn('127.0.0.3');
    // A port for the VXLAN socket: free a moment ago.
    const probe = await socketOn('127.0.0.1');
    const port = probe.address().port;
    await new Promise<void>((r) => probe.close(() => r()));
    sockets.splice(sockets.indexOf(probe), 1);
    const pcap = join(mkdtempSync(join(tmpdir(), 'netrx-up-vxlan-')), 'seen.pcapng');
    const config = validateHostConfig({
      http: { port: 0 },
      radius: { port: 0 },
      capture: { rpc: { port: 0 } },
      websocket: { echo: { enabled: false } },
      link: {
        vxlan: [
          {
            bind: `127.0.0.1:${port}`,
            remote: `127.0.0.1:${remote.address().port}`,
            allowedSources: ['127.0.0.3'],
            vni: 42,
            mac: '02:00:00:00:00:02',
            ipv4: ['10.200.0.2/24'],
            pcap,
          },
        ],
      },
    });
    const host = await startHost(config, {
      version: '0.0.0',
      services: servicesFromConfig(config),
    });
    hosts.push(host);
    for (const socket of [foreign, extra, remote]) {
      await new Promise<void>((resolve) =>
        socket.send(DATAGRAM, port, '127.0.0.1', () => resolve()),
      );
    }
    type Health = {
      services: {
        name: string;
        link?: { datagrams: number; dropped: { foreignSource: number } };
        capture?: { path: string; dropped: { backlog: number; afterError: number } };
      }[];
    };
    let health: Health;
    do {
      health = (await (await fetch(new URL('/health', host.url))).json()) as Health;
    } while ((health.services.find((s) => s.name === 'vxlan42')?.link?.datagrams ?? 0) < 3);
    const vxlan = health.services.find((s) => s.name === 'vxlan42');
    expect(vxlan?.link).toMatchObject({ datagrams: 3, dropped: { foreignSource: 1 } });
    expect(vxlan?.capture).toMatchObject({ path: pcap, dropped: { backlog: 0, afterError: 0 } });
  });

  it('gives the stack the configured gateways and routes, shown as its routes in the status (issue 9)', async () => {
    const probe = await socketOn('127.0.0.1');
    const port = probe.address().port;
    await new Promise<void>((r) => probe.close(() => r()));
    sockets.splice(sockets.indexOf(probe), 1);
    const config = validateHostConfig({
      http: { port: 0 },
      radius: { port: 0 },
      capture: { rpc: { port: 0 } },
      websocket: { echo: { enabled: false } },
      link: {
        vxlan: [
          {
            bind: `127.0.0.1:${port}`,
            remote: '127.0.0.1:4789',
            vni: 42,
            mac: '02:00:00:00:00:02',
            ipv4: ['10.200.0.2/24'],
            gateway: { ipv4: '10.200.0.1', ipv6: 'fe80::1' },
            routes: [{ destination: '10.9.0.0/16', via: '10.200.0.253' }],
          },
        ],
      },
    });
    const services = servicesFromConfig(config);
    hosts.push(await startHost(config, { version: '0.0.0', services }));
    expect(services.find((s) => s.name === 'vxlan42')?.status()['routes']).toEqual({
      ipv4: [
        { destination: '10.9.0.0', prefixLength: 16, via: '10.200.0.253' },
        { destination: '0.0.0.0', prefixLength: 0, via: '10.200.0.1' },
      ],
      ipv6: [{ destination: '::', prefixLength: 0, via: 'fe80::1' }],
    });
  });

  it('runs an 802.1X authenticator and a supplicant on two VXLAN hosts, shown in /health', async () => {
    const ports: number[] = [];
    for (let i = 0; i < 2; i++) {
      const probe = await socketOn('127.0.0.1');
      ports.push(probe.address().port);
      await new Promise<void>((r) => probe.close(() => r()));
      sockets.splice(sockets.indexOf(probe), 1);
    }
    const [a, b] = ports as [number, number];
    const lines: string[] = [];
    const config = validateHostConfig({
      http: { port: 0 },
      radius: { port: 0 },
      capture: { rpc: { port: 0 } },
      websocket: { echo: { enabled: false } },
      link: {
        vxlan: [
          {
            bind: `127.0.0.1:${a}`,
            remote: `127.0.0.1:${b}`,
            vni: 42,
            mac: '02:00:00:00:00:02',
            ipv4: ['10.200.0.2/24'],
            authenticator: { enabled: true, users: [{ name: 'bob', password: 'hello' }] },
          },
          {
            bind: `127.0.0.1:${b}`,
            remote: `127.0.0.1:${a}`,
            vni: 42,
            // The same segment: its own adapter name (D4).
            name: 'vxlan42b',
            mac: '02:00:00:00:00:03',
            ipv4: ['10.200.0.3/24'],
            supplicant: { enabled: true, identity: 'bob', password: 'hello' },
          },
        ],
      },
    });
    const host = await startHost(config, {
      version: '0.0.0',
      services: servicesFromConfig(config),
      log: (line) => lines.push(line),
    });
    hosts.push(host);
    type Health = {
      services: {
        name: string;
        ieee8021x?: {
          authenticator?: { succeeded: number; tracked: { mac: string; authorized: boolean }[] };
          supplicant?: { state: string };
        };
      }[];
    };
    let health: Health;
    const deadline = Date.now() + 5000;
    do {
      health = (await (await fetch(new URL('/health', host.url))).json()) as Health;
    } while (
      health.services.find((s) => s.ieee8021x?.supplicant !== undefined)?.ieee8021x?.supplicant
        ?.state !== 'AUTHENTICATED' &&
      Date.now() < deadline
    );
    // Both tunnels carry VNI 42 (one segment); the second is named vxlan42b (D4).
    const [authenticator, supplicant] = ['vxlan42', 'vxlan42b'].map(
      (name) => health.services.find((s) => s.name === name)?.ieee8021x,
    );
    expect(supplicant?.supplicant?.state).toBe('AUTHENTICATED');
    expect(authenticator?.authenticator).toMatchObject({
      succeeded: 1,
      tracked: [{ mac: '02:00:00:00:00:03', authorized: true }],
    });
    expect(lines).toContain(
      'vxlan42: 802.1X authenticator: 02:00:00:00:00:03 "bob" success (method succeeded)',
    );
  });

  it('says on the host log when writing the capture fails, and runs on', async () => {
    const remote = await socketOn('127.0.0.1');
    const probe = await socketOn('127.0.0.1');
    const port = probe.address().port;
    await new Promise<void>((r) => probe.close(() => r()));
    sockets.splice(sockets.indexOf(probe), 1);
    const fifo = join(mkdtempSync(join(tmpdir(), 'netrx-up-vxlan-')), 'gone.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    // A reader that takes the first blocks and frames, then goes away.
    const reader = (async () => {
      const handle = await open(fifo, 'r');
      for (let total = 0; total < 160;) {
        const { bytesRead } = await handle.read(new Uint8Array(65536), 0, 65536, null);
        if (bytesRead === 0) break;
        total += bytesRead;
      }
      await handle.close();
    })();
    const config = validateHostConfig({
      http: { port: 0 },
      radius: { port: 0 },
      capture: { rpc: { port: 0 } },
      websocket: { echo: { enabled: false } },
      link: {
        vxlan: [
          {
            bind: `127.0.0.1:${port}`,
            remote: `127.0.0.1:${remote.address().port}`,
            vni: 42,
            mac: '02:00:00:00:00:02',
            ipv4: ['10.200.0.2/24'],
            pcap: fifo,
          },
        ],
      },
    });
    const lines: string[] = [];
    const host = await startHost(config, {
      version: '0.0.0',
      services: servicesFromConfig(config),
      log: (line) => lines.push(line),
    });
    hosts.push(host);
    await reader;
    // Each ARP request makes two records: the first write after the reader left fails.
    while (lines.length === 0) {
      await new Promise<void>((resolve) =>
        remote.send(DATAGRAM, port, '127.0.0.1', () => setTimeout(resolve, 10)),
      );
    }
    expect(lines).toEqual([`vxlan42: Cannot write to ${fifo}: EPIPE; the capture stopped`]);
    const health = (await (await fetch(new URL('/health', host.url))).json()) as {
      services: { name: string; capture?: { error?: string } }[];
    };
    expect(health.services.find((s) => s.name === 'vxlan42')?.capture?.error).toBe(
      `Cannot write to ${fifo}: EPIPE`,
    );
  });
});
