/**
 * The configuration sections of the services `netrx up` runs beside the
 * link adapters and ports: the RADIUS/EAP server, the capture server and its
 * sessions, the synthetic traffic source, and the HTTP endpoint's TLS and
 * token. Their checks across keys are in config-checks.ts.
 */
import { LISTEN_ADDRESS, parseListenAddress } from './address.js';
import { captureNatsSection } from './config-nats.js';
import { MOVED_TO_CLUSTER_NATS } from './config-cluster-nats.js';
import {
  boolean,
  field,
  integer,
  list,
  object,
  oneOf,
  parsed,
  required,
  section,
  string,
  ConfigError,
  type Schema,
} from './schema.js';

/** The conventional test secret and demo user: refused on any non-loopback address. */
export const DEMO_SECRET = 'testing123';
export const DEMO_USER = { name: 'demo', password: 'demo' } as const;

/**
 * What an editor can check of a listen address (review L1): an IPv4
 * literal, something IPv6-shaped (hex, colons, dots, a zone), or
 * `localhost`. A superset of what `isIP` accepts: the schema must never
 * mark a file the validator runs as wrong; the validator has the last word.
 */
const LISTEN_ADDRESS_JSON = {
  anyOf: [
    {
      type: 'string',
      pattern:
        '^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$',
    },
    { type: 'string', pattern: '^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(%[^\\s%]+)?$' },
    { enum: ['localhost'] },
  ],
  description: LISTEN_ADDRESS,
};
const listenAddress = {
  ...parsed(LISTEN_ADDRESS, parseListenAddress),
  json: LISTEN_ADDRESS_JSON,
};
const secret = {
  ...string({ pattern: /^.+$/s, describe: 'a non-empty secret', sensitive: true }),
  json: { type: 'string', minLength: 1, description: 'a non-empty secret' },
};
/**
 * The bearer token: '' for none, else at least 16 characters with no white
 * space at either end (config-checks.ts says which rule a value breaks;
 * the schema carries the same rules for editors, review L1).
 */
const token = {
  ...string({ describe: 'a token', sensitive: true }),
  json: {
    anyOf: [{ enum: [''] }, { type: 'string', minLength: 16, pattern: '^\\S[\\s\\S]*\\S$' }],
    description: "'' for none, or at least 16 characters with no white space at either end",
  },
};
const password = string({ describe: 'a password', sensitive: true });
const filename = string({ describe: "a file name ('' for none)" });
const clusterToken = string({
  pattern: /^[A-Za-z0-9_-]{1,32}$/,
  describe: 'an id of 1 to 32 of A-Z a-z 0-9 _ - (a NATS subject token)',
});

/** Worker threads: an integer from 1 to 255, or `auto` (the available parallelism). */
const workerCountSchema: Schema<number | 'auto'> = {
  describe: "'auto' or an integer from 1 to 255",
  json: {
    oneOf: [{ type: 'integer', minimum: 1, maximum: 255 }, { enum: ['auto'] }],
    description: "worker threads for the RADIUS server: 1 to 255, or 'auto'",
  },
  check(value, path) {
    if (value === 'auto') return value;
    if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 255)
      return value;
    throw new ConfigError(
      path,
      `expected 'auto' or an integer from 1 to 255, got ${JSON.stringify(value) ?? typeof value}`,
    );
  },
};

export const httpSection = section(
  object({
    host: field(listenAddress, '127.0.0.1'),
    port: field(integer(0, 65535), 7340),
    /** HTTPS: both files, PEM. Required (with `token`) on a non-loopback `host`. */
    tls: section(object({ cert: field(filename, ''), key: field(filename, '') })),
    /** A bearer token every request must carry (`Authorization: Bearer …`); '' for none. */
    token: field(token, ''),
    /** How long a dashboard login (the session cookie) lasts, in minutes, from the login. */
    sessionMinutes: field(integer(1, 43_200), 720),
    /** With a token: how fast a client may guess it, and how many login sessions are kept. */
    login: section(
      object({
        /** Wrong tokens (form, link code, bearer) an address may send before it must wait. */
        attempts: field(integer(1, 1000), 5),
        /** The first wait, doubled after each further wrong token. */
        backoffSeconds: field(integer(1, 3600), 1),
        maxBackoffSeconds: field(integer(1, 86_400), 900),
        /** Wrong tokens from all addresses together per minute, before every address that failed waits. */
        globalPerMinute: field(integer(1, 100_000), 120),
        /** Addresses whose wrong tokens are remembered (least recently failed forgotten first). */
        maxAddresses: field(integer(16, 1_000_000), 4096),
        maxSessions: field(integer(1, 65_536), 64),
        /** A new login from an address holding this many ends that address's oldest. */
        maxSessionsPerAddress: field(integer(1, 65_536), 16),
      }),
    ),
    /** Bounds on the HTTP server against slow or piled-up clients. */
    limits: section(
      object({
        /** A request's headers must arrive within this (slowloris). */
        headersTimeoutMs: field(integer(100, 600_000), 5000),
        /** A whole request (headers and body) must arrive within this. */
        requestTimeoutMs: field(integer(100, 3_600_000), 10_000),
        maxConnections: field(integer(1, 1_000_000), 1024),
        /**
         * Connections from one address at once (WebSockets included): IPv6 by its
         * /64, all of loopback (127/8, ::1, ::ffff:127.x) as one, as the login limiter.
         */
        maxConnectionsPerAddress: field(integer(1, 1_000_000), 128),
        /** WebSocket connections (capture, viewers, echo) at once, handshakes included. */
        maxWebSockets: field(integer(1, 1_000_000), 256),
      }),
    ),
  }),
);

export const radiusSection = section(
  object({
    /** On by default, on loopback with the demo secret and user (refused off loopback). */
    enabled: field(boolean(), true),
    host: field(listenAddress, '127.0.0.1'),
    /** 0 picks a free port. */
    port: field(integer(0, 65535), 1812),
    /** NASes allowed to ask, each an address or prefix with its shared secret. */
    clients: field(
      list(
        object({
          address: required(string({ describe: 'an address or ADDRESS/NN prefix' })),
          secret: required(secret),
        }),
        1024,
      ),
      [
        { address: '127.0.0.0/8', secret: DEMO_SECRET },
        { address: '::1', secret: DEMO_SECRET },
      ],
    ),
    /** Users as `{ name, password }`; or `usersFile` (FreeRADIUS users format), not both. */
    users: field(
      list(
        object({
          name: required(string({ pattern: /^[^:]+$/, describe: 'a user name' })),
          password: required(password),
        }),
        65_536,
      ),
      [{ ...DEMO_USER }],
    ),
    usersFile: field(filename, ''),
    /**
     * EAP methods in policy order (the first is proposed first). `peap`
     * (inner EAP-MSCHAPv2), `ttls` (inner PAP or EAP-MSCHAPv2, the peer
     * chooses) and `tls` (EAP-TLS) need `tls` below.
     */
    methods: field(list(oneOf('md5', 'mschapv2', 'peap', 'ttls', 'tls'), 5), ['md5', 'mschapv2']),
    /**
     * Certificates for the TLS-based methods (PEM files, read at start and
     * again on a reload: a changed file restarts the service), the TLS
     * versions allowed and EAP-TLS session resumption. docs/host.md.
     */
    tls: section(
      object({
        /** This server's certificate chain and key, and the CA EAP-TLS client certificates must chain to. */
        certificate: field(filename, ''),
        privateKey: field(filename, ''),
        ca: field(filename, ''),
        minVersion: field(oneOf('TLSv1.2', 'TLSv1.3'), 'TLSv1.2'),
        maxVersion: field(oneOf('TLSv1.2', 'TLSv1.3'), 'TLSv1.3'),
        /** EAP-TLS session resumption lifetime; 0 is off. Never for PEAP/TTLS (docs/eap-tls13.md). */
        resumeSeconds: field(integer(0, 7 * 24 * 3600), 0),
      }),
    ),
    /**
     * RadSec (RADIUS over TLS, RFC 6614) beside UDP, same users and methods:
     * mutual TLS, clients identified by their certificate, secret `radsec`.
     * docs/radius.md, "RadSec".
     */
    radsec: section(
      object({
        enabled: field(boolean(), false),
        host: field(listenAddress, '127.0.0.1'),
        /** 2083 by convention; 0 picks a free port. */
        port: field(integer(0, 65535), 2083),
        /** This server's certificate chain and key, and the CA client certificates must chain to (PEM files). */
        certificate: field(filename, ''),
        privateKey: field(filename, ''),
        ca: field(filename, ''),
        /**
         * Which certificates are which clients: the first whose criteria all
         * hold ('' for any); a peer matching none is refused.
         */
        clients: field(
          list(
            object({
              name: required(string({ pattern: /^.+$/, describe: 'a client name' })),
              commonName: field(
                string({ describe: "the certificate's subject CN ('' for any)" }),
                '',
              ),
              dnsName: field(
                string({ describe: "a DNS subjectAltName or *.suffix ('' for any)" }),
                '',
              ),
              address: field(
                string({ describe: "an address or ADDRESS/NN prefix ('' for any)" }),
                '',
              ),
            }),
            1024,
          ),
          [],
        ),
        /** A connection with nothing from its peer for this long is closed. */
        idleTimeoutMs: field(integer(1000, 86_400_000), 120_000),
        maxConnections: field(integer(1, 65_536), 256),
        maxConnectionsPerClient: field(integer(1, 65_536), 16),
      }),
    ),
    /** Worker threads serving authentication (docs/radius.md "Workers"); `auto`: one per core. */
    workers: field(workerCountSchema, 1),
    /**
     * One of a cluster of RADIUS servers sharing NATS (docs/cluster.md): later
     * EAP rounds go to the server whose State they carry. Off unless enabled.
     */
    cluster: section(
      object(
        {
          /** On: this server is one of the cluster, over the host's connection (cluster.nats). */
          enabled: field(boolean(), false),
          /** The cluster's id: servers with the same id answer each other's conversations. */
          id: field(clusterToken, 'netrx'),
          /** This server's id, unique in the cluster ('' is refused when servers are given). */
          serverId: field(
            string({
              pattern: /^([A-Za-z0-9_-]{1,32})?$/,
              describe: 'a server id of 1 to 32 of A-Z a-z 0-9 _ -',
            }),
            '',
          ),
          /** How long a forwarded round waits for its owner's answer. */
          forwardTimeoutMs: field(integer(1, 60_000), 1000),
          /**
           * The key sealing conversation state in the cluster's KV bucket: 64 hex
           * digits or a file of 32 random octets. Set, any server answers the next
           * round of an MD5 or MSCHAPv2 conversation; '' keeps forwarding only.
           */
          stateKey: field(string(), ''),
          /**
           * During a key rotation, the key the other servers may still seal with
           * (same forms as stateKey): records open with either; '' for none.
           */
          previousStateKey: field(string(), ''),
          /** Copies of the conversation bucket this server creates, in a JetStream cluster. */
          replicas: field(integer(1, 5), 1),
        },
        { moved: { servers: MOVED_TO_CLUSTER_NATS } },
      ),
    ),
  }),
);

export const captureSection = section(
  object({
    /** The MS-LREC DCE/RPC transport (ncacn_ip_tcp); unauthenticated, so loopback only. */
    rpc: section(
      object({
        enabled: field(boolean(), true),
        host: field(listenAddress, '127.0.0.1'),
        port: field(integer(0, 65535), 7341),
      }),
    ),
    /** Event sessions, each fed by the named providers (`*`: every provider). */
    sessions: field(
      list(
        object({
          name: required(string({ pattern: /^[A-Za-z0-9_.-]{1,64}$/, describe: 'a session name' })),
          providers: field(list(string({ describe: 'a provider name or GUID' }), 64), ['*']),
          level: field(integer(0, 5), 5),
          /** Events the session may queue while no client reads (rounded up to buffers). */
          queueEvents: field(integer(16, 65_536), 4096),
        }),
        64,
      ),
      [{ name: 'default', providers: ['*'], level: 5, queueEvents: 4096 }],
    ),
    /** Dashboard pages watching at once, each with its own copy of the sessions (0: none). */
    maxViewers: field(integer(0, 64), 8),
    /** The capture WebSocket endpoints (`/capture`, `/capture/viewer`). */
    ws: section(
      object({
        /** Upgraded `/capture` connections one remote address may hold (429 past it). */
        maxConnectionsPerAddress: field(integer(1, 65_536), 16),
        /** Ping every upgraded connection this often (ms; 0: off). */
        keepAliveIntervalMs: field(integer(0, 3_600_000), 30_000),
        /** A pong later than this after its ping terminates the peer (ms). */
        keepAliveTimeoutMs: field(integer(100, 600_000), 10_000),
      }),
    ),
    /** Capture fan-in over NATS JetStream (docs/cluster.md); off without servers. */
    nats: captureNatsSection,
  }),
);

export const syntheticSection = section(
  object({
    /** A netrx peer authenticating against `radius` every `intervalMs`, so events flow. */
    enabled: field(boolean(), true),
    intervalMs: field(integer(100, 3_600_000), 5000),
    identity: field(string({ describe: 'a user name' }), DEMO_USER.name),
    password: field(password, DEMO_USER.password),
    secret: field(secret, DEMO_SECRET),
    /** Each round also opens one WebSocket to the host's echo endpoint (when enabled): send, echo, close 1000. */
    websocket: field(boolean(), true),
    /** Each round also runs one chat login script on an in-memory port pair (a fake login prompt). */
    port: field(boolean(), true),
  }),
);
