/**
 * One `tls.Server` for all the server-role engines of a factory. A server
 * per EAP conversation cost 1.2 ms of CPU with an RSA-2048 key (OpenSSL 3
 * builds a new SSL_CTX and parses the PEM certificate, key and CA each
 * time: about a fifth of a whole EAP-TLS authentication, bench/eap); one
 * server shares one context, as FreeRADIUS shares its SSL_CTX.
 *
 * Node's server reports a connection's events (`secureConnection`,
 * `tlsClientError`, `keylog`) with the TLSSocket it made, which no public
 * API links back to the duplex handed over with `emit('connection')`. The
 * engine finds its socket by the ClientHello's random: it reads the random
 * from the first bytes it feeds and waits under it; the server's first
 * `keylog` line of a socket (NSS format, "LABEL <client random> <secret>",
 * written before `secureConnection` under TLS 1.2 and 1.3, full or resumed)
 * names the random, and from then on the socket maps to the engine. Two
 * conversations offering the same random (a replayed ClientHello) are both
 * refused, so one conversation can never be joined to another's socket.
 *
 * A failure before any key exists (no shared version or cipher; under TLS
 * 1.2 a missing client certificate) has no keylog line, so its socket is
 * never mapped: the hub destroys that socket, the server then closes the
 * engine's duplex, and the engine takes the oldest such error as its
 * reason. Two conversations failing that way in the same few event-loop
 * turns may swap reasons (never outcomes: both fail); the queue holds at
 * most MAX_ORPHANS.
 */
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';

/** What the hub calls on the engine a socket belongs to. */
export interface HubEngine {
  attach(socket: tls.TLSSocket): void;
  established(socket: tls.TLSSocket): void;
  clientError(error: Error, socket: tls.TLSSocket): void;
  /** Another conversation offered the same ClientHello random. */
  duplicateHello(): void;
}

const HANDSHAKE_RECORD = 22;
const CLIENT_HELLO = 1;
/** Handshake bytes up to the end of the random: type 1, length 3, version 2, random 32. */
const RANDOM_START = 6;
const RANDOM_END = RANDOM_START + 32;
/**
 * Bytes a client may send before its random is known: 38 one-byte records take 228, and
 * no honest client splits its ClientHello that finely (anything longer is refused).
 */
const MAX_HELLO_PREFIX = 512;
/** Unmapped handshake errors kept for the engines whose duplexes close next. */
const MAX_ORPHANS = 64;

/**
 * The ClientHello random (hex) of a client's first bytes, read as OpenSSL reads it: a
 * handshake message may span records (RFC 8446 §5.1), so the handshake bytes of the
 * leading records are joined first. 'more' until the random is complete; 'refused' for
 * anything else (another record type, such as an SSLv2-format hello, or another message),
 * which must never reach the shared server: its keylog line could name a random another
 * conversation waits under.
 */
export function scanClientHello(stream: Uint8Array): { random: string } | 'more' | 'refused' {
  const handshake: number[] = [];
  let at = 0;
  while (at < stream.length) {
    if (stream[at] !== HANDSHAKE_RECORD) return 'refused';
    if (at + 5 > stream.length) break;
    const length = ((stream[at + 3] ?? 0) << 8) | (stream[at + 4] ?? 0);
    const end = Math.min(stream.length, at + 5 + length);
    for (let i = at + 5; i < end && handshake.length < RANDOM_END; i++)
      handshake.push(stream[i] ?? 0);
    if (handshake.length > 0 && handshake[0] !== CLIENT_HELLO) return 'refused';
    if (handshake.length >= RANDOM_END)
      return { random: Buffer.from(handshake.slice(RANDOM_START, RANDOM_END)).toString('hex') };
    at += 5 + length;
  }
  return stream.length >= MAX_HELLO_PREFIX ? 'refused' : 'more';
}

function coded(message: string, code: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

/**
 * A `tlsClientError` with the certificate verdict when there is one: Node
 * checks the client certificate after the handshake and destroys the socket
 * ("socket hang up"); the reason is in authorizationError.
 */
export function clientErrorWithReason(error: Error, socket: tls.TLSSocket): Error {
  const why = socket.authorizationError as unknown;
  const code = typeof why === 'string' ? why : (why as { code?: string } | null)?.code;
  return code === undefined ? error : coded(`client certificate rejected: ${code}`, code);
}

export class TlsServerHub {
  private readonly server: tls.Server;
  /** Client random → the engine that fed it, until its socket's first keylog line. */
  private readonly waiting = new Map<string, HubEngine>();
  /** Randoms offered twice: refused for good (bounded by the conversations that offered them). */
  private readonly refused = new Set<string>();
  private readonly sockets = new WeakMap<tls.TLSSocket, HubEngine>();
  private readonly orphans: Error[] = [];

  constructor(options: tls.TlsOptions, onKeylog: ((line: Buffer) => void) | undefined) {
    this.server = tls.createServer(options);
    // Listening for keylog makes Node copy every handshake's secrets (the TLS 1.2 master
    // secret, the TLS 1.3 traffic and exporter secrets) into a JS Buffer, even when nobody
    // asked for a key log: wipe it once read, so the secrets are not left in the heap
    // (heap snapshots, core dumps) until the collector reuses the memory.
    this.server.on('keylog', (line: Buffer, socket: tls.TLSSocket) => {
      try {
        if (!this.sockets.has(socket)) this.map(line, socket);
        onKeylog?.(line);
      } finally {
        line.fill(0);
      }
    });
    this.server.on('secureConnection', (socket: tls.TLSSocket) =>
      this.sockets.get(socket)?.established(socket),
    );
    this.server.on('tlsClientError', (error: Error, socket: tls.TLSSocket) => {
      const engine = this.sockets.get(socket);
      if (engine !== undefined) {
        engine.clientError(error, socket);
        return;
      }
      // "socket hang up": the duplex closed under a handshake with no error yet, which only
      // an engine's close() does here (the server's own refusals carry OpenSSL's code). That
      // engine is gone; queued, its hang-up would become the next refused engine's reason.
      if ((error as { code?: unknown }).code === 'ECONNRESET') {
        socket.destroy();
        return;
      }
      if (this.orphans.length >= MAX_ORPHANS) this.orphans.shift();
      this.orphans.push(clientErrorWithReason(error, socket));
      socket.destroy(); // the engine sees its duplex close
    });
  }

  /** The underlying server, for its session events (resumption). */
  get tlsServer(): tls.Server {
    return this.server;
  }

  connect(duplex: Duplex): void {
    this.server.emit('connection', duplex);
  }

  /** `engine` fed a ClientHello with `random`; false when that random is refused. */
  expect(random: string, engine: HubEngine): boolean {
    if (this.refused.has(random)) {
      engine.duplicateHello();
      return false;
    }
    const other = this.waiting.get(random);
    if (other !== undefined) {
      this.waiting.delete(random);
      this.refused.add(random);
      other.duplicateHello();
      engine.duplicateHello();
      return false;
    }
    this.waiting.set(random, engine);
    return true;
  }

  /** The engine ended: its random no longer waits (nor stays refused). */
  forget(random: string, engine: HubEngine): void {
    if (this.waiting.get(random) === engine) this.waiting.delete(random);
    this.refused.delete(random);
  }

  /** The oldest handshake error no socket mapping claimed (see above). */
  takeOrphan(): Error | undefined {
    return this.orphans.shift();
  }

  /** Number of engines waiting for their socket (for tests). */
  get waitingCount(): number {
    return this.waiting.size;
  }

  private map(line: Buffer, socket: tls.TLSSocket): void {
    const space = line.indexOf(0x20);
    if (space < 0) return;
    const random = line.toString('latin1', space + 1, space + 65).toLowerCase();
    const engine = this.waiting.get(random);
    if (engine === undefined) return;
    this.waiting.delete(random);
    this.sockets.set(socket, engine);
    engine.attach(socket);
  }
}
