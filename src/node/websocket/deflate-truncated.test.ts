/**
 * The report of a permessage-deflate message cut short inside its final
 * block (16,776,710 of 16,777,216 bytes delivered, no error, later messages
 * lost), through the Node server a `ws` user runs: the connection must fail
 * with 1007 and no message may be emitted.
 */
import { connect, type AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from './index.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A masked client frame (RFC 6455 §5.2), length in 64 bits when it must be. */
function clientFrame(opcode: number, rsv1: boolean, payload: Buffer): Buffer {
  const key = Buffer.from([0x11, 0x22, 0x33, 0x44]);
  const n = payload.length;
  const head =
    n < 126 ? Buffer.from([0, 0x80 | n]) : n < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  head[0] = 0x80 | (rsv1 ? 0x40 : 0) | opcode;
  if (n >= 126 && n < 65536) {
    head[1] = 0x80 | 126;
    head.writeUInt16BE(n, 2);
  } else if (n >= 65536) {
    head[1] = 0x80 | 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  const masked = Buffer.alloc(n);
  for (let i = 0; i < n; i++) masked[i] = (payload[i] as number) ^ (key[i & 3] as number);
  return Buffer.concat([head, key, masked]);
}

describe('WebSocketServer + permessage-deflate: a truncated final block', () => {
  it('fails the connection with 1007 ERR_WS_INFLATE_FAILED and emits no message', async () => {
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: true });
    await new Promise((resolve) => server.once('listening', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const messages: number[] = [];
    const errors: string[] = [];
    server.on('connection', (ws: WebSocket) => {
      ws.on('message', (data: Buffer) => messages.push(data.length));
      ws.on('error', (e: Error & { code?: string }) => errors.push(e.code ?? e.message));
    });
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    cleanups.push(() => void socket.destroy());
    socket.write(
      'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n' +
        'Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n',
    );
    // 4 MiB of text-like bytes with a final block (Z_FINISH), 506 bytes cut
    // off as in the report, then a valid message that must not arrive either.
    const message = Buffer.alloc(4 << 20);
    for (let i = 0, x = 1; i < message.length; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      message[i] = 0x61 + ((x >>> 16) % 20);
    }
    const whole = zlib.deflateRawSync(message);
    socket.write(clientFrame(0x2, true, whole.subarray(0, whole.length - 506)));
    const after = zlib.deflateRawSync(Buffer.from('after'), {
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
    });
    socket.write(clientFrame(0x1, true, after.subarray(0, after.length - 4)));
    const bytes = await new Promise<Buffer>((resolve) => {
      const parts: Buffer[] = [];
      socket.on('data', (d: Buffer) => parts.push(d));
      socket.on('close', () => resolve(Buffer.concat(parts)));
    });
    const frame = bytes.subarray(bytes.indexOf('\r\n\r\n') + 4);
    expect([...frame.subarray(0, 4)]).toEqual([0x88, 0x02, 0x03, 0xef]);
    expect(messages).toEqual([]);
    expect(errors).toEqual(['ERR_WS_INFLATE_FAILED']);
  }, 20_000);
});
