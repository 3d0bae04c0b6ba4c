/**
 * Shared empty sentinels (issue 8, "freeze shared sentinel arrays"; outside
 * review 3, finding 6). Every connection starts with the same empty lists;
 * frozen, a push onto one that a new code path forgets to guard throws
 * instead of leaking one connection's frames into every other connection.
 */
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpHeadParser } from '../../websocket/index.js';
import { WebSocketKeyword, WEBSOCKET_PROVIDER } from '../../websocket/events.js';
import { CloseCode, Opcode, ReservedBit } from '../../wire/websocket/index.js';
import { nodeHandle } from './handles.js';
import { SocketTransport, type TransportEvents } from './transport.js';
import { zlibDeflateCodec } from './zlib-codec.js';

const sockets: Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
});

async function socketPair(): Promise<[Socket, Socket]> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  const ours = await accepted;
  server.close();
  sockets.push(ours, client);
  return [ours, client];
}

const events: TransportEvents = {
  onIndication: () => undefined,
  onSendComplete: () => undefined,
  onTransportClosed: () => undefined,
  onSocketError: () => undefined,
  onDrain: () => undefined,
  onInputBacklog: () => undefined,
  onIdle: () => undefined,
};

describe('shared empty sentinels are frozen', () => {
  it("an idle Node transport's outbox, early reads and pending callbacks are frozen and shared", async () => {
    const transports = [];
    for (let i = 0; i < 2; i++) {
      const [ours] = await socketPair();
      const handle = nodeHandle('server', {}, 'test');
      handle.open({});
      transports.push(new SocketTransport(ours, handle, events));
    }
    const [a, b] = transports.map((t) => t as unknown as Record<string, unknown[]>);
    for (const field of ['outbox', 'early', 'pendingCallbacks']) {
      expect(a?.[field]).toEqual([]);
      expect(a?.[field]).toBe(b?.[field]);
      expect(Object.isFrozen(a?.[field])).toBe(true);
      expect(() => a?.[field]?.push(new Uint8Array(1))).toThrow(TypeError);
    }
  });

  it("the zlib codec's empty inflate result (shared by every inflater) is frozen, chunks too", () => {
    const one = zlibDeflateCodec.createInflater({ windowBits: 15 });
    const two = zlibDeflateCodec.createInflater({ windowBits: 15 });
    const a = one.inflate(new Uint8Array(0), 100);
    const b = two.inflate(new Uint8Array(0), 100);
    expect(a).toBe(b);
    expect(a.ok).toBe(true);
    if (!a.ok) return;
    expect(Object.isFrozen(a)).toBe(true);
    expect(Object.isFrozen(a.chunks)).toBe(true);
    one.close();
    two.close();
  });

  it("the head parser's shared 'incomplete' step is frozen", () => {
    const a = new HttpHeadParser('request').push(new TextEncoder().encode('GET / HTTP/1.1\r\n'));
    const b = new HttpHeadParser('request').push(new TextEncoder().encode('GET /x HTTP/1.1\r\n'));
    expect(a).toEqual({ state: 'incomplete' });
    expect(a).toBe(b);
    expect(Object.isFrozen(a)).toBe(true);
  });

  it('the exported constant tables cannot be changed by one importer for all', () => {
    for (const table of [Opcode, CloseCode, ReservedBit, WebSocketKeyword, WEBSOCKET_PROVIDER]) {
      expect(Object.isFrozen(table)).toBe(true);
    }
  });
});
