/**
 * A WebSocket server that speaks bytes, for conformance tests of a CLIENT:
 * it answers the opening handshake (Sec-WebSocket-Accept computed with
 * node:crypto, or a deliberately broken answer), then sends whatever frames
 * a test builds, unmasked or not, legal or not, and reads the client's
 * frames, checking the RFC 6455 MUSTs for a client (every frame masked,
 * control frames short and unfragmented, no RSV bits without an extension)
 * before a test sees them. Written from RFC 6455 alone, like ws-raw.ts,
 * sharing no code with src/.
 */
import { createHash } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import {
  ConnectionClosed,
  OP,
  WaitTimeout,
  applyMask,
  bytesOf,
  frameHeader,
  parseCloseBody,
  type CloseBody,
  type RsvBits,
} from './ws-raw.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const HEAD_END = Buffer.from('\r\n\r\n');

export interface ServerFrameSpec {
  readonly opcode: number;
  readonly payload?: Uint8Array | string;
  readonly fin?: boolean;
  readonly rsv?: RsvBits;
  /** A server must not mask; a test may, to see the client refuse it. */
  readonly mask?: Uint8Array;
}

/** One frame as a server sends it (unmasked unless `mask` is given). */
export function serverFrame(spec: ServerFrameSpec): Buffer {
  const payload = bytesOf(spec.payload);
  const head = frameHeader({
    opcode: spec.opcode,
    length: BigInt(payload.length),
    ...(spec.fin === undefined ? {} : { fin: spec.fin }),
    ...(spec.rsv === undefined ? {} : { rsv: spec.rsv }),
    mask: spec.mask ?? false,
  });
  return Buffer.concat([head, spec.mask === undefined ? payload : applyMask(payload, spec.mask)]);
}

/** A message as unmasked frames of at most `size` payload bytes. */
export function serverFragments(
  opcode: number,
  payload: Uint8Array | string,
  size: number,
): Buffer[] {
  const whole = bytesOf(payload);
  const pieces: Buffer[] = [];
  for (let i = 0; i < whole.length; i += size) pieces.push(whole.subarray(i, i + size));
  if (pieces.length === 0) pieces.push(Buffer.alloc(0));
  return pieces.map((piece, i) =>
    serverFrame({
      opcode: i === 0 ? opcode : OP.continuation,
      fin: i === pieces.length - 1,
      payload: piece,
    }),
  );
}

export interface ClientFrame {
  readonly fin: boolean;
  readonly rsv: RsvBits;
  readonly opcode: number;
  /** Unmasked. */
  readonly payload: Buffer;
}

/** The client broke a MUST of RFC 6455 in a frame it sent. */
export class ClientViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClientViolation';
  }
}

/** How the server answers the upgrade request. */
export type HandshakeAnswer = (request: { key: string; head: string }) => string;

/** The correct 101 for `key`, with `extra` header lines. */
export function switchingProtocols(key: string, extra: readonly string[] = []): string {
  const accept = createHash('sha1')
    .update(key + GUID)
    .digest('base64');
  return [
    'HTTP/1.1 101 Switching Protocols',
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Accept: ${accept}`,
    ...extra,
    '',
    '',
  ].join('\r\n');
}

/** One accepted TCP connection, after the server's handshake answer. */
export class RawServerConnection {
  private buffered: Buffer = Buffer.alloc(0);
  private readonly frames: ClientFrame[] = [];
  private violation: ClientViolation | undefined;
  private endDetail: string | undefined;
  private waiter: (() => void) | undefined;
  private clientMidMessage = false;
  /** Resolves when the TCP connection has closed (either side). */
  readonly closed: Promise<void>;
  clientEnded = false;

  constructor(
    readonly socket: Socket,
    readonly requestHead: string,
    rest: Buffer,
  ) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd('the client ended the TCP connection'));
    socket.on('error', (error) => this.onEnd(`socket error ${error.message}`));
    socket.on('close', () => this.onEnd('the TCP connection closed'));
    if (rest.length > 0) this.onData(rest);
  }

  write(bytes: Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** Writes `bytes` and resolves once they are handed to the kernel (or the socket is gone). */
  writeFlushed(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed || !this.socket.writable) {
        resolve();
        return;
      }
      this.socket.write(bytes, () => resolve());
    });
  }

  send(spec: ServerFrameSpec): void {
    this.write(serverFrame(spec));
  }

  /** The next frame the client sent (unmasked). */
  nextFrame(timeoutMs = 5_000, what = 'a frame from the client'): Promise<ClientFrame> {
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

  /** Frames until the client's close frame: its body, and the frames before it. */
  async nextClose(timeoutMs = 5_000): Promise<CloseBody & { before: ClientFrame[] }> {
    const before: ClientFrame[] = [];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const frame = await this.nextFrame(Math.max(1, deadline - Date.now()), 'a close frame');
      if (frame.opcode === OP.close) return { ...parseCloseBody(frame.payload), before };
      before.push(frame);
    }
  }

  /** Resolves once the client has closed or ended TCP; rejects with `WaitTimeout`. */
  async waitForClientEnd(timeoutMs = 5_000): Promise<void> {
    if (this.clientEnded) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        new Promise<void>((resolve) => {
          const check = (): void => {
            if (this.clientEnded) resolve();
          };
          this.socket.once('end', check);
          this.socket.once('close', check);
        }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new WaitTimeout('the client to close the TCP connection', timeoutMs)),
            timeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onEnd(detail: string): void {
    this.clientEnded = true;
    this.endDetail ??= detail;
    this.waiter?.();
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.violation === undefined) {
      const frame = this.parseOne();
      if (frame === undefined) break;
      this.frames.push(frame);
    }
    this.waiter?.();
  }

  private fail(message: string): undefined {
    this.violation = new ClientViolation(message);
    return undefined;
  }

  private parseOne(): ClientFrame | undefined {
    const q = this.buffered;
    if (q.length < 2) return undefined;
    const b0 = q[0]!;
    const b1 = q[1]!;
    const fin = (b0 & 0x80) !== 0;
    const rsv = (b0 >> 4) & 7;
    const opcode = b0 & 0x0f;
    if ((b1 & 0x80) === 0) return this.fail('The client sent an unmasked frame (RFC 6455 §5.1)');
    const short = b1 & 0x7f;
    const lengthBytes = short === 126 ? 2 : short === 127 ? 8 : 0;
    const headerLength = 2 + lengthBytes + 4;
    if (q.length < headerLength) return undefined;
    let length: number;
    if (short === 126) {
      length = q.readUInt16BE(2);
      if (length < 126) return this.fail(`The client used a 16-bit length for ${length} bytes`);
    } else if (short === 127) {
      const big = q.readBigUInt64BE(2);
      if (big < 65536n) return this.fail(`The client used a 64-bit length for ${big} bytes`);
      if (big > BigInt(Number.MAX_SAFE_INTEGER))
        return this.fail(`The client declared ${big} bytes`);
      length = Number(big);
    } else {
      length = short;
    }
    if (opcode >= 8) {
      if (!fin) return this.fail(`The client fragmented a control frame (opcode ${opcode})`);
      if (length > 125) return this.fail(`The client sent a ${length}-byte control frame`);
      if (opcode > 0xa) return this.fail(`The client used reserved opcode ${opcode}`);
    } else if (opcode > 2) {
      return this.fail(`The client used reserved opcode ${opcode}`);
    }
    if (rsv !== 0) return this.fail(`The client set RSV bits ${rsv} (no extension was agreed)`);
    if (opcode === OP.continuation && !this.clientMidMessage) {
      return this.fail('The client sent a continuation frame outside a message');
    }
    if ((opcode === OP.text || opcode === OP.binary) && this.clientMidMessage) {
      return this.fail('The client began a new message inside a fragmented one');
    }
    if (q.length < headerLength + length) return undefined;
    const key = q.subarray(headerLength - 4, headerLength);
    const payload = applyMask(q.subarray(headerLength, headerLength + length), key);
    this.buffered = q.subarray(headerLength + length);
    if (opcode < 8) this.clientMidMessage = !fin;
    return { fin, rsv, opcode, payload };
  }
}

/**
 * Listens on 127.0.0.1 (port chosen by the OS); `nextConnection` hands out
 * each connection once the handshake answer (by default a correct 101
 * without extensions) has been written.
 */
export class RawServer {
  private readonly pending: RawServerConnection[] = [];
  private waiter: (() => void) | undefined;
  private readonly sockets = new Set<Socket>();
  answer: HandshakeAnswer = ({ key }) => switchingProtocols(key);

  private constructor(private readonly server: Server) {
    server.on('connection', (socket) => this.accept(socket));
  }

  static async start(): Promise<RawServer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new RawServer(server);
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  async nextConnection(timeoutMs = 5_000): Promise<RawServerConnection> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const connection = this.pending.shift();
      if (connection !== undefined) return connection;
      const left = deadline - Date.now();
      if (left <= 0) throw new WaitTimeout('a client connection', timeoutMs);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
  }

  /** Destroys every connection still open (between tests). */
  dropAll(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    this.pending.length = 0;
  }

  close(): Promise<void> {
    this.dropAll();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    let received = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf(HEAD_END);
      if (end < 0) return;
      socket.off('data', onData);
      const head = received.subarray(0, end).toString('latin1');
      const key = /^sec-websocket-key:\s*(\S+)\s*$/im.exec(head)?.[1] ?? '';
      socket.write(this.answer({ key, head }));
      this.pending.push(new RawServerConnection(socket, head, received.subarray(end + 4)));
      this.waiter?.();
    };
    socket.on('data', onData);
  }
}
