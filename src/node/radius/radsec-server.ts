/**
 * RadSec (RADIUS over TLS, RFC 6614, on the TCP rules of RFC 6613) in front
 * of the RADIUS server core: the same `RadiusServer` that serves UDP, fed
 * packets cut from each TLS stream by `RadiusStreamFramer`, its answers
 * written back on the connection the request came in on (the listener tag
 * `tls:N`). Authentication and accounting share the one port (2083).
 *
 * - Mutual TLS (1.2 or 1.3): the client certificate must chain to the
 *   configured CA (OpenSSL checks it in the handshake); then
 *   `RadSecClientTable` decides which declared client the peer is
 *   (address, CN, DNS name, fingerprint). The entry goes to the core in
 *   `RadiusEndpoint.client`, so the source address is not looked up.
 * - A bad Length or a malformed packet closes the connection (RFC 6613
 *   §2.6.4: a stream cannot silently discard as UDP does); so does a peer
 *   that sends nothing for `idleTimeoutMs` (§2.6.3: clients keep busy
 *   connections alive with Status-Server, RFC 5997), one that does not
 *   finish its handshake in `handshakeTimeoutMs`, and one that does not
 *   read its answers (`maxWriteBacklog` octets queued).
 * - Bounded: `maxConnections` at once and `maxConnectionsPerClient` per
 *   client; more are refused. The server never retransmits over TCP
 *   (RFC 6613 §2.6.1; the core never does anyway); a retransmission the
 *   client makes on a new connection is a new request.
 *
 * Every accepted, closed and refused connection is traced on
 * `netrx-radius` (keyword Connections) with its reason, and counted.
 */
import * as tls from 'node:tls';
import type { Socket } from 'node:net';
import {
  RADSEC_SECRET,
  RadSecClientTable,
  RadiusEventDescriptor,
  RADIUS_PROVIDER,
  RadiusStreamFramer,
  parseRadius,
  type RadiusEndpoint,
  type RadiusServer,
  type RadSecClientOptions,
  type RadSecClientMatch,
} from '../../radius/index.js';
import { RadiusServer as RadiusServerCore, type RadiusServerOptions } from '../../radius/index.js';
import type { TraceProvider, TraceRegistry } from '../../trace/index.js';
import { systemClock } from '../runtime/clock.js';
import { nodeCrypto } from '../runtime/crypto.js';

export { RADSEC_SECRET };

export interface RadSecTlsConfig {
  /** PEM certificate chain (leaf first) and key of this server. */
  readonly cert: string | Uint8Array;
  readonly key: string | Uint8Array;
  /** PEM CA(s) every client certificate must chain to. */
  readonly ca: string | Uint8Array;
  /** Default 'TLSv1.2' (RFC 6614 §2.3 wants 1.1 or later; 1.2 is the floor now). */
  readonly minVersion?: 'TLSv1.2' | 'TLSv1.3';
  readonly maxVersion?: 'TLSv1.2' | 'TLSv1.3';
}

export interface RadSecListenerOptions {
  readonly host: string;
  /** 2083 by convention (RFC 6614 §2.1); 0 picks a free one. */
  readonly port: number;
  readonly tls: RadSecTlsConfig;
  /** Which peers are which clients; at least one. */
  readonly clients: readonly RadSecClientOptions[] | RadSecClientTable;
  /** A connection with no packet from its peer for this long is closed; default 120 000 ms. */
  readonly idleTimeoutMs?: number;
  /** The TLS handshake must finish within this; default 10 000 ms. */
  readonly handshakeTimeoutMs?: number;
  /** Connections at once (handshaking included); default 256. */
  readonly maxConnections?: number;
  /** Connections one client may hold; default 16. */
  readonly maxConnectionsPerClient?: number;
  /** Answers queued for a peer that does not read, in octets, before it is closed; default 1 MiB. */
  readonly maxWriteBacklog?: number;
  /** The largest packet accepted; default 4096. */
  readonly maxPacketLength?: number;
  readonly trace?: TraceRegistry;
}

export const RADSEC_DEFAULTS = {
  port: 2083,
  idleTimeoutMs: 120_000,
  handshakeTimeoutMs: 10_000,
  maxConnections: 256,
  maxConnectionsPerClient: 16,
  maxWriteBacklog: 1024 * 1024,
} as const;

export interface RadSecStats {
  readonly accepted: number;
  readonly active: number;
  /** Refused connections by reason. */
  readonly refused: Readonly<Record<string, number>>;
  /** Closed connections (after acceptance) by reason. */
  readonly closed: Readonly<Record<string, number>>;
  readonly packetsIn: number;
  readonly packetsOut: number;
  /** Answers for a connection that was gone by then (dropped, counted). */
  readonly answersForClosed: number;
}

interface Connection {
  readonly id: string;
  readonly socket: tls.TLSSocket;
  readonly match: RadSecClientMatch;
  readonly address: string;
  readonly port: number;
  readonly framer: RadiusStreamFramer;
  packets: number;
  reason: string | undefined;
}

const MAX_REASONS = 32;

function count(map: Map<string, number>, reason: string): void {
  const key = map.has(reason) || map.size < MAX_REASONS ? reason : 'other';
  map.set(key, (map.get(key) ?? 0) + 1);
}

function limit(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v <= 0)
    throw new RangeError(`${name} must be a positive integer`);
  return v;
}

/** The DNS names of a certificate's subjectAltName ("DNS:a, DNS:b, IP Address:…"). */
function dnsNames(cert: tls.PeerCertificate): string[] {
  const san = cert.subjectaltname ?? '';
  return san
    .split(/,\s*/)
    .filter((item) => item.startsWith('DNS:'))
    .map((item) => item.slice(4));
}

function commonName(cert: tls.PeerCertificate): string | undefined {
  // Node gives a repeated attribute as an array.
  const cn = (cert.subject as Record<string, string | string[] | undefined> | undefined)?.['CN'];
  return Array.isArray(cn) ? cn[0] : cn;
}

/**
 * Where the listener hands each packet: a RADIUS server core, or a router in
 * front of several (startRadiusServer with workers: authentication to the
 * worker pool, accounting to the receiving thread's core).
 */
export type RadSecReceiver = Pick<RadiusServer, 'receive'>;

/**
 * The RadSec side of a RADIUS server. `attach` the core or router (whose
 * answers must route `tls:` listener tags to `send` here), then `listen`.
 */
export class RadSecListener {
  private readonly options: RadSecListenerOptions;
  private readonly table: RadSecClientTable;
  private readonly idleTimeoutMs: number;
  private readonly maxConnections: number;
  private readonly maxPerClient: number;
  private readonly maxWriteBacklog: number;
  private readonly server: tls.Server;
  private readonly trace: TraceProvider | undefined;
  private core: RadSecReceiver | undefined;
  private readonly connections = new Map<string, Connection>();
  private readonly perClient = new Map<string, number>();
  /** TCP connections open, handshaking or not. */
  private readonly open = new Set<Socket>();
  private nextId = 1;
  private readonly refusedBy = new Map<string, number>();
  private readonly closedBy = new Map<string, number>();
  private counters = { accepted: 0, packetsIn: 0, packetsOut: 0, answersForClosed: 0 };

  constructor(options: RadSecListenerOptions) {
    this.options = options;
    this.table =
      options.clients instanceof RadSecClientTable
        ? options.clients
        : new RadSecClientTable(options.clients);
    if (this.table.size === 0) throw new TypeError('RadSec needs at least one client');
    const d = RADSEC_DEFAULTS;
    this.idleTimeoutMs = limit('idleTimeoutMs', options.idleTimeoutMs, d.idleTimeoutMs);
    this.maxConnections = limit('maxConnections', options.maxConnections, d.maxConnections);
    this.maxPerClient = limit(
      'maxConnectionsPerClient',
      options.maxConnectionsPerClient,
      d.maxConnectionsPerClient,
    );
    this.maxWriteBacklog = limit('maxWriteBacklog', options.maxWriteBacklog, d.maxWriteBacklog);
    // Checked early so a bad value is a RangeError here, not a failed stream later.
    new RadiusStreamFramer(
      options.maxPacketLength === undefined ? {} : { maxPacketLength: options.maxPacketLength },
    );
    this.trace = options.trace?.register(RADIUS_PROVIDER);
    this.server = tls.createServer({
      cert: options.tls.cert as string,
      key: options.tls.key as string,
      ca: options.tls.ca as string,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: options.tls.minVersion ?? 'TLSv1.2',
      ...(options.tls.maxVersion === undefined ? {} : { maxVersion: options.tls.maxVersion }),
      handshakeTimeout: limit(
        'handshakeTimeoutMs',
        options.handshakeTimeoutMs,
        d.handshakeTimeoutMs,
      ),
    });
    this.server.on('connection', (socket: Socket) => this.tcpAccepted(socket));
    this.server.on('secureConnection', (socket: tls.TLSSocket) => this.secured(socket));
    this.server.on('tlsClientError', (error: NodeJS.ErrnoException, socket: tls.TLSSocket) => {
      this.refuse(
        `tls:${error.code ?? 'ERR_TLS'}`,
        socket.remoteAddress ?? '',
        socket.remotePort ?? 0,
        '',
        error.message,
      );
      // With a tlsClientError listener Node leaves the socket open (a handshake
      // timeout would hold it forever): close it here.
      socket.destroy();
    });
    this.server.on('error', () => {});
  }

  /** The core (or router) whose requests arrive here. */
  attach(core: RadSecReceiver): void {
    this.core = core;
  }

  /** Whether `to` names a RadSec connection (`tls:` listener tag). */
  static owns(to: RadiusEndpoint): boolean {
    return to.listener?.startsWith('tls:') === true;
  }

  /** The core's answer for one of our connections. */
  send(datagram: Uint8Array, to: RadiusEndpoint): void {
    const connection = to.listener === undefined ? undefined : this.connections.get(to.listener);
    if (connection === undefined || connection.socket.destroyed) {
      this.counters.answersForClosed++;
      return;
    }
    this.counters.packetsOut++;
    connection.socket.write(datagram);
    if (connection.socket.writableLength > this.maxWriteBacklog)
      this.shut(connection, 'write-backlog');
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve(this.port);
      });
    });
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  stats(): RadSecStats {
    return {
      accepted: this.counters.accepted,
      active: this.connections.size,
      refused: Object.fromEntries(this.refusedBy),
      closed: Object.fromEntries(this.closedBy),
      packetsIn: this.counters.packetsIn,
      packetsOut: this.counters.packetsOut,
      answersForClosed: this.counters.answersForClosed,
    };
  }

  /** Stops accepting and closes every connection (reason shutdown). */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const connection of [...this.connections.values()]) this.shut(connection, 'shutdown');
    await closed;
  }

  private tcpAccepted(socket: Socket): void {
    // Counts handshaking and established connections alike: a TLS socket closes its TCP one.
    if (this.open.size >= this.maxConnections) {
      this.refuse('connection-limit', socket.remoteAddress ?? '', socket.remotePort ?? 0, '');
      socket.destroy();
      return;
    }
    this.open.add(socket);
    // Request and answer, one small packet each way: Nagle would hold answers back.
    socket.setNoDelay(true);
    socket.once('close', () => this.open.delete(socket));
  }

  private secured(socket: tls.TLSSocket): void {
    const address = socket.remoteAddress ?? '';
    const port = socket.remotePort ?? 0;
    const cert = socket.getPeerCertificate();
    const subject = commonName(cert) ?? '';
    if (!socket.authorized) {
      // rejectUnauthorized makes this unreachable; kept so a change of options cannot open the door.
      this.refuse(`tls:${String(socket.authorizationError)}`, address, port, subject);
      socket.destroy();
      return;
    }
    const match = this.table.lookup({
      address,
      commonName: commonName(cert),
      dnsNames: dnsNames(cert),
      fingerprint256: cert.fingerprint256,
    });
    if (match === undefined) {
      this.refuse('unknown-certificate', address, port, subject);
      socket.destroy();
      return;
    }
    const name = match.entry.name;
    const held = this.perClient.get(name) ?? 0;
    if (held >= (match.options.maxConnections ?? this.maxPerClient)) {
      this.refuse('client-connection-limit', address, port, subject);
      socket.destroy();
      return;
    }
    this.perClient.set(name, held + 1);
    const connection: Connection = {
      id: `tls:${this.nextId++}`,
      socket,
      match,
      address,
      port,
      framer: new RadiusStreamFramer(
        this.options.maxPacketLength === undefined
          ? {}
          : { maxPacketLength: this.options.maxPacketLength },
      ),
      packets: 0,
      reason: undefined,
    };
    this.connections.set(connection.id, connection);
    this.counters.accepted++;
    this.trace?.emit(RadiusEventDescriptor.connectionAccepted, {
      address,
      port,
      client: name,
      protocol: socket.getProtocol() ?? '',
      subject,
    });
    const endpoint: RadiusEndpoint = {
      address,
      port,
      listener: connection.id,
      client: match.entry,
    };
    const onPacket = (packet: Uint8Array) => {
      connection.packets++;
      this.counters.packetsIn++;
      // A malformed packet on a stream (attributes overrunning the Length, …) is not
      // silently discarded as on UDP: the connection is closed (RFC 6613 §2.6.4).
      const parsed = parseRadius(packet);
      if (!parsed.ok) {
        this.shut(connection, `malformed:${parsed.failure.code}`);
        return;
      }
      // One port for both (RFC 6614 §2.1): the code says which service a packet is for.
      this.core?.receive(packet, endpoint, packet[0] === 4 ? 'acct' : 'auth');
    };
    socket.setTimeout(this.idleTimeoutMs, () => this.shut(connection, 'idle'));
    socket.on('data', (chunk: Buffer) => {
      const failure = connection.framer.push(
        new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength),
        onPacket,
      );
      if (failure !== undefined) this.shut(connection, `framing:${failure.code}`);
    });
    socket.on('end', () => this.shut(connection, 'peer-closed'));
    socket.on('error', (error: NodeJS.ErrnoException) =>
      this.shut(connection, `error:${error.code ?? 'unknown'}`),
    );
    socket.on('close', () => this.shut(connection, 'peer-closed'));
  }

  private shut(connection: Connection, reason: string): void {
    if (connection.reason !== undefined) return;
    connection.reason = reason;
    connection.framer.fail({ code: 'length-too-short', length: 0 });
    this.connections.delete(connection.id);
    const name = connection.match.entry.name;
    const left = (this.perClient.get(name) ?? 1) - 1;
    if (left > 0) this.perClient.set(name, left);
    else this.perClient.delete(name);
    count(this.closedBy, reason);
    this.trace?.emit(RadiusEventDescriptor.connectionClosed, {
      reason,
      address: connection.address,
      port: connection.port,
      client: name,
      packets: connection.packets,
    });
    if (reason === 'peer-closed' || reason === 'shutdown' || reason === 'idle')
      connection.socket.end();
    connection.socket.destroySoon();
    if (reason !== 'peer-closed') {
      // A peer that does not close its side in time is cut off.
      setTimeout(() => connection.socket.destroy(), 2000).unref();
    }
  }

  private refuse(
    reason: string,
    address: string,
    port: number,
    subject: string,
    _detail?: string,
  ): void {
    count(this.refusedBy, reason);
    this.trace?.emit(RadiusEventDescriptor.connectionRefused, { reason, address, port, subject });
  }
}

export interface RadSecServerOptions extends Omit<
  RadiusServerOptions,
  'send' | 'clock' | 'crypto' | 'clients'
> {
  readonly radsec: Omit<RadSecListenerOptions, 'trace'>;
  readonly clock?: RadiusServerOptions['clock'];
  readonly crypto?: RadiusServerOptions['crypto'];
}

export interface RadSecServer {
  readonly core: RadiusServer;
  readonly listener: RadSecListener;
  /** The bound RadSec port. */
  readonly port: number;
  close(): Promise<void>;
}

/** A RADIUS server on RadSec only (no UDP): the same core, its clients all TLS peers. */
export async function startRadSecServer(options: RadSecServerOptions): Promise<RadSecServer> {
  const listener = new RadSecListener({
    ...options.radsec,
    ...(options.trace === undefined ? {} : { trace: options.trace }),
  });
  const core = new RadiusServerCore({
    ...options,
    // Every request carries its client (by certificate); no address is ever looked up.
    clients: [],
    clock: options.clock ?? systemClock,
    crypto: options.crypto ?? nodeCrypto,
    send: (datagram, to) => listener.send(datagram, to),
  });
  listener.attach(core);
  const port = await listener.listen();
  return { core, listener, port, close: () => listener.close() };
}
