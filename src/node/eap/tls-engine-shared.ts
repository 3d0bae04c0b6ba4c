/**
 * The settings of the Node TLS engines (tls-engine.ts) and what the engines
 * of one factory share: the resumption state, the one server of the server
 * role (tls-server-hub.ts) and the one secure context of the client role,
 * so the certificate, key and CA are parsed once per factory, never per
 * EAP conversation (1.2 ms each with RSA-2048 under OpenSSL 3).
 */
import { constants, randomBytes } from 'node:crypto';
import * as tls from 'node:tls';
import { TlsServerHub } from './tls-server-hub.js';

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

/**
 * Whether the EAP authentication that made (or last resumed) a client
 * session got through phase 2: set by the engine's `markPhase2Succeeded`,
 * read by the engine that resumes the session (`resumedAfterPhase2`).
 */
export interface Phase2Mark {
  succeeded: boolean;
}

/** What the engines of one factory share for resumption. */
export interface ResumptionState {
  readonly lifetimeMs: number;
  readonly maxSessions: number;
  readonly ticketKeys: Buffer;
  /** Server: TLS 1.2 session ID (hex) → session, insertion-ordered for eviction. */
  readonly serverSessions: Map<string, { readonly data: Buffer; readonly expires: number }>;
  /** Client: server name → the last session it issued, and how its phase 2 ended. */
  readonly clientSessions: Map<
    string,
    { readonly data: Buffer; readonly expires: number; readonly phase2: Phase2Mark }
  >;
  /** Server sessions evicted for room. */
  evicted: number;
}

export function resumptionState(
  options: TlsResumptionOptions | undefined,
): ResumptionState | undefined {
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

/** What the engines of one factory share: the server (one context) or the client context. */
export interface Shared {
  readonly options: NodeTlsEngineOptions;
  readonly resumption: ResumptionState | undefined;
  /** Server role: built at the first server engine. */
  hub: TlsServerHub | undefined;
  /** Client role: one secure context (CA, certificate, key parsed once). */
  clientContext: tls.SecureContext | undefined;
}

export function versionsOf(options: NodeTlsEngineOptions) {
  return {
    minVersion: options.minVersion ?? 'TLSv1.2',
    maxVersion: options.maxVersion ?? 'TLSv1.3',
    ...(options.ciphers === undefined ? {} : { ciphers: options.ciphers }),
  } as const;
}

export function serverHub(shared: Shared): TlsServerHub {
  if (shared.hub !== undefined) return shared.hub;
  const { options, resumption } = shared;
  const config = options.server;
  if (config === undefined) throw new TypeError('NodeTlsEngine: server role without server config');
  const requireCert = config.requireClientCertificate !== false;
  const onKeylog = options.onKeylog;
  const hub = new TlsServerHub(
    {
      cert: toPem(config.cert),
      key: toPem(config.key),
      ca: toPem(config.ca),
      requestCert: requireCert,
      rejectUnauthorized: requireCert,
      ...versionsOf(options),
      // Without resumption no tickets at all: the server is shared by every conversation of
      // the factory, so its own ticket keys would resume one conversation's session at the
      // next (and wpa_supplicant takes a resumed PEAP/TTLS as phase 2 done). TLS 1.3 then
      // issues stateful tickets, which find no session (no cache, no resumeSession listener).
      ...(resumption === undefined
        ? { secureOptions: constants.SSL_OP_NO_TICKET }
        : {
            ticketKeys: resumption.ticketKeys,
            sessionTimeout: Math.floor(resumption.lifetimeMs / 1000),
          }),
    },
    onKeylog === undefined ? undefined : (line) => onKeylog(line.toString('latin1').trimEnd()),
  );
  if (resumption !== undefined) {
    const cache = resumption.serverSessions;
    hub.tlsServer.on('newSession', (id: Buffer, data: Buffer, done: () => void) => {
      if (cache.size >= resumption.maxSessions) {
        const oldest = cache.keys().next().value;
        if (oldest !== undefined) cache.delete(oldest);
        resumption.evicted++;
      }
      cache.set(id.toString('hex'), { data, expires: Date.now() + resumption.lifetimeMs });
      done();
    });
    hub.tlsServer.on(
      'resumeSession',
      (id: Buffer, done: (error: Error | null, data: Buffer | null) => void) => {
        const key = id.toString('hex');
        const entry = cache.get(key);
        if (entry !== undefined && entry.expires <= Date.now()) cache.delete(key);
        done(null, entry !== undefined && entry.expires > Date.now() ? entry.data : null);
      },
    );
  }
  shared.hub = hub;
  return hub;
}

export function clientContext(shared: Shared, config: NodeTlsClientConfig): tls.SecureContext {
  shared.clientContext ??= tls.createSecureContext({
    ca: toPem(config.ca),
    ...(config.cert === undefined ? {} : { cert: toPem(config.cert) }),
    ...(config.key === undefined ? {} : { key: toPem(config.key) }),
    ...versionsOf(shared.options),
  });
  return shared.clientContext;
}

export function toPem(value: string | Uint8Array): string | Buffer {
  return typeof value === 'string' ? value : Buffer.from(value);
}
