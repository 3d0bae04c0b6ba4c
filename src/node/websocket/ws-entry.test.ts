/**
 * `netrx/node/ws` has the module shape of the `ws` package: its README's
 * `import WebSocket, { WebSocketServer } from 'ws'` works with only the
 * module name changed. Here through the source entry; test/cli/exports.test.ts
 * imports the package name from the build.
 */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer, createWebSocketStream } from '../ws/index.js';
import * as websocketPart from './index.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('netrx/node/ws', () => {
  it('default-exports WebSocket next to the named exports of the WebSocket part', () => {
    expect(WebSocket).toBe(websocketPart.WebSocket);
    expect(WebSocketServer).toBe(websocketPart.WebSocketServer);
    expect(createWebSocketStream).toBe(websocketPart.createWebSocketStream);
  });

  it("runs the ws README's echo as a ws user writes it", async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((resolve) => wss.once('listening', resolve));
    cleanups.push(() => new Promise<void>((resolve) => wss.close(() => resolve())));
    wss.on('connection', (ws) => {
      ws.on('message', (data) => ws.send(`echo: ${(data as Buffer).toString()}`));
    });
    const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`);
    cleanups.push(() => client.terminate());
    client.on('open', () => client.send('something'));
    const reply = await new Promise<string>((resolve) =>
      client.once('message', (data) => resolve((data as Buffer).toString())),
    );
    expect(reply).toBe('echo: something');
  });
});
