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
import {
  clientContext,
  resumptionState,
  serverHub,
  type NodeTlsClientConfig,
  type NodeTlsEngineOptions,
  type Phase2Mark,
  type ResumptionState,
  type Shared,
} from './tls-engine-shared.js';
import {
  clientErrorWithReason,
  scanClientHello,
  type HubEngine,
  type TlsServerHub,
} from './tls-server-hub.js';

export type {
  NodeTlsClientConfig,
  NodeTlsEngineOptions,
  NodeTlsServerConfig,
  TlsResumptionOptions,
  TlsVersionName,
} from './tls-engine-shared.js';

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

/** TLS record type of an alert, and the bytes before its description (header 5, level 1). */
const ALERT_RECORD = 21;
const ALERT_DESCRIPTION_AT = 6;

class NodeTlsEngine implements TlsEngine, HubEngine {
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
  /** Server role: the factory's server, and the ClientHello random this engine waits under. */
  private readonly hub: TlsServerHub | undefined;
  private helloPrefix: Uint8Array | undefined = new Uint8Array(0);
  private random: string | undefined;
  /** Server role: the description of a cleartext alert OpenSSL sent before any key existed. */
  private earlyAlert: number | undefined;
  /** Client role: how the phase 2 of the session offered for resumption ended. */
  private offeredPhase2: Phase2Mark | undefined;
  /** Client role: this session's phase 2, shared with the sessions it leaves in the cache. */
  private readonly phase2: Phase2Mark = { succeeded: false };

  constructor(role: TlsRole, shared: Shared) {
    const { options, resumption } = shared;
    this.role = role;
    this.resumption = resumption;
    this.maxTurns = options.maxSettleTurns ?? 1000;
    this.duplex = new Duplex({
      read() {},
      write: (chunk: Buffer, _encoding, callback) => {
        if (this.socket === undefined && chunk[0] === ALERT_RECORD)
          this.earlyAlert = chunk[ALERT_DESCRIPTION_AT];
        this.output.push(chunk);
        this.activity++;
        callback();
      },
    });
    if (role === 'server') {
      this.hub = serverHub(shared);
      // A handshake that fails before any key is never mapped to this engine (tls-server-hub.ts).
      this.duplex.on('close', () => {
        if (this.socket === undefined) this.serverClosed();
      });
      this.hub.connect(this.duplex);
    } else {
      const config = options.client;
      if (config === undefined)
        throw new TypeError('NodeTlsEngine: client role without client config');
      this.hub = undefined;
      this.helloPrefix = undefined;
      const sessionKey = config.serverName ?? config.domainSuffix ?? '';
      const saved = resumption?.clientSessions.get(sessionKey);
      const offered = saved !== undefined && saved.expires > Date.now() ? saved.data : undefined;
      this.offeredPhase2 = offered === undefined ? undefined : saved?.phase2;
      const socket = tls.connect({
        socket: this.duplex,
        ...(offered === undefined ? {} : { session: offered }),
        secureContext: clientContext(shared, config),
        ...(config.serverName === undefined ? {} : { servername: config.serverName }),
        rejectUnauthorized: true,
        checkServerIdentity: checkServer(config),
      });
      this.socket = socket;
      if (resumption !== undefined) {
        // TLS 1.3 tickets come after the handshake, TLS 1.2 sessions with it: keep the last.
        socket.on('session', (data: Buffer) => {
          // Marked by this engine's own phase 2 (a new ticket of a resumed session too).
          resumption.clientSessions.set(sessionKey, {
            data,
            expires: Date.now() + resumption.lifetimeMs,
            phase2: this.phase2,
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

  get resumedAfterPhase2(): boolean {
    return this.resumed && this.offeredPhase2?.succeeded === true;
  }

  markPhase2Succeeded(): void {
    this.phase2.succeeded = true;
    // A resumption is the same TLS session: the cache may still hold it under the earlier mark.
    if (this.resumed && this.offeredPhase2 !== undefined) this.offeredPhase2.succeeded = true;
  }

  get error(): TlsEngineError | undefined {
    return this.failure;
  }

  get negotiated(): { readonly cipher: string; readonly group: string | undefined } | undefined {
    const socket = this.socket;
    if (socket === undefined || this.currentState !== 'established') return undefined;
    const cipher = socket.getCipher();
    // The server's ephemeral key, as the client saw it (Node gives the server side nothing).
    const key = this.role === 'client' ? socket.getEphemeralKeyInfo() : null;
    const group =
      key !== null && 'name' in key && typeof key.name === 'string' ? key.name : undefined;
    return { cipher: cipher.standardName, group };
  }

  feed(records: Uint8Array): void {
    if (this.currentState === 'closed' || this.currentState === 'failed') return;
    if (this.helloPrefix !== undefined) {
      const first = this.expectHello(records);
      if (first !== undefined) this.duplex.push(Buffer.from(first));
      return;
    }
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
    if (this.random !== undefined) this.hub?.forget(this.random, this);
    this.socket?.destroy();
    this.duplex.destroy();
    this.output.length = 0;
    this.appData.length = 0;
  }

  /** Server role: the hub found this engine's socket (its first keylog line). */
  attach(socket: tls.TLSSocket): void {
    if (this.socket !== undefined) return;
    this.activity++;
    this.socket = socket;
    // Node lets a client renegotiate three times in ten minutes; an EAP session has one
    // handshake (RFC 9190/9427 build on that), so a ClientHello inside it is an error.
    socket.disableRenegotiation();
    socket.on('data', (chunk: Buffer) => this.received(chunk));
    socket.on('error', (error: Error) => this.fail(error));
    // Node's own close listener (registered first) reports a refused certificate as
    // tlsClientError; a close with nothing reported still ends the handshake.
    socket.on('close', () => this.serverClosed());
  }

  established(socket: tls.TLSSocket): void {
    this.activity++;
    this.attach(socket);
    if (this.socket !== socket) return;
    if (this.currentState === 'handshaking') this.currentState = 'established';
  }

  clientError(error: Error, socket: tls.TLSSocket): void {
    this.fail(clientErrorWithReason(error, socket));
  }

  duplicateHello(): void {
    this.fail(
      coded(
        'ClientHello random already offered by another conversation (a replayed ClientHello)',
        'ERR_NETRX_TLS_DUPLICATE_HELLO',
      ),
    );
  }

  /**
   * Server role, before any byte reaches the shared server: holds the client's bytes
   * until the ClientHello random is read (over several feeds and records if need be)
   * and waits under it. Returns the bytes to hand to the server, or undefined while
   * more are needed or when this engine failed (a refused random, or not a ClientHello:
   * those bytes never reach the server, so no socket can be matched by them).
   */
  private expectHello(records: Uint8Array): Uint8Array | undefined {
    const prefix = this.helloPrefix as Uint8Array;
    const stream = new Uint8Array(prefix.length + records.length);
    stream.set(prefix);
    stream.set(records, prefix.length);
    const scan = scanClientHello(stream);
    if (scan === 'more') {
      this.helloPrefix = stream;
      return undefined;
    }
    this.helloPrefix = undefined;
    if (scan === 'refused') {
      this.fail(
        coded(
          'the first TLS bytes are not a ClientHello in handshake records',
          'ERR_NETRX_TLS_NOT_CLIENT_HELLO',
        ),
      );
      return undefined;
    }
    if (this.hub === undefined || !this.hub.expect(scan.random, this)) return undefined;
    this.random = scan.random;
    return stream;
  }

  /** Server role: the server closed this engine's duplex. */
  private serverClosed(): void {
    if (this.currentState !== 'handshaking') return;
    this.activity++;
    this.currentState = 'failed';
    // OpenSSL sent its alert in-band (earlyAlert); nothing for the method to add.
    const alert = this.earlyAlert === undefined ? '' : ` (alert ${this.earlyAlert} sent)`;
    const orphan = this.hub?.takeOrphan();
    const code = (orphan as { code?: unknown } | undefined)?.code;
    this.failure = {
      code: typeof code === 'string' ? code : 'ERR_NETRX_TLS_HANDSHAKE',
      reason: `${orphan?.message ?? 'TLS handshake refused before any key was agreed'}${alert}`,
    };
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

/** A factory for netrx/eap's TLS methods: one Node TLS engine per EAP session. */
export function createNodeTlsEngineFactory(options: NodeTlsEngineOptions): TlsEngineFactory {
  if (options.server === undefined && options.client === undefined) {
    throw new TypeError('createNodeTlsEngineFactory: give server or client configuration');
  }
  const shared: Shared = {
    options,
    resumption: resumptionState(options.resumption),
    hub: undefined,
    clientContext: undefined,
  };
  return { create: (role) => new NodeTlsEngine(role, shared) };
}
