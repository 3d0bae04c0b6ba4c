/**
 * The physical floor for bench/websocket.ts's server-CPU mode: an echo
 * server on plain `node:net` that does the least any WebSocket server must
 * do to echo the lean client's messages, so that what netrx or `ws` spend
 * above it is their own.
 *
 * It answers the opening handshake (a correct Sec-WebSocket-Accept), then
 * for every client frame: reads the header just far enough to know the
 * payload length and masking key, keeps the payload's reads as views (no
 * copy, no gather), and at the end of the payload writes a 2/4/10-byte
 * server header and those views back in one corked write (one `writev`,
 * the same system calls as netrx's `echoConnection` and as `ws`). No
 * validation, no limits, no close handshake, no UTF-8: nothing a real
 * server may skip, which is the point.
 *
 * `unmask` says what it does to the payload bytes:
 * - `none`: nothing (the echo carries masked bytes; the lean client counts
 *   headers only, so the floor of the system calls and Node's streams);
 * - `js`: unmasks every view in place with a plain JavaScript loop (32-bit
 *   words where aligned);
 * - `native`: unmasks with bufferutil's native `unmask`, as `ws` (and
 *   netrx's Node adapter, when installed) do.
 *
 * Frames are assumed to be whole messages (FIN set, the lean client's);
 * control frames are echoed the same way.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { createServer, type AddressInfo, type Socket } from 'node:net';

export type FloorUnmask = 'none' | 'js' | 'native';

interface NativeMask {
  unmask(buffer: Uint8Array, mask: Uint8Array): void;
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** XORs `view` in place with `key` starting at key byte `phase`; returns the next phase. */
function unmaskJs(view: Uint8Array, key: Uint8Array, phase: number): number {
  const n = view.length;
  let i = 0;
  // Bytes up to a 4-byte boundary of the underlying memory, then whole words.
  while (i < n && ((view.byteOffset + i) & 3) !== 0) {
    view[i] = view[i]! ^ key[(phase + i) & 3]!;
    i++;
  }
  const words = (n - i) >>> 2;
  if (words > 0) {
    const p = (phase + i) & 3;
    // The key as one little-endian word starting at phase p (the platform is little-endian here).
    const k =
      key[p]! |
      (key[(p + 1) & 3]! << 8) |
      (key[(p + 2) & 3]! << 16) |
      (key[(p + 3) & 3]! << 24) |
      0;
    const u32 = new Int32Array(view.buffer, view.byteOffset + i, words);
    for (let w = 0; w < words; w++) u32[w] = u32[w]! ^ k;
    i += words * 4;
  }
  for (; i < n; i++) view[i] = view[i]! ^ key[(phase + i) & 3]!;
  return (phase + n) & 3;
}

function loadNative(): NativeMask {
  const require = createRequire(import.meta.url);
  const addon = require('bufferutil') as NativeMask;
  if (addon === require('bufferutil/fallback')) {
    throw new Error('bufferutil has no native binary here: the native floor cannot run');
  }
  return addon;
}

/** One connection's framing state. */
class FloorConnection {
  /** Header bytes gathered so far (at most 14). */
  private readonly header = Buffer.allocUnsafe(14);
  private headerLength = 0;
  private readonly key = Buffer.allocUnsafe(4);
  private opcode = 0;
  private length = 0;
  /** Payload bytes still to come; -1 while reading a header. */
  private remaining = -1;
  private phase = 0;
  private views: Buffer[] = [];

  constructor(
    private readonly socket: Socket,
    private readonly unmask: (view: Buffer, key: Buffer, phase: number) => number,
  ) {}

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.remaining < 0) {
        at = this.readHeader(chunk, at);
        if (this.remaining < 0) return;
        if (this.remaining === 0) this.finish();
        continue;
      }
      const take = Math.min(this.remaining, chunk.length - at);
      const view = chunk.subarray(at, at + take);
      this.phase = this.unmask(view, this.key, this.phase);
      this.views.push(view);
      this.remaining -= take;
      at += take;
      if (this.remaining === 0) this.finish();
    }
  }

  private readHeader(chunk: Buffer, at: number): number {
    while (this.headerLength < 2 && at < chunk.length)
      this.header[this.headerLength++] = chunk[at++]!;
    if (this.headerLength < 2) return at;
    const short = this.header[1]! & 0x7f;
    const need = 2 + (short === 126 ? 2 : short === 127 ? 8 : 0) + 4;
    while (this.headerLength < need && at < chunk.length) {
      this.header[this.headerLength++] = chunk[at++]!;
    }
    if (this.headerLength < need) return at;
    this.opcode = this.header[0]! & 0x0f;
    this.length =
      short === 126
        ? this.header.readUInt16BE(2)
        : short === 127
          ? Number(this.header.readBigUInt64BE(2))
          : short;
    this.header.copy(this.key, 0, need - 4, need);
    this.headerLength = 0;
    this.remaining = this.length;
    this.phase = 0;
    return at;
  }

  private finish(): void {
    const n = this.length;
    const head = Buffer.allocUnsafe(n < 126 ? 2 : n < 65536 ? 4 : 10);
    head[0] = 0x80 | this.opcode;
    if (n < 126) head[1] = n;
    else if (n < 65536) {
      head[1] = 126;
      head.writeUInt16BE(n, 2);
    } else {
      head[1] = 127;
      head.writeBigUInt64BE(BigInt(n), 2);
    }
    const socket = this.socket;
    socket.cork();
    socket.write(head);
    for (const view of this.views) socket.write(view);
    socket.uncork();
    this.views = [];
    this.remaining = -1;
  }
}

/** Starts the floor server on `host`, port 0; resolves with its port and a connection counter. */
export async function floorEchoServer(
  host: string,
  unmask: FloorUnmask,
): Promise<{ port: number; connections: () => number }> {
  const native = unmask === 'native' ? loadNative() : undefined;
  const unmaskView =
    unmask === 'none'
      ? (_view: Buffer, _key: Buffer, phase: number) => phase
      : unmask === 'js'
        ? unmaskJs
        : (view: Buffer, key: Buffer, phase: number) => {
            // bufferutil always starts at key byte 0: rotate the key for a view that starts mid-word.
            const k =
              phase === 0
                ? key
                : Buffer.from([
                    key[phase]!,
                    key[(phase + 1) & 3]!,
                    key[(phase + 2) & 3]!,
                    key[(phase + 3) & 3]!,
                  ]);
            native!.unmask(view, k);
            return (phase + view.length) & 3;
          };
  let connections = 0;
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => socket.destroy());
    let head: Buffer = Buffer.alloc(0);
    const onHandshake = (chunk: Buffer): void => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onHandshake);
      const match = /^sec-websocket-key:\s*(\S+)/im.exec(head.subarray(0, end).toString('latin1'));
      const accept = createHash('sha1')
        .update(`${match?.[1] ?? ''}${GUID}`)
        .digest('base64');
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
      );
      connections++;
      const connection = new FloorConnection(socket, unmaskView);
      socket.on('data', (data: Buffer) => connection.push(data));
      if (head.length > end + 4) connection.push(head.subarray(end + 4));
    };
    socket.on('data', onHandshake);
  });
  server.listen(0, host);
  await once(server, 'listening');
  return { port: (server.address() as AddressInfo).port, connections: () => connections };
}
