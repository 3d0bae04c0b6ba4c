/**
 * Defect 8 at the Node layer (review r8): the callbacks the server, the
 * handle and the transport use were public methods of `WebSocket`, so any
 * caller could forge a message (`onIndication`) or a close that leaked the
 * socket (`onTransportClosed`). None of them may be reachable on a
 * connection, nor be in the built declarations.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer, WebSocketStream } from './index.js';

const INTERNAL_INSTANCE_NAMES = [
  'receivedPing',
  'onIndication',
  'onSendComplete',
  'onTransportClosed',
  'onSocketError',
  'onDrain',
  'onInputBacklog',
  'onIdle',
  'wake',
  'begin',
];

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('WebSocket has no internal callbacks on its surface', () => {
  it('neither the client nor the server-side connection has them', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => wss.once('listening', r));
    cleanups.push(() => new Promise<void>((r) => wss.close(() => r())));
    const serverSide = new Promise<WebSocket>((r) => wss.once('connection', r));
    const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`);
    cleanups.push(() => client.terminate());
    await new Promise((r) => client.once('open', r));
    const accepted = await serverSide;
    cleanups.push(() => accepted.terminate());
    const reachable = (ws: WebSocket): string[] =>
      INTERNAL_INSTANCE_NAMES.filter((name) => name in ws);
    expect(reachable(client)).toEqual([]);
    expect(reachable(accepted)).toEqual([]);
    expect('accept' in WebSocket).toBe(false);
  });

  it('the built websocket.d.ts declares none of them', () => {
    const root = resolve(import.meta.dirname, '..', '..', '..');
    const declarations = join(root, 'dist', 'node', 'websocket', 'websocket.d.ts');
    // Built by `npm run build` (as test/cli/exports.test.ts needs too).
    expect(existsSync(declarations)).toBe(true);
    const text = readFileSync(declarations, 'utf8');
    const declared = [...INTERNAL_INSTANCE_NAMES, 'accept'].filter((name) =>
      new RegExp(`\\b${name}\\b`).test(text),
    );
    expect(declared).toEqual([]);
  });
});

describe('WebSocketStream keeps its connection and sides private', () => {
  it('an instance shows only the WHATWG members and discardedMessages', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => wss.once('listening', r));
    cleanups.push(() => new Promise<void>((r) => wss.close(() => r())));
    const stream = new WebSocketStream(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`);
    cleanups.push(() => stream.close());
    await stream.opened;
    expect(Object.keys(stream).sort()).toEqual(['closed', 'opened', 'url']);
    const prototype = Object.getOwnPropertyNames(WebSocketStream.prototype).sort();
    expect(prototype).toEqual(['close', 'constructor', 'discardedMessages']);
    expect(
      Object.getOwnPropertyNames(WebSocketStream).filter(
        (n) => !['length', 'name', 'prototype'].includes(n),
      ),
    ).toEqual(['fromWebSocket']);
  });
});
