/**
 * The settings and state of a NATS connection (connection.ts), apart from
 * it: declarations that reach this file must not pull `@nats-io/*` types
 * into a user's program (see radius-kv-options.ts).
 */
/** How the client proves who it is: at most one kind. */
export type NatsAuth =
  | { readonly kind: 'none' }
  | { readonly kind: 'user'; readonly user: string; readonly password: string }
  | { readonly kind: 'token'; readonly token: string }
  /** A file holding an NKey user seed (`SU…`). */
  | { readonly kind: 'nkey'; readonly seedFile: string }
  /** A `.creds` file (a user JWT and its seed), as `nsc` writes it. */
  | { readonly kind: 'creds'; readonly credsFile: string };

/** TLS to the NATS servers: PEM files ('' or absent: none). */
export interface NatsTlsFiles {
  /** The CA that signed the servers' certificates (absent: the system's roots). */
  readonly ca?: string;
  /** A client certificate chain and its key, for servers that verify clients. */
  readonly certificate?: string;
  readonly privateKey?: string;
  /** The name the servers' certificates must carry (absent: each URL's host). */
  readonly serverName?: string;
}

export interface NatsConnectionSettings {
  /** `nats://host:port` or `tls://host:port` URLs (or `host:port`). */
  readonly servers: string | readonly string[];
  /** The connection name the server shows (`nats server report connections`). */
  readonly name?: string;
  readonly auth?: NatsAuth;
  /** Set (even `{}`): the connection must be TLS. A `tls://` URL implies it. */
  readonly tls?: NatsTlsFiles;
  /** Connect and request timeout. Default 2000 ms. */
  readonly timeoutMs?: number;
  readonly reconnectTimeWaitMs?: number;
  /** Try `servers` in the order given (the client shuffles them by default). */
  readonly noRandomize?: boolean;
  /** What errors are named after (`cluster.nats`, `--nats`). Default `NATS`. */
  readonly errorPrefix?: string;
  /**
   * A first connect that fails for want of a server (refused, unreachable,
   * timed out, a name that does not resolve yet) returns a connection in
   * `reconnecting` that keeps trying every `reconnectTimeWaitMs`, instead
   * of failing (review F10: a host booting during a NATS outage). A refusal
   * that retrying cannot mend (credentials, TLS, the protocol) still fails.
   * Default false.
   */
  readonly startDisconnected?: boolean;
}

export type NatsConnectionState = 'connected' | 'reconnecting' | 'closed';

export interface NatsConnectionStatus {
  readonly state: NatsConnectionState;
  /** The server in use (or last used), `host:port`: never credentials. */
  readonly server: string;
  readonly serverVersion: string;
  readonly auth: NatsAuth['kind'];
  readonly tls: boolean;
  readonly disconnects: number;
  readonly reconnects: number;
  /** Errors the connection reported while up or reconnecting (authorization refused, TLS…). */
  readonly errors: number;
  /** The last such error's message ('' for none); the client's text never carries a secret. */
  readonly lastError: string;
  /** Connected at least once (false: booted during an outage and still waiting, `startDisconnected`). */
  readonly everConnected: boolean;
  /** When the state last changed (ms since the epoch). */
  readonly sinceMs: number;
}

/**
 * The host's connection as the services that share it see it; the client
 * inside is reached through `natsClientOf` (connection.ts), so these
 * declarations never name `@nats-io` types (whose own .d.ts fail a user's
 * `exactOptionalPropertyTypes` compile).
 */
export interface SharedNatsConnection {
  status(): NatsConnectionStatus;
  /** Calls `listener` on every change of state; returns its removal. */
  onState(listener: (state: NatsConnectionState) => void): () => void;
  /** Calls `listener` on every error the client reports (reconnect failures…); returns its removal. */
  onError(listener: (message: string) => void): () => void;
  close(): Promise<void>;
}
