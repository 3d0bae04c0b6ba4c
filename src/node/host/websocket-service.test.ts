import { afterEach, describe, expect, it } from 'vitest';
import { WEBSOCKET_PROVIDER } from '../../websocket/index.js';
import { WebSocket } from '../websocket/index.js';
import { defaultHostConfig } from './config.js';
import { startHost, type RunningHost } from './host.js';
import { servicesFromConfig } from './services.js';

const hosts: RunningHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
});

describe('netrx up: websocket.echo', () => {
  it('serves /ws/echo on the HTTP port with deflate, lists it in /health, and traces connections', async () => {
    const config = { ...defaultHostConfig(), http: { host: '127.0.0.1', port: 0 } };
    const host = await startHost(config, {
      version: '0.0.0',
      services: servicesFromConfig(config),
    });
    hosts.push(host);
    const events: string[] = [];
    host.trace.enable(WEBSOCKET_PROVIDER.guid, (e) => events.push(e.descriptor.name), {
      level: 5,
    });
    expect(host.started.map((s) => s.name)).toContain('websocket-echo');
    const url = new URL('/ws/echo', host.url.replace(/^http/, 'ws'));
    const client = new WebSocket(url);
    await new Promise((resolve) => client.once('open', resolve));
    expect(client.extensions).toContain('permessage-deflate');
    const echoed = new Promise<string>((resolve) =>
      client.once('message', (data: Buffer) => resolve(data.toString())),
    );
    client.send('through the host');
    expect(await echoed).toBe('through the host');
    const health = (await (await fetch(new URL('/health', host.url))).json()) as {
      services: { name: string; connections?: number }[];
    };
    expect(health.services.find((s) => s.name === 'websocket-echo')?.connections).toBe(1);
    const closed = new Promise((resolve) => client.once('close', resolve));
    client.close(1000);
    await closed;
    expect(events).toEqual(
      expect.arrayContaining([
        'ConnectionOpened',
        'MessageReceived',
        'MessageSent',
        'ConnectionClosed',
      ]),
    );
  });
});
