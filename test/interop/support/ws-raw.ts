/**
 * A WebSocket client that speaks bytes, for conformance tests against a real
 * server over TCP. Written from RFC 6455 alone and sharing no code with
 * src/wire/websocket or src/websocket, so that the suites using it never
 * trust the code under test: frames are built by hand (masking included), the
 * handshake's Sec-WebSocket-Accept is checked with node:crypto, and every
 * frame the server sends is checked against the RFC's MUSTs for a server
 * (unmasked, minimal length encoding, control frames short and unfragmented,
 * RSV bits only where an extension allows them) before a test sees it.
 *
 * Waiting is event-driven: `nextFrame(timeoutMs)` resolves on the next frame
 * and rejects with `WaitTimeout` when nothing came in time, so a test can
 * assert that a frame arrives *before* it sends more (Autobahn 6.4
 * fail-fast) without sleeping.
 */
import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

export const OP = {
  continuation: 0x0,
  text: 0x1,
  binary: 0x2,
  close: 0x8,
  ping: 0x9,
  pong: 0xa,
} as const;

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** The RSV bits as a number 0..7: RSV1 = 4, RSV2 = 2, RSV3 = 1. */
export type RsvBits = number;

export interface FrameSpec {
  readonly opcode: number;
  readonly payload?: Uint8Array | string;
  /** Default true. */
  readonly fin?: boolean;
  /** Default 0. */
  readonly rsv?: RsvBits;
  /** A 4-byte masking key; default a random one; `false` sends the frame unmasked. */
  readonly mask?: Uint8Array | false;
}

export function bytesOf(payload: Uint8Array | string | undefined): Buffer {
  if (payload === undefined) return Buffer.alloc(0);
  return typeof payload === 'string'
    ? Buffer.from(payload, 'utf8')
    : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
}

/**
 * A frame header (RFC 6455 §5.2) declaring `length` payload bytes, with the
 * masking key if there is one. `length` is a bigint so that tests can declare
 * lengths no payload could have (2^62, or 2^63 with the forbidden MSB set).
 */
export function frameHeader(spec: {
  readonly opcode: number;
  readonly length: bigint;
  readonly fin?: boolean;
  readonly rsv?: RsvBits;
  readonly mask?: Uint8Array | false;
}): Buffer {
  const first =
    ((spec.fin ?? true) ? 0x80 : 0) | (((spec.rsv ?? 0) & 7) << 4) | (spec.opcode & 0xf);
  const maskBit = spec.mask === false ? 0 : 0x80;
  let head: Buffer;
  if (spec.length < 126n) {
    head = Buffer.from([first, maskBit | Number(spec.length)]);
  } else if (spec.length < 65536n) {
    head = Buffer.alloc(4);
    head[0] = first;
    head[1] = maskBit | 126;
    head.writeUInt16BE(Number(spec.length), 2);
  } else {
    head = Buffer.alloc(10);
    head[0] = first;
    head[1] = maskBit | 127;
    head.writeBigUInt64BE(spec.length, 2);
  }
  if (spec.mask === false) return head;
  const key = spec.mask ?? randomBytes(4);
  if (key.length !== 4) throw new RangeError(`A masking key has 4 bytes: got ${key.length}`);
  return Buffer.concat([head, key]);
}

/** XORs `data` with the 4-byte `key` (RFC 6455 §5.3) into a new buffer. */
export function applyMask(data: Uint8Array, key: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(data.length);
  const k0 = key[0]!;
  const k1 = key[1]!;
  const k2 = key[2]!;
  const k3 = key[3]!;
  const n = data.length;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    out[i] = data[i]! ^ k0;
    out[i + 1] = data[i + 1]! ^ k1;
    out[i + 2] = data[i + 2]! ^ k2;
    out[i + 3] = data[i + 3]! ^ k3;
  }
  for (; i < n; i++) out[i] = data[i]! ^ key[i & 3]!;
  return out;
}

/** One whole frame as a client sends it: header, masking key, masked payload. */
export function buildFrame(spec: FrameSpec): Buffer {
  const payload = bytesOf(spec.payload);
  const key = spec.mask === false ? false : (spec.mask ?? randomBytes(4));
  const head = frameHeader({
    opcode: spec.opcode,
    length: BigInt(payload.length),
    ...(spec.fin === undefined ? {} : { fin: spec.fin }),
    ...(spec.rsv === undefined ? {} : { rsv: spec.rsv }),
    mask: key,
  });
  return Buffer.concat([head, key === false ? payload : applyMask(payload, key)]);
}

/** A close frame's payload: the status code big-endian, then the reason. */
export function closePayload(code?: number, reason: Uint8Array | string = ''): Buffer {
  if (code === undefined) return Buffer.alloc(0);
  const status = Buffer.alloc(2);
  status.writeUInt16BE(code, 0);
  return Buffer.concat([status, bytesOf(reason)]);
}

/**
 * The header a server must put on an unfragmented, uncompressed message of
 * `length` bytes: FIN, no RSV, no mask, the shortest length form.
 */
export function expectedServerHeader(opcode: number, length: number): Buffer {
  return frameHeader({ opcode, length: BigInt(length), mask: false });
}

/** `data` cut into pieces of `size` bytes (the last may be shorter). */
export function chop(data: Uint8Array, size: number): Buffer[] {
  const whole = bytesOf(data);
  const out: Buffer[] = [];
  for (let i = 0; i < whole.length; i += size) out.push(whole.subarray(i, i + size));
  if (out.length === 0) out.push(Buffer.alloc(0));
  return out;
}

/** A message as frames of at most `size` payload bytes (RFC 6455 §5.4). */
export function fragmentFrames(
  opcode: number,
  payload: Uint8Array | string,
  size: number,
): Buffer[] {
  const pieces = chop(bytesOf(payload), size);
  return pieces.map((piece, i) =>
    buildFrame({
      opcode: i === 0 ? opcode : OP.continuation,
      fin: i === pieces.length - 1,
      payload: piece,
    }),
  );
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

// ---------------------------------------------------------------------------
// Reading what the server sends

export interface ServerFrame {
  readonly fin: boolean;
  readonly rsv: RsvBits;
  readonly opcode: number;
  /** The header bytes exactly as received (2 to 10 bytes: a server never masks). */
  readonly header: Buffer;
  readonly payload: Buffer;
}

export interface CloseBody {
  /** `undefined` for an empty close body. */
  readonly code: number | undefined;
  readonly reason: Buffer;
}

export function parseCloseBody(payload: Buffer): CloseBody {
  if (payload.length === 0) return { code: undefined, reason: Buffer.alloc(0) };
  if (payload.length === 1) throw new Error('The server sent a close frame with a 1-byte body');
  return { code: payload.readUInt16BE(0), reason: payload.subarray(2) };
}

/** Nothing arrived in time. */
export class WaitTimeout extends Error {
  constructor(what: string, ms: number) {
    super(`Nothing came within ${ms} ms: waited for ${what}`);
    this.name = 'WaitTimeout';
  }
}

/** The TCP connection ended before what was awaited arrived. */
export class ConnectionClosed extends Error {
  constructor(what: string, detail: string) {
    super(`The connection closed while waiting for ${what}${detail}`);
    this.name = 'ConnectionClosed';
  }
}

/** The server broke a MUST of RFC 6455 in a frame it sent. */
export class ServerViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServerViolation';
  }
}

/** A queue of byte chunks that hands out exact lengths, copying only across chunk edges. */
class ByteQueue {
  private chunks: Buffer[] = [];
  private head = 0;
  length = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** The first `n` bytes without consuming them (n <= length). */
  peek(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length - this.head >= n) return first.subarray(this.head, this.head + n);
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    let offset = this.head;
    for (const chunk of this.chunks) {
      const take = Math.min(n - filled, chunk.length - offset);
      chunk.copy(out, filled, offset, offset + take);
      filled += take;
      offset = 0;
      if (filled === n) break;
    }
    return out;
  }

  take(n: number): Buffer {
    const out = n === 0 ? Buffer.alloc(0) : this.peek(n);
    let left = n;
    while (left > 0) {
      const first = this.chunks[0]!;
      const available = first.length - this.head;
      if (available > left) {
        this.head += left;
        left = 0;
      } else {
        left -= available;
        this.chunks.shift();
        this.head = 0;
      }
    }
    this.length -= n;
    return out;
  }
}

export interface RawConnectOptions {
  readonly host?: string;
  readonly path?: string;
  /** The Sec-WebSocket-Extensions value to offer, if any. */
  readonly extensions?: string;
  readonly timeoutMs?: number;
}

export interface HandshakeResponse {
  readonly status: number;
  /** Header fields by lower-case name, each value as received (trimmed). */
  readonly headers: ReadonlyMap<string, readonly string[]>;
  readonly head: string;
}

function parseResponseHead(head: string): HandshakeResponse {
  const lines = head.split('\r\n');
  const statusLine = lines[0] ?? '';
  const match = /^HTTP\/1\.1 (\d{3})(?: .*)?$/.exec(statusLine);
  if (match === null) throw new Error(`Not an HTTP/1.1 status line: ${JSON.stringify(statusLine)}`);
  const headers = new Map<string, string[]>();
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`Malformed header line: ${JSON.stringify(line)}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const list = headers.get(name) ?? [];
    list.push(line.slice(colon + 1).trim());
    headers.set(name, list);
  }
  return { status: Number(match[1]), headers, head };
}

const HEAD_END = Buffer.from('\r\n\r\n');

/**
 * One raw client connection. `connect` does the opening handshake and checks
 * the 101; afterwards every byte the server sends is parsed into frames and
 * queued for `nextFrame`.
 */
export class RawWebSocket {
  readonly socket: Socket;
  readonly response: HandshakeResponse;
  /** Whether permessage-deflate was negotiated (RSV1 allowed on a first data frame). */
  readonly deflate: boolean;
  private readonly queue = new ByteQueue();
  private readonly frames: ServerFrame[] = [];
  private waiter: (() => void) | undefined;
  private violation: ServerViolation | undefined;
  private endDetail: string | undefined;
  /** True once the server has sent its FIN (or the socket failed). */
  serverEnded = false;
  /** Inside a fragmented data message the server is sending. */
  private serverMidMessage = false;
  readonly tcpClosed: Promise<void>;

  private constructor(socket: Socket, response: HandshakeResponse, rest: Buffer) {
    this.socket = socket;
    this.response = response;
    this.deflate = (response.headers.get('sec-websocket-extensions') ?? []).some((v) =>
      /^\s*permessage-deflate\b/i.test(v),
    );
    this.tcpClosed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd('the server ended the TCP connection'));
    socket.on('error', (error) => this.onEnd(`socket error ${error.message}`));
    socket.on('close', () => this.onEnd('the TCP connection closed'));
    this.onData(rest);
  }

  static connect(port: number, options: RawConnectOptions = {}): Promise<RawWebSocket> {
    const host = options.host ?? '127.0.0.1';
    const key = randomBytes(16).toString('base64');
    const lines = [
      `GET ${options.path ?? '/'} HTTP/1.1`,
      `Host: ${host}:${port}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${key}`,
      'Sec-WebSocket-Version: 13',
    ];
    if (options.extensions !== undefined)
      lines.push(`Sec-WebSocket-Extensions: ${options.extensions}`);
    const request = `${lines.join('\r\n')}\r\n\r\n`;
    const timeoutMs = options.timeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      socket.setNoDelay(true);
      let received = Buffer.alloc(0);
      const fail = (error: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      };
      const timer = setTimeout(
        () => fail(new WaitTimeout('the handshake response', timeoutMs)),
        timeoutMs,
      );
      const onData = (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        const end = received.indexOf(HEAD_END);
        if (end < 0) return;
        socket.off('data', onData);
        socket.off('error', fail);
        socket.off('close', onClose);
        clearTimeout(timer);
        let response: HandshakeResponse;
        try {
          response = parseResponseHead(received.subarray(0, end).toString('latin1'));
          checkUpgradeResponse(response, key);
        } catch (error) {
          socket.destroy();
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        resolve(new RawWebSocket(socket, response, received.subarray(end + 4)));
      };
      const onClose = () => fail(new ConnectionClosed('the handshake response', ''));
      socket.on('data', onData);
      socket.on('error', fail);
      socket.on('close', onClose);
      socket.write(request);
    });
  }

  /** Writes raw bytes (whole frames, pieces of frames, anything). */
  write(bytes: Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** Writes `bytes` and resolves once they are handed to the kernel. */
  writeFlushed(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.destroyed) {
        reject(new ConnectionClosed('a write to complete', ''));
        return;
      }
      this.socket.write(bytes, (error) => (error ? reject(error) : resolve()));
    });
  }

  sendFrame(spec: FrameSpec): void {
    this.write(buildFrame(spec));
  }

  sendText(text: string | Uint8Array): void {
    this.sendFrame({ opcode: OP.text, payload: text });
  }

  sendBinary(data: Uint8Array): void {
    this.sendFrame({ opcode: OP.binary, payload: data });
  }

  sendClose(code?: number, reason: Uint8Array | string = ''): void {
    this.sendFrame({ opcode: OP.close, payload: closePayload(code, reason) });
  }

  /** The next frame the server sent, control frames included. */
  nextFrame(timeoutMs = 5_000, what = 'a frame from the server'): Promise<ServerFrame> {
    if (this.waiter !== undefined) throw new Error('Only one nextFrame() may wait at a time');
    return new Promise((resolve, reject) => {
      const settle = (): boolean => {
        const frame = this.frames.shift();
        if (frame !== undefined) {
          resolve(frame);
          return true;
        }
        if (this.violation !== undefined) {
          reject(this.violation);
          return true;
        }
        if (this.endDetail !== undefined) {
          reject(new ConnectionClosed(what, `: ${this.endDetail}`));
          return true;
        }
        return false;
      };
      if (settle()) return;
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new WaitTimeout(what, timeoutMs));
      }, timeoutMs);
      this.waiter = () => {
        if (settle()) {
          clearTimeout(timer);
          this.waiter = undefined;
        }
      };
    });
  }

  /**
   * The next data message, reassembled from its frames (the server may
   * fragment). Control frames in between are returned in `controls`; a close
   * frame ends the wait with an error naming it.
   */
  async nextMessage(
    timeoutMs = 10_000,
  ): Promise<{ opcode: number; payload: Buffer; frames: ServerFrame[]; controls: ServerFrame[] }> {
    const frames: ServerFrame[] = [];
    const controls: ServerFrame[] = [];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const frame = await this.nextFrame(Math.max(1, deadline - Date.now()), 'a data message');
      if (frame.opcode === OP.close) {
        const body = parseCloseBody(frame.payload);
        throw new Error(
          `The server closed (code ${String(body.code)}, reason ${JSON.stringify(body.reason.toString())}) instead of sending a message`,
        );
      }
      if (frame.opcode >= 8) {
        controls.push(frame);
        continue;
      }
      frames.push(frame);
      if (frame.fin) {
        const first = frames[0]!;
        return {
          opcode: first.opcode,
          payload:
            frames.length === 1 ? frame.payload : Buffer.concat(frames.map((f) => f.payload)),
          frames,
          controls,
        };
      }
    }
  }

  /** Reads frames until a close frame; returns it with the data frames seen before it. */
  async nextClose(timeoutMs = 5_000): Promise<CloseBody & { before: ServerFrame[] }> {
    const before: ServerFrame[] = [];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const frame = await this.nextFrame(Math.max(1, deadline - Date.now()), 'a close frame');
      if (frame.opcode === OP.close) return { ...parseCloseBody(frame.payload), before };
      before.push(frame);
    }
  }

  /** Resolves when the server has ended the TCP connection; rejects with `WaitTimeout`. */
  async waitForServerEnd(timeoutMs = 5_000): Promise<void> {
    if (this.serverEnded) return;
    let timer: NodeJS.Timeout | undefined;
    const ended = new Promise<void>((resolve) => {
      const check = () => {
        if (this.serverEnded) resolve();
      };
      this.socket.once('end', check);
      this.socket.once('close', check);
      this.socket.once('error', check);
    });
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new WaitTimeout('the server to close the TCP connection', timeoutMs)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([ended, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Asserts that nothing at all arrives for `ms` (a bounded negative wait). */
  async expectSilence(ms: number, what: string): Promise<void> {
    try {
      const frame = await this.nextFrame(ms, what);
      throw new Error(
        `Expected nothing from the server (${what}), got opcode ${frame.opcode} with ${frame.payload.length} bytes`,
      );
    } catch (error) {
      if (error instanceof WaitTimeout) return;
      if (error instanceof ConnectionClosed) {
        throw new Error(
          `Expected nothing from the server (${what}), but it closed the connection`,
          {
            cause: error,
          },
        );
      }
      throw error;
    }
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onEnd(detail: string): void {
    this.serverEnded = true;
    this.endDetail ??= detail;
    this.waiter?.();
  }

  private onData(chunk: Buffer): void {
    this.queue.push(chunk);
    while (this.violation === undefined) {
      const frame = this.parseOne();
      if (frame === undefined) break;
      this.frames.push(frame);
    }
    this.waiter?.();
  }

  private fail(message: string): undefined {
    this.violation = new ServerViolation(message);
    return undefined;
  }

  private parseOne(): ServerFrame | undefined {
    const q = this.queue;
    if (q.length < 2) return undefined;
    const two = q.peek(2);
    const b0 = two[0]!;
    const b1 = two[1]!;
    const fin = (b0 & 0x80) !== 0;
    const rsv = (b0 >> 4) & 7;
    const opcode = b0 & 0x0f;
    if ((b1 & 0x80) !== 0) return this.fail('The server sent a masked frame (RFC 6455 §5.1)');
    const short = b1 & 0x7f;
    const headerLength = short === 126 ? 4 : short === 127 ? 10 : 2;
    if (q.length < headerLength) return undefined;
    const header = q.peek(headerLength);
    let length: number;
    if (short === 126) {
      length = header.readUInt16BE(2);
      if (length < 126) return this.fail(`The server used a 16-bit length for ${length} bytes`);
    } else if (short === 127) {
      const big = header.readBigUInt64BE(2);
      if (big < 65536n) return this.fail(`The server used a 64-bit length for ${big} bytes`);
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) {
        return this.fail(`The server declared a ${big}-byte frame`);
      }
      length = Number(big);
    } else {
      length = short;
    }
    if (opcode >= 8) {
      if (!fin) return this.fail(`The server fragmented a control frame (opcode ${opcode})`);
      if (length > 125) return this.fail(`The server sent a ${length}-byte control frame`);
      if (opcode > 0xa) return this.fail(`The server used reserved opcode ${opcode}`);
    } else if (opcode > 2) {
      return this.fail(`The server used reserved opcode ${opcode}`);
    }
    if (rsv !== 0) {
      const firstDataFrame = opcode === OP.text || opcode === OP.binary;
      if (!(this.deflate && rsv === 4 && firstDataFrame)) {
        return this.fail(`The server set RSV bits ${rsv} on opcode ${opcode} (RFC 6455 §5.2)`);
      }
    }
    if (opcode === OP.continuation && !this.serverMidMessage) {
      return this.fail('The server sent a continuation frame outside a message');
    }
    if ((opcode === OP.text || opcode === OP.binary) && this.serverMidMessage) {
      return this.fail('The server began a new message inside a fragmented one');
    }
    if (q.length < headerLength + length) return undefined;
    q.take(headerLength);
    const payload = q.take(length);
    if (opcode < 8) this.serverMidMessage = !fin;
    return { fin, rsv, opcode, header, payload };
  }
}

function checkUpgradeResponse(response: HandshakeResponse, key: string): void {
  if (response.status !== 101) {
    throw new Error(`Expected 101 Switching Protocols, got:\n${response.head}`);
  }
  const accept = response.headers.get('sec-websocket-accept') ?? [];
  const expected = createHash('sha1')
    .update(key + GUID)
    .digest('base64');
  if (accept.length !== 1 || accept[0] !== expected) {
    throw new Error(`Sec-WebSocket-Accept is ${JSON.stringify(accept)}, expected ${expected}`);
  }
  const upgrade = response.headers.get('upgrade') ?? [];
  if (!upgrade.some((v) => v.toLowerCase() === 'websocket')) {
    throw new Error(`The 101 lacks Upgrade: websocket:\n${response.head}`);
  }
  const connection = (response.headers.get('connection') ?? []).flatMap((v) => v.split(','));
  if (!connection.some((v) => v.trim().toLowerCase() === 'upgrade')) {
    throw new Error(`The 101 lacks Connection: Upgrade:\n${response.head}`);
  }
}

// ---------------------------------------------------------------------------
// Plain HTTP exchanges, for handshakes the server must refuse

export interface HttpExchange {
  readonly response: HandshakeResponse | undefined;
  /** Whether the server closed the connection after answering (within the timeout). */
  readonly serverClosed: boolean;
}

/**
 * Sends `request` as is and reads the response head; then waits up to
 * `timeoutMs` for the server to close the connection.
 */
export function httpExchange(
  port: number,
  request: string,
  timeoutMs = 5_000,
): Promise<HttpExchange> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let received = Buffer.alloc(0);
    let response: HandshakeResponse | undefined;
    const timer = setTimeout(() => {
      socket.destroy();
      if (response === undefined) reject(new WaitTimeout('an HTTP response', timeoutMs));
      else resolve({ response, serverClosed: false });
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf(HEAD_END);
      if (response === undefined && end >= 0) {
        try {
          response = parseResponseHead(received.subarray(0, end).toString('latin1'));
        } catch (error) {
          clearTimeout(timer);
          socket.destroy();
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ response, serverClosed: true });
    });
    socket.write(request);
  });
}
