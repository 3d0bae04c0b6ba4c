/**
 * A lean WebSocket echo client for bench/websocket.ts: it costs the
 * benchmark almost nothing, so the figure is the server's.
 *
 * - One binary message, masked once up front with a fixed key: the frame
 *   (header + masking key + masked payload) is built before the clock
 *   starts and the same bytes are written for every send. A server unmasks
 *   with the key in the frame, so reusing a frame is legal.
 * - Writes go out in batches: all sends due while handling one read are
 *   corked and written together.
 * - Echoes are counted by their headers only: the reader keeps how many
 *   payload bytes of the current frame are still to skip and never looks at
 *   (or copies) payload bytes.
 * - Reads land in one reused buffer per connection (`net.connect`'s
 *   `onread`), so the client allocates nothing per read: a 64 KiB Buffer
 *   per read, as Node makes by default, is fresh memory the kernel must
 *   fault in, and at 1 MiB echoes that cost is a large part of what a
 *   client spends.
 *
 * The opening handshake is a fixed request; the 101 is only checked for its
 * status line (the benchmark servers are known).
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/** Builds one masked binary frame (FIN, no RSV) carrying `payload`. */
export function maskedBinaryFrame(payload: Uint8Array): Buffer {
  const n = payload.length;
  const lengthBytes = n < 126 ? 0 : n < 65536 ? 2 : 8;
  const frame = Buffer.allocUnsafe(2 + lengthBytes + 4 + n);
  frame[0] = 0x82;
  if (lengthBytes === 0) frame[1] = 0x80 | n;
  else if (lengthBytes === 2) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(n, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(n), 2);
  }
  const keyAt = 2 + lengthBytes;
  const key = randomBytes(4);
  key.copy(frame, keyAt);
  const body = keyAt + 4;
  for (let i = 0; i < n; i++) frame[body + i] = payload[i]! ^ key[i & 3]!;
  return frame;
}

/**
 * Counts whole messages in a stream of unmasked server frames by their
 * headers: payload bytes are skipped, not read. A header split across reads
 * is kept in a 14-byte scratch buffer (the only bytes ever copied).
 */
export class HeaderCounter {
  /** Payload bytes of the current frame still to skip. */
  private skip = 0;
  private readonly scratch = Buffer.allocUnsafe(14);
  private scratchLength = 0;
  private currentFin = false;
  /** Payload bytes of the message being received so far (all its data frames). */
  private messageBytes = 0;
  messages = 0;
  /** Messages whose payload was not `expectedSize` bytes. */
  wrongSize = 0;

  constructor(private readonly expectedSize: number) {}

  private complete(): void {
    if (this.messageBytes !== this.expectedSize) this.wrongSize++;
    this.messageBytes = 0;
  }

  /** Feeds one read; returns how many messages it completed. */
  push(chunk: Uint8Array): number {
    let i = 0;
    let completed = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.skip > 0) {
        const take = Math.min(this.skip, n - i);
        this.skip -= take;
        i += take;
        if (this.skip === 0 && this.currentFin) {
          completed++;
          this.complete();
        }
        continue;
      }
      // A header: gather at least 2 bytes, then the length bytes.
      let header: Uint8Array;
      let at: number;
      if (this.scratchLength === 0 && n - i >= 10) {
        header = chunk;
        at = i;
      } else {
        while (this.scratchLength < 2 && i < n) this.scratch[this.scratchLength++] = chunk[i++]!;
        if (this.scratchLength < 2) break;
        const need = headerLength(this.scratch[1]!);
        while (this.scratchLength < need && i < n) this.scratch[this.scratchLength++] = chunk[i++]!;
        if (this.scratchLength < need) break;
        header = this.scratch;
        at = 0;
      }
      const b0 = header[at]!;
      const b1 = header[at + 1]!;
      const size = headerLength(b1);
      const short = b1 & 0x7f;
      const length =
        short < 126
          ? short
          : short === 126
            ? (header[at + 2]! << 8) | header[at + 3]!
            : readLength64(header, at + 2);
      if (header === chunk) i += size;
      else this.scratchLength = 0;
      const opcode = b0 & 0x0f;
      this.currentFin = (b0 & 0x80) !== 0 && opcode < 8;
      if (opcode < 8) this.messageBytes += length;
      this.skip = length;
      if (length === 0 && this.currentFin) {
        completed++;
        this.complete();
      }
    }
    this.messages += completed;
    return completed;
  }
}

/** A 64-bit big-endian length (frames here are far below 2^53 bytes). */
function readLength64(bytes: Uint8Array, at: number): number {
  let n = 0;
  for (let k = 0; k < 8; k++) n = n * 256 + bytes[at + k]!;
  return n;
}

/** The header + masking key length of a masked frame this module built. */
function headerLengthOf(frame: Buffer): number {
  return headerLength(frame[1]!) + 4;
}

function headerLength(b1: number): number {
  const short = b1 & 0x7f;
  return short < 126 ? 2 : short === 126 ? 4 : 10;
}

export interface LeanConnection {
  readonly socket: Socket;
  readonly counter: HeaderCounter;
}

/**
 * Opens `connections` connections to `host:port`, keeps `inflight` copies
 * of `frame` in flight on each (a new one per echo, written in batches) and
 * calls `onEcho` for every echo counted.
 */
export async function leanEchoClients(
  host: string,
  port: number,
  connections: number,
  inflight: number,
  frame: Buffer,
  onEcho: (count: number) => void,
): Promise<LeanConnection[]> {
  const open = Array.from({ length: connections }, () => openOne(host, port));
  const opened = await Promise.all(open);
  return opened.map(({ socket, rest, reads }) => {
    const counter = new HeaderCounter(frame.length - headerLengthOf(frame));
    const sendBatch = (count: number): void => {
      if (count === 0) return;
      socket.cork();
      for (let k = 0; k < count; k++) socket.write(frame);
      process.nextTick(() => socket.uncork());
    };
    const take = (bytes: Uint8Array): void => {
      const completed = counter.push(bytes);
      if (completed > 0) {
        onEcho(completed);
        sendBatch(completed);
      }
    };
    reads.handler = take;
    if (rest.length > 0) counter.push(rest);
    sendBatch(inflight);
    return { socket, counter };
  });
}

/** Each connection's reads go to `handler` (the handshake first, then the counter). */
interface Reads {
  handler: (bytes: Uint8Array) => void;
}

/** The reused read buffer's size: larger than Node's 64 KiB reads, so fewer of them. */
const READ_BUFFER = 256 * 1024;

function openOne(
  host: string,
  port: number,
): Promise<{ socket: Socket; rest: Buffer; reads: Reads }> {
  return new Promise((resolve, reject) => {
    const reads: Reads = { handler: () => {} };
    const socket = connect({
      host,
      port,
      onread: {
        buffer: Buffer.allocUnsafe(READ_BUFFER),
        // The buffer is reused by the next read: handlers look at the bytes and keep none.
        callback: (length: number, buffer: Uint8Array) => {
          reads.handler(buffer.subarray(0, length));
          return true;
        },
      },
    });
    socket.setNoDelay(true);
    let head = Buffer.alloc(0);
    reads.handler = (bytes: Uint8Array): void => {
      head = Buffer.concat([head, bytes]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      reads.handler = () => {};
      socket.off('error', reject);
      if (!head.subarray(0, 12).toString('latin1').startsWith('HTTP/1.1 101')) {
        socket.destroy();
        reject(new Error(`not a 101: ${head.subarray(0, end).toString('latin1')}`));
        return;
      }
      resolve({ socket, rest: head.subarray(end + 4), reads });
    };
    socket.once('error', reject);
    socket.write(
      `GET / HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
  });
}
