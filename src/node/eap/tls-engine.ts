/**
 * The TLS engine of netrx/eap on Node's `tls`, over an in-memory duplex: the
 * EAP method feeds it the records it reassembled and takes the records to
 * send; nothing touches a socket. Server side: `tls.createServer(options)`
 * and the duplex handed over with `server.emit('connection', duplex)` — a
 * hand-built `TLSSocket({ isServer: true })` does not reject untrusted client
 * certificates (docs/eap.md) — so OpenSSL verifies the client certificate
 * against the CA during the handshake and refuses a bad one with an alert.
 * Client side: `tls.connect({ socket: duplex })` with the CA, the server
 * name or domain suffix, and the server-auth EKU check.
 *
 * Node's TLS answers a few event-loop turns after input arrives, so
 * `whenSettled` waits until a whole turn passes with no output, no event and
 * no unread input.
 */
import { randomBytes } from 'node:crypto';
import { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import type {
  TlsEngine,
  TlsEngineError,
  TlsEngineFactory,
  TlsEngineState,
  TlsPeerCertificate,
  TlsRole,
} from '../../eap/index.js';

export type TlsVersionName = 'TLSv1.2' | 'TLSv1.3';

export interface NodeTlsServerConfig {
  /** PEM certificate chain (leaf first) and key. */
  readonly cert: string | Uint8Array;
  readonly key: string | Uint8Array;
  /** PEM CA(s) the client certificate must chain to. */
  readonly ca: string | Uint8Array;
  /** Whether a client certificate is required (EAP-TLS: yes; PEAP/TTLS: no). Default true. */
  readonly requireClientCertificate?: boolean;
}

export interface NodeTlsClientConfig {
  /** PEM CA(s) the server certificate must chain to. */
  readonly ca: string | Uint8Array;
  /** Client certificate and key (EAP-TLS needs them). */
  readonly cert?: string | Uint8Array;
  readonly key?: string | Uint8Array;
  /** The exact server name the certificate must carry (SAN dNSName, or CN without SANs); also sent as SNI. */
  readonly serverName?: string;
  /** As wpa_supplicant's domain_suffix_match: a dNSName equal to it or ending in `.suffix`. */
  readonly domainSuffix?: string;
  /** Refuse a server certificate whose EKU lacks serverAuth (or that has no EKU). Default true. */
  readonly requireServerAuthEku?: boolean;
}

export interface NodeTlsEngineOptions {
  readonly server?: NodeTlsServerConfig;
  readonly client?: NodeTlsClientConfig;
  readonly minVersion?: TlsVersionName;
  readonly maxVersion?: TlsVersionName;
  /** OpenSSL cipher list (TLS 1.2 names and TLS 1.3 suites), as node:tls takes it; default Node's. */
  readonly ciphers?: string;
  /** NSS key log lines (SSLKEYLOGFILE format), for Wireshark and key checks. */
  readonly onKeylog?: (line: string) => void;
  /** Event-loop turns the engine may take to settle before it fails (`ERR_NETRX_TLS_STALLED`); default 1000. */
  readonly maxSettleTurns?: number;
  /**
   * TLS session resumption across the factory's engines; off by default (every
   * authentication a full handshake). Server: one set of ticket keys for all
   * its engines (TLS 1.2 tickets, TLS 1.3 PSK tickets) and a bounded cache of
   * TLS 1.2 session IDs. Client: the last session per server name is offered
   * to the next engine. A resumed PEAP/TTLS still runs its inner method.
   */
  readonly resumption?: TlsResumptionOptions;
}

export interface TlsResumptionOptions {
  /** Default true when `resumption` is given. */
  readonly enabled?: boolean;
  /** Lifetime of a session (ticket and cache entry), seconds; default 3600. */
  readonly lifetimeSeconds?: number;
  /** Session IDs the server caches (oldest evicted first); default 1024. */
  readonly maxSessions?: number;
}

/** What the engines of one factory share for resumption. */
interface ResumptionState {
  readonly lifetimeMs: number;
  readonly maxSessions: number;
  readonly ticketKeys: Buffer;
  /** Server: TLS 1.2 session ID (hex) → session, insertion-ordered for eviction. */
  readonly serverSessions: Map<string, { readonly data: Buffer; readonly expires: number }>;
  /** Client: server name → the last session it issued. */
  readonly clientSessions: Map<string, { readonly data: Buffer; readonly expires: number }>;
  /** Server sessions evicted for room. */
  evicted: number;
}

function resumptionState(options: TlsResumptionOptions | undefined): ResumptionState | undefined {
  if (options === undefined || options.enabled === false) return undefined;
  const lifetime = options.lifetimeSeconds ?? 3600;
  const max = options.maxSessions ?? 1024;
  if (!(Number.isInteger(lifetime) && lifetime >= 1))
    throw new RangeError('resumption.lifetimeSeconds must be an integer >= 1');
  if (!(Number.isInteger(max) && max >= 1))
    throw new RangeError('resumption.maxSessions must be an integer >= 1');
  return {
    lifetimeMs: lifetime * 1000,
    maxSessions: max,
    ticketKeys: randomBytes(48),
    serverSessions: new Map(),
    clientSessions: new Map(),
    evicted: 0,
  };
}

const SERVER_AUTH_OID = '1.3.6.1.5.5.7.3.1';

/** TLS AlertDescription values (RFC 8446 §6) for the checks a peer makes. */
const ALERT = {
  handshakeFailure: 40,
  badCertificate: 42,
  unsupportedCertificate: 43,
  certificateExpired: 45,
  unknownCa: 48,
} as const;

/**
 * The alert a method must send itself for a failure Node found after the
 * handshake (its certificate checks run then, and it destroys the socket
 * without an alert); undefined when OpenSSL sent or received one in-band.
 */
function alertFor(code: string): number | undefined {
  if (code.startsWith('ERR_SSL_')) return undefined;
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return ALERT.certificateExpired;
  if (
    code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' ||
    code === 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' ||
    code === 'SELF_SIGNED_CERT_IN_CHAIN' ||
    code === 'DEPTH_ZERO_SELF_SIGNED_CERT' ||
    code === 'UNABLE_TO_GET_ISSUER_CERT'
  ) {
    return ALERT.unknownCa;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code === 'ERR_NETRX_TLS_DOMAIN_SUFFIX')
    return ALERT.badCertificate;
  if (code === 'ERR_NETRX_TLS_SERVER_EKU') return ALERT.unsupportedCertificate;
  if (code === 'ECONNRESET' || code === 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE')
    return undefined;
  return ALERT.handshakeFailure;
}

function coded(message: string, code: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

/** wpa_supplicant's domain_suffix_match: whole labels, case-insensitive. */
export function matchesDomainSuffix(name: string, suffix: string): boolean {
  const n = name.toLowerCase().replace(/\.$/, '');
  const s = suffix.toLowerCase().replace(/^\./, '').replace(/\.$/, '');
  return n === s || n.endsWith(`.${s}`);
}

function dnsNames(cert: tls.PeerCertificate): string[] {
  const san = cert.subjectaltname;
  if (san === undefined || san === '')
    return typeof cert.subject?.CN === 'string' ? [cert.subject.CN] : [];
  return san
    .split(', ')
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice(4));
}

/** The client's post-verification checks: name (exact or suffix) and the server-auth EKU. */
function checkServer(config: NodeTlsClientConfig) {
  // The hostname Node passes is unused: the names to check are the configured ones.
  return (_hostname: string, cert: tls.PeerCertificate): Error | undefined => {
    if (config.requireServerAuthEku !== false) {
      const eku = cert.ext_key_usage ?? [];
      if (!eku.includes(SERVER_AUTH_OID)) {
        return coded(
          `server certificate ${String(cert.subject?.CN ?? '')} lacks the serverAuth extended key usage`,
          'ERR_NETRX_TLS_SERVER_EKU',
        );
      }
    }
    if (config.serverName !== undefined) {
      const error = tls.checkServerIdentity(config.serverName, cert);
      if (error !== undefined) return error;
    }
    if (config.domainSuffix !== undefined) {
      const names = dnsNames(cert);
      if (!names.some((name) => matchesDomainSuffix(name, config.domainSuffix as string))) {
        return coded(
          `server certificate names ${names.join(', ') || 'nothing'}, none in domain ${config.domainSuffix}`,
          'ERR_NETRX_TLS_DOMAIN_SUFFIX',
        );
      }
    }
    return undefined;
  };
}

function toBuffer(bytes: Uint8Array): Buffer {
  // Deliberate copy: the core's bytes are views of buffers it reuses.
  return Buffer.from(bytes);
}

function joined(chunks: Buffer[]): Uint8Array {
  if (chunks.length === 0) return new Uint8Array(0);
  const all = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
  chunks.length = 0;
  return new Uint8Array(all.buffer, all.byteOffset, all.byteLength);
}

class NodeTlsEngine implements TlsEngine {
  readonly role: TlsRole;
  private currentState: TlsEngineState = 'handshaking';
  private failure: TlsEngineError | undefined;
  private socket: tls.TLSSocket | undefined;
  private readonly duplex: Duplex;
  private readonly output: Buffer[] = [];
  private readonly appData: Buffer[] = [];
  private activity = 0;
  private readonly maxTurns: number;
  private readonly resumption: ResumptionState | undefined;

  constructor(
    role: TlsRole,
    options: NodeTlsEngineOptions,
    resumption: ResumptionState | undefined,
  ) {
    this.role = role;
    this.resumption = resumption;
    this.maxTurns = options.maxSettleTurns ?? 1000;
    this.duplex = new Duplex({
      read() {},
      write: (chunk: Buffer, _encoding, callback) => {
        this.output.push(chunk);
        this.activity++;
        callback();
      },
    });
    const versions = {
      minVersion: options.minVersion ?? 'TLSv1.2',
      maxVersion: options.maxVersion ?? 'TLSv1.3',
      ...(options.ciphers === undefined ? {} : { ciphers: options.ciphers }),
    } as const;
    if (role === 'server') {
      const config = options.server;
      if (config === undefined)
        throw new TypeError('NodeTlsEngine: server role without server config');
      const requireCert = config.requireClientCertificate !== false;
      const server = tls.createServer({
        cert: toPem(config.cert),
        key: toPem(config.key),
        ca: toPem(config.ca),
        requestCert: requireCert,
        rejectUnauthorized: requireCert,
        ...versions,
        // Shared ticket keys make one engine's tickets good at the next; without them each
        // engine's server has its own keys and cache, so nothing can resume.
        ...(resumption === undefined
          ? {}
          : {
              ticketKeys: resumption.ticketKeys,
              sessionTimeout: Math.floor(resumption.lifetimeMs / 1000),
            }),
      });
      if (resumption !== undefined) {
        const cache = resumption.serverSessions;
        server.on('newSession', (id: Buffer, data: Buffer, done: () => void) => {
          if (cache.size >= resumption.maxSessions) {
            const oldest = cache.keys().next().value;
            if (oldest !== undefined) cache.delete(oldest);
            resumption.evicted++;
          }
          cache.set(id.toString('hex'), { data, expires: Date.now() + resumption.lifetimeMs });
          done();
        });
        server.on(
          'resumeSession',
          (id: Buffer, done: (error: Error | null, data: Buffer | null) => void) => {
            const key = id.toString('hex');
            const entry = cache.get(key);
            if (entry !== undefined && entry.expires <= Date.now()) cache.delete(key);
            done(null, entry !== undefined && entry.expires > Date.now() ? entry.data : null);
          },
        );
      }
      server.on('secureConnection', (socket: tls.TLSSocket) => this.established(socket));
      server.on('tlsClientError', (error: Error, socket: tls.TLSSocket) => {
        // Node verifies the client certificate after the handshake and destroys the socket
        // ("socket hang up"); the reason is in authorizationError.
        const why = socket.authorizationError as unknown;
        const code = typeof why === 'string' ? why : (why as { code?: string } | null)?.code;
        this.fail(code === undefined ? error : coded(`client certificate rejected: ${code}`, code));
      });
      if (options.onKeylog !== undefined) {
        const onKeylog = options.onKeylog;
        server.on('keylog', (line: Buffer) => onKeylog(line.toString('latin1').trimEnd()));
      }
      server.emit('connection', this.duplex);
    } else {
      const config = options.client;
      if (config === undefined)
        throw new TypeError('NodeTlsEngine: client role without client config');
      const sessionKey = config.serverName ?? config.domainSuffix ?? '';
      const saved = resumption?.clientSessions.get(sessionKey);
      const offered = saved !== undefined && saved.expires > Date.now() ? saved.data : undefined;
      const socket = tls.connect({
        socket: this.duplex,
        ...(offered === undefined ? {} : { session: offered }),
        ca: toPem(config.ca),
        ...(config.cert === undefined ? {} : { cert: toPem(config.cert) }),
        ...(config.key === undefined ? {} : { key: toPem(config.key) }),
        ...(config.serverName === undefined ? {} : { servername: config.serverName }),
        rejectUnauthorized: true,
        checkServerIdentity: checkServer(config),
        ...versions,
      });
      this.socket = socket;
      if (resumption !== undefined) {
        // TLS 1.3 tickets come after the handshake, TLS 1.2 sessions with it: keep the last.
        socket.on('session', (data: Buffer) => {
          resumption.clientSessions.set(sessionKey, {
            data,
            expires: Date.now() + resumption.lifetimeMs,
          });
        });
      }
      // One handshake per EAP session: a second one inside it (TLS 1.2) fails the session.
      socket.disableRenegotiation();
      socket.on('secureConnect', () => this.established(socket));
      socket.on('error', (error: Error) => this.fail(error));
      socket.on('data', (chunk: Buffer) => this.received(chunk));
      if (options.onKeylog !== undefined) {
        const onKeylog = options.onKeylog;
        socket.on('keylog', (line: Buffer) => onKeylog(line.toString('latin1').trimEnd()));
      }
    }
  }

  get state(): TlsEngineState {
    return this.currentState;
  }

  get protocol(): string | undefined {
    return this.socket?.getProtocol() ?? undefined;
  }

  get resumable(): boolean {
    return this.resumption !== undefined;
  }

  get resumed(): boolean {
    return this.socket?.isSessionReused() ?? false;
  }

  get error(): TlsEngineError | undefined {
    return this.failure;
  }

  feed(records: Uint8Array): void {
    if (this.currentState === 'closed') return;
    this.duplex.push(toBuffer(records));
  }

  writeApplicationData(data: Uint8Array): void {
    if (this.currentState !== 'established' || this.socket === undefined) {
      throw new TypeError(`NodeTlsEngine: application data while ${this.currentState}`);
    }
    this.socket.write(toBuffer(data));
  }

  whenSettled(settled: () => void): void {
    let seen = -1;
    let turns = 0;
    const check = (): void => {
      if (this.currentState === 'closed') return;
      const busy = this.activity !== seen || this.duplex.readableLength > 0;
      seen = this.activity;
      if (busy && ++turns < this.maxTurns) {
        setImmediate(check);
        return;
      }
      if (busy)
        this.fail(coded(`TLS engine still busy after ${turns} turns`, 'ERR_NETRX_TLS_STALLED'));
      settled();
    };
    setImmediate(check);
  }

  takeOutput(): Uint8Array {
    return joined(this.output);
  }

  takeApplicationData(): Uint8Array {
    return joined(this.appData);
  }

  exportKeyingMaterial(label: string, length: number, context?: Uint8Array): Uint8Array {
    if (this.currentState !== 'established' || this.socket === undefined) {
      throw new TypeError(`NodeTlsEngine: keys exported while ${this.currentState}`);
    }
    // No context is not an empty context under TLS 1.2 (RFC 5705 §4): Node takes an absent
    // third argument as "no context" although its typings require one.
    const out = this.socket.exportKeyingMaterial(
      length,
      label,
      (context === undefined ? undefined : toBuffer(context)) as Buffer,
    );
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  }

  peerCertificate(): TlsPeerCertificate | undefined {
    const cert = this.socket?.getPeerX509Certificate();
    if (cert === undefined) return undefined;
    const cn = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1];
    return {
      subject: cert.subject.replace(/\n/g, ', '),
      commonName: cn,
      subjectAltNames: cert.subjectAltName === undefined ? [] : cert.subjectAltName.split(', '),
      issuer: cert.issuer.replace(/\n/g, ', '),
      validFrom: cert.validFrom,
      validTo: cert.validTo,
      serialNumber: cert.serialNumber,
      fingerprint256: cert.fingerprint256,
      extendedKeyUsage: cert.keyUsage ?? [],
    };
  }

  close(): void {
    if (this.currentState === 'closed') return;
    this.currentState = 'closed';
    this.socket?.destroy();
    this.duplex.destroy();
    this.output.length = 0;
    this.appData.length = 0;
  }

  private established(socket: tls.TLSSocket): void {
    this.activity++;
    if (this.socket !== socket) {
      this.socket = socket;
      // Node lets a client renegotiate three times in ten minutes; an EAP session has one
      // handshake (RFC 9190/9427 build on that), so a ClientHello inside it is an error.
      socket.disableRenegotiation();
      socket.on('data', (chunk: Buffer) => this.received(chunk));
      socket.on('error', (error: Error) => this.fail(error));
    }
    if (this.currentState === 'handshaking') this.currentState = 'established';
  }

  private received(chunk: Buffer): void {
    this.activity++;
    this.appData.push(chunk);
  }

  private fail(error: Error): void {
    this.activity++;
    if (this.currentState === 'failed' || this.currentState === 'closed') return;
    this.currentState = 'failed';
    const code = (error as { code?: unknown }).code;
    const name = typeof code === 'string' ? code : 'ERR_NETRX_TLS';
    const alert = alertFor(name);
    this.failure = { code: name, reason: error.message, ...(alert === undefined ? {} : { alert }) };
  }
}

function toPem(value: string | Uint8Array): string | Buffer {
  return typeof value === 'string' ? value : Buffer.from(value);
}

/** A factory for netrx/eap's TLS methods: one Node TLS engine per EAP session. */
export function createNodeTlsEngineFactory(options: NodeTlsEngineOptions): TlsEngineFactory {
  if (options.server === undefined && options.client === undefined) {
    throw new TypeError('createNodeTlsEngineFactory: give server or client configuration');
  }
  const resumption = resumptionState(options.resumption);
  return { create: (role) => new NodeTlsEngine(role, options, resumption) };
}
